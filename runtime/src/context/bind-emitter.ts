import type { EventEmitter } from 'node:events';
import { storage } from './storage.js';
import type { Task } from './task.js';

type Listener = (...args: unknown[]) => unknown;
type Adder = (event: string | symbol, listener: Listener) => EventEmitter;

const ADDERS = ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener'] as const;
const REMOVERS = ['off', 'removeListener'] as const;

/**
 * A bound emitter: the context its listeners run in, and each original listener's wrapper(s), made on the
 * first listener (a plain map: it lives exactly as long as the emitter, which holds the listeners anyway).
 */
interface Binding {
  store: { task: Task };
  wrappers: Map<Listener, Listener[]> | undefined;
}

/** Runs a listener in its emitter's context (arguments passed through `run`: no closure per call). */
function callListener(listener: Listener, self: unknown, args: unknown[]): unknown {
  return listener.apply(self, args);
}

/**
 * Bound emitters, kept beside them (a property on each request and response would change the shape of
 * objects Node's HTTP code works with on every request).
 */
const bindings = new WeakMap<object, Binding>();
/** Prototypes whose adders and removers look bindings up (patched once, on the first bound emitter); false: frozen. */
const patched = new WeakMap<object, boolean>();
/** `once` adds through `on`: only the outermost call wraps. */
let adding = 0;

/**
 * node:http's own `'end'` listener on a request whose response finished first (`clearIncoming`: it lets go
 * of the request once its body has been read). No application code runs in it, so it is added as it is:
 * wrapping it, on nearly every request, cost ~15k instructions a request (a closure, the wrapper map, a
 * context switch when it runs). Should Node rename it, it is wrapped like any other listener.
 */
const isNodeBookkeeping = (event: string | symbol, listener: Listener): boolean =>
  event === 'end' && listener.name === 'clearIncoming';

function wrap(binding: Binding, listener: Listener): Listener {
  const store = binding.store;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    return storage.run(store, callListener, listener, this, args);
  } as Listener & { listener?: Listener };
  // EventEmitter.listeners() and rawListeners() then still name the original (as Node's once-wrappers do).
  wrapped.listener = listener;
  const wrappers = (binding.wrappers ??= new Map());
  const list = wrappers.get(listener);
  if (list) list.push(wrapped);
  else wrappers.set(listener, [wrapped]);
  return wrapped;
}

/** Replaces `proto[name]` by `make(inherited)`, as a method (not enumerable), when there is one to replace. */
function override(proto: Record<string, unknown>, name: string, make: (original: Adder) => Adder): void {
  const original = proto[name] as Adder;
  if (typeof original !== 'function') return;
  Object.defineProperty(proto, name, { configurable: true, writable: true, enumerable: false, value: make(original) });
}

/** Gives the emitter's prototype adders and removers that consult `bindings` (the inherited ones do the work). */
function patchPrototype(proto: Record<string, unknown>): boolean {
  const known = patched.get(proto);
  if (known !== undefined) return known;
  if (Object.isFrozen(proto)) {
    patched.set(proto, false);
    return false;
  }
  patched.set(proto, true);
  for (const name of ADDERS)
    override(
      proto,
      name,
      (original) =>
        function (this: EventEmitter, event: string | symbol, listener: Listener) {
          const binding = bindings.get(this);
          if (!binding || adding > 0 || typeof listener !== 'function' || isNodeBookkeeping(event, listener))
            return original.call(this, event, listener);
          adding++;
          try {
            return original.call(this, event, wrap(binding, listener));
          } finally {
            adding--;
          }
        },
    );
  for (const name of REMOVERS)
    override(
      proto,
      name,
      (original) =>
        function (this: EventEmitter, event: string | symbol, listener: Listener) {
          const binding = bindings.get(this);
          const list = binding && typeof listener === 'function' ? binding.wrappers?.get(listener) : undefined;
          if (!list) return original.call(this, event, listener);
          const registered = this.rawListeners(event) as Listener[];
          // The wrapper that is still registered (once-wrappers name theirs through `.listener`).
          const wrapped = list.find((w) =>
            registered.some((r) => r === w || (r as { listener?: Listener }).listener === w),
          );
          return original.call(this, event, wrapped ?? listener);
        },
    );
  return true;
}

/**
 * Makes every listener added to `emitter` from now on run in `task`'s context, whoever adds it (the
 * handler, a body parser, `pipeline`, a module the request is handed to). Without it a listener runs in
 * the context of whatever emitted the event — for a request's `'data'`/`'end'`, the connection's, outside
 * every request — so work started there would belong to no request. Listeners keep their identity for
 * `off`/`removeListener`; an emitter is bound once (to its first task). The emitter itself is not changed:
 * its class's prototype is given adders that look the binding up (once per class). Never throws.
 */
export function bindEmitter(emitter: EventEmitter, task: Task): void {
  try {
    if (bindings.has(emitter)) return;
    const proto = Object.getPrototypeOf(emitter) as Record<string, unknown> | null;
    if (!proto || !patchPrototype(proto)) return;
    bindings.set(emitter, { store: { task }, wrappers: undefined });
  } catch {
    // A frozen or exotic emitter stays as it is.
  }
}
