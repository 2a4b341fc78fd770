/** Who is calling out: the default client's identity, read when a request is made. */
export interface PropagationSource {
  serviceName: string;
  instanceId: string;
  autoPropagate: boolean;
}

export type PropagationSourceGetter = () => PropagationSource | undefined;
