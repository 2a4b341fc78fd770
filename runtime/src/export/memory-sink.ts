import type { EventSink, RecordFields } from '../record/event-record.js';
import { EventRecord } from '../record/event-record.js';
import type { Redactor, ServiceIdentity } from './wire-event.js';
import { toWireEventJson } from './wire-event.js';

/** Keeps events in memory instead of sending them: for tests and for `RacewayClient.inMemory()`. */
export class MemorySink implements EventSink {
  readonly records: EventRecord[] = [];

  constructor(
    private readonly identity: ServiceIdentity,
    private readonly redactor: Redactor,
  ) {}

  append(...fields: RecordFields): void {
    this.records.push(new EventRecord(...fields));
  }

  /** The events exactly as they would go on the wire. */
  wireEvents(): Array<Record<string, unknown>> {
    return this.records.map(
      (r) => JSON.parse(toWireEventJson(r, this.identity, this.redactor)) as Record<string, unknown>,
    );
  }

  /** Gives back every record and keeps none. */
  surrender(): EventRecord[] {
    return this.records.splice(0);
  }

  clear(): void {
    this.records.length = 0;
  }
}
