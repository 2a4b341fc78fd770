import type { Recorder } from '../record/recorder.js';
import { state } from '../context/process-state.js';

/** Tracked fields by object: field → the accessor's getter and its current value (read without recording). */
const trackedValues = new WeakMap<object, Map<PropertyKey, { get: () => unknown; value: () => unknown }>>();

/**
 * `Object.defineProperty(this, 'x', { writable: false })` on a data field keeps its value; on the accessor
 * a tracked field is, the same descriptor would turn it into a data property holding `undefined`. The
 * property-defining functions are wrapped once per process to supply the tracked value in that case (the
 * field then is a plain data property again, no longer tracked), with the attributes it had. Nothing else
 * about them changes.
 */
function keepValuesOnRedefine(): void {
  if (state.installed.has('define-property')) return;
  state.installed.add('define-property');
  const defineProperty = Object.defineProperty;
  const defineProperties = Object.defineProperties;
  const reflectDefine = Reflect.defineProperty;
  /** The descriptor to define instead, when `key` of `target` is still one of our accessors; else undefined. */
  const withValue = (
    target: unknown,
    key: PropertyKey,
    descriptor: PropertyDescriptor,
  ): PropertyDescriptor | undefined => {
    if ((typeof target !== 'object' && typeof target !== 'function') || target === null) return undefined;
    if (
      descriptor === null ||
      typeof descriptor !== 'object' ||
      'value' in descriptor ||
      'get' in descriptor ||
      'set' in descriptor
    )
      return undefined;
    const tracked = trackedValues.get(target)?.get(typeof key === 'symbol' ? key : String(key));
    const current = tracked && Object.getOwnPropertyDescriptor(target, key);
    if (!tracked || current?.get !== tracked.get) return undefined;
    return {
      value: tracked.value(),
      writable: true,
      enumerable: current.enumerable,
      configurable: current.configurable,
      ...descriptor,
    };
  };
  const forget = (target: unknown, key: PropertyKey) =>
    trackedValues.get(target as object)?.delete(typeof key === 'symbol' ? key : String(key));
  Object.defineProperty = function defineProperty_(target: unknown, key: PropertyKey, descriptor: PropertyDescriptor) {
    const replaced = withValue(target, key, descriptor);
    if (!replaced) return defineProperty(target, key, descriptor);
    const result = defineProperty(target, key, replaced);
    forget(target, key);
    return result;
  } as typeof Object.defineProperty;
  Object.defineProperties = function defineProperties_(target: unknown, descriptors: PropertyDescriptorMap) {
    if (!trackedValues.has(target as object) || descriptors === null || typeof descriptors !== 'object')
      return defineProperties(target, descriptors);
    const adjusted: PropertyDescriptorMap = {};
    const replacedKeys: PropertyKey[] = [];
    for (const key of Reflect.ownKeys(descriptors)) {
      if (!Object.getOwnPropertyDescriptor(descriptors, key)?.enumerable) continue;
      const given = descriptors[key as string]!;
      const replaced = withValue(target, key, given);
      if (replaced) replacedKeys.push(key);
      adjusted[key as string] = replaced ?? given;
    }
    const result = defineProperties(target, adjusted);
    for (const key of replacedKeys) forget(target, key);
    return result;
  } as typeof Object.defineProperties;
  Reflect.defineProperty = function defineProperty(target: object, key: PropertyKey, descriptor: PropertyDescriptor) {
    const replaced = withValue(target, key, descriptor);
    if (!replaced) return reflectDefine(target, key, descriptor);
    const done = reflectDefine(target, key, replaced);
    if (done) forget(target, key);
    return done;
  };
  for (const [name, fn] of [
    ['defineProperty', Object.defineProperty],
    ['defineProperties', Object.defineProperties],
    ['defineProperty', Reflect.defineProperty],
  ] as const) {
    defineProperty(fn, 'name', { value: name });
  }
}

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
 * `makeQueue#3`: the third call of a function that declares tracked bindings. Numbered with the instances
 * (one counter per name), so a call and an instance never share a name.
 */
