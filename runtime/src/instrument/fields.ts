import type { Recorder } from '../record/recorder.js';

/** `Account#3`: instances of one class are numbered in the order they are first seen. */
const instanceNames = new WeakMap<object, string>();
const counters = new Map<string, number>();

export function instanceName(object: unknown, className: string): string {
  if ((typeof object !== 'object' && typeof object !== 'function') || object === null) return className;
  let name = instanceNames.get(object);
  if (!name) {
    if (typeof object === 'function') {
      name = className; // static fields: the class itself
    } else {
      const n = (counters.get(className) ?? 0) + 1;
      counters.set(className, n);
      name = `${className}#${n}`;
    }
    instanceNames.set(object, name);
  }
  return name;
}

/**
 * Turns the data field `field` of `object` into an own, enumerable accessor with the same value, whose
 * reads and writes are recorded as `Class#n.field`. Runs right after the field was defined, so the
 * object keeps its shape for Object.keys, spread and JSON.
 */
export function trackField(recorder: () => Recorder, object: object, className: string, field: string | symbol, location: string): void {
  // Absent: the field is assigned later (fields compiled to constructor assignments); the setter records it.
  const descriptor = Object.getOwnPropertyDescriptor(object, field) ?? { value: undefined, writable: true, enumerable: true, configurable: true, absent: true };
  if (!('value' in descriptor) || !descriptor.configurable) return;
  let value: unknown = descriptor.value;
  const name = `${instanceName(object, className)}.${String(field)}`;
  if (!('absent' in descriptor)) recorder().stateChange(name, undefined, value, 'Write', location);
  Object.defineProperty(object, field, {
    configurable: true,
    enumerable: descriptor.enumerable ?? true,
    get() {
      recorder().stateChange(name, value, value, 'Read', location);
      return value;
    },
    set(this: object, next: unknown) {
      if (this !== object) {
        // Assigned through an object that inherits the field (a subclass for a static field, an
        // Object.create child): as for an inherited data property, the receiver gets a field of its own.
        if (!descriptor.writable) throw new TypeError(`Cannot assign to read only property '${String(field)}'`);
        Object.defineProperty(this, field, { value: next, writable: true, enumerable: true, configurable: true });
        trackField(recorder, this, typeof this === 'function' ? (this as { name?: string }).name || className : className, field, location);
        return;
      }
      // A frozen object's fields are read-only: class code (strict) gets the TypeError a data field gives.
      if (!descriptor.writable || Object.isFrozen(object)) throw new TypeError(`Cannot assign to read only property '${String(field)}' of object`);
      recorder().stateChange(name, value, next, 'Write', location);
      value = next;
    },
  });
}
