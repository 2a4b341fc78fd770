import type { EventEmitter } from 'node:events';
import { storage } from './storage.js';
import type { Task } from './task.js';

type Listener = (...args: unknown[]) => unknown;
type Adder = (event: string | symbol, listener: Listener) => EventEmitter;

const ADDERS = ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener'] as const;
const REMOVERS = ['off', 'removeListener'] as const;
const kBound = Symbol.for('raceway.boundEmitter');

/**
 * Makes every listener added to `emitter` from now on run in `task`'s context, whoever adds it (the
 * handler, a body parser, `pipeline`, a module the request is handed to). Without it a listener runs in
 * the context of whatever emitted the event — for a request's `'data'`/`'end'`, the connection's, outside
 * every request — so work started there would belong to no request. Listeners keep their identity for
 * `off`/`removeListener`; an emitter is bound once (to its first task). Never throws.
 */
export function bindEmitter(emitter: EventEmitter, task: Task): void {
  try {
    const target = emitter as unknown as Record<string | symbol, unknown>;
    if (target[kBound]) return;
    target[kBound] = true;
    const store = { task };
    // Per event: the original listener → its wrapper(s), so removal finds what was added.
    const wrappers = new WeakMap<Listener, Listener[]>();
    const wrap = (listener: Listener): Listener => {
      const wrapped = function (this: unknown, ...args: unknown[]) {
        return storage.run(store, () => listener.apply(this, args));
      };
      // EventEmitter.listeners() and rawListeners() then still name the original.
      Object.defineProperty(wrapped, 'listener', { value: listener, configurable: true });
      const list = wrappers.get(listener);
      if (list) list.push(wrapped);
      else wrappers.set(listener, [wrapped]);
      return wrapped;
    };
    // `once` adds through `on`: only the outermost call wraps.
    let adding = 0;
    for (const name of ADDERS) {
      const original = target[name] as Adder;
      if (typeof original !== 'function') continue;
      target[name] = function (this: EventEmitter, event: string | symbol, listener: Listener) {
        if (adding > 0 || typeof listener !== 'function') return original.call(this, event, listener);
        adding++;
        try {
          return original.call(this, event, wrap(listener));
        } finally {
          adding--;
        }
      };
    }
    for (const name of REMOVERS) {
      const original = target[name] as Adder;
      if (typeof original !== 'function') continue;
      target[name] = function (this: EventEmitter, event: string | symbol, listener: Listener) {
        const list = typeof listener === 'function' ? wrappers.get(listener) : undefined;
        const registered = this.rawListeners(event) as Listener[];
        // The wrapper that is still registered (once-wrappers name theirs through `.listener`).
        const wrapped = list?.find((w) =>
          registered.some((r) => r === w || (r as { listener?: Listener }).listener === w),
        );
        return original.call(this, event, wrapped ?? listener);
      };
    }
  } catch {
    // A frozen or exotic emitter stays as it is.
  }
}