export function callScopeName(functionName: string): string {
  const n = (counters.get(functionName) ?? 0) + 1;
  counters.set(functionName, n);
  return `${functionName}#${n}`;
}

/**
 * Turns the data field `field` of `object` into an own, enumerable accessor with the same value, whose
 * reads and writes are recorded as `Class#n.field`. Runs right after the field was defined, so the
 * object keeps its shape for Object.keys, spread and JSON.
 */
export function trackField(
  recorder: () => Recorder,
  object: object,
  className: string,
  field: string | symbol,
  location: string,
): void {
  // Absent: the field is created later, by an assignment (fields compiled to constructor assignments, or
  // declared without initialiser). It becomes tracked then (initField, assignField): defining it now would
  // put it `in` the object and first in its key order before the program creates it.
  const descriptor = Object.getOwnPropertyDescriptor(object, field);
  if (!descriptor || !('value' in descriptor) || !descriptor.configurable) return;
  makeTracked(recorder, object, className, field, location, descriptor, true);
}

/**
 * A tracked field's initialiser: `field = initField(this, …, value)`. With assignment semantics (tsc with
 * `useDefineForClassFields: false`, Babel's loose class properties) the field is created by the assignment
 * that follows, which then goes through the accessor defined here and is recorded. With define semantics
 * the field definition replaces this accessor and `trackField`, emitted right after, tracks the field.
 */
export function initField(
  recorder: () => Recorder,
  object: object,
  className: string,
  field: string,
  _value: unknown,
  location: string,
): void {
  if (Object.getOwnPropertyDescriptor(object, field) || !Object.isExtensible(object)) return;
  makeTracked(
    recorder,
    object,
    className,
    field,
    location,
    { value: undefined, writable: true, enumerable: true, configurable: true },
    false,
  );
}

/**
 * `this.field = value` inside the class, for a tracked field declared without initialiser: assigns exactly
 * as the program would (a setter up the prototype chain runs, a frozen object throws: class code is strict),
 * then tracks the field if the assignment created or changed an own data property.
 */
export function assignField(
  recorder: () => Recorder,
  object: object,
  className: string,
  field: string,
  value: unknown,
  location: string,
): void {
  if (!Reflect.set(object, field, value))
    throw new TypeError(`Cannot assign to read only property '${field}' of object`);
  try {
    trackField(recorder, object, className, field, location);
  } catch {
    // The assignment happened; the field stays a plain data property.
  }
}

function makeTracked(
  recorder: () => Recorder,
  object: object,
  className: string,
  field: string | symbol,
  location: string,
  descriptor: PropertyDescriptor,
  recordNow: boolean,
): void {
  let value: unknown = descriptor.value;
  const name = `${instanceName(object, className)}.${String(field)}`;
  keepValuesOnRedefine();
  let values = trackedValues.get(object);
  if (!values) trackedValues.set(object, (values = new Map()));
  const get = () => {
    recorder().stateChange(name, value, value, 'Read', location);
    return value;
  };
  values.set(field, { get, value: () => value });
  if (recordNow) recorder().stateChange(name, undefined, value, 'Write', location);
  Object.defineProperty(object, field, {
    configurable: true,
    enumerable: descriptor.enumerable ?? true,
    get,
    set(this: object, next: unknown) {
      if (this !== object) {
        // Assigned through an object that inherits the field (a subclass for a static field, an
        // Object.create child): as for an inherited data property, the receiver gets a field of its own.
        if (!descriptor.writable) throw new TypeError(`Cannot assign to read only property '${String(field)}'`);
        Object.defineProperty(this, field, { value: next, writable: true, enumerable: true, configurable: true });
        trackField(
          recorder,
          this,
          typeof this === 'function' ? (this as { name?: string }).name || className : className,
          field,
          location,
        );
        return;
      }
      // A frozen object's fields are read-only: class code (strict) gets the TypeError a data field gives.
      if (!descriptor.writable || Object.isFrozen(object))
        throw new TypeError(`Cannot assign to read only property '${String(field)}' of object`);
      recorder().stateChange(name, value, next, 'Write', location);
      value = next;
    },
  });
}
