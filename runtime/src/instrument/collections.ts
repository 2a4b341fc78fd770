import { ARRAY_MUTATORS, MAP_READS, SET_WRITES } from '@raceway/protocol';
import type { Recorder } from '../record/recorder.js';
import { entryName } from './paths.js';

const mapProto = Map.prototype as unknown as Record<string, unknown>;
const setProto = Set.prototype as unknown as Record<string, unknown>;
const arrayProto = Array.prototype as unknown as Record<string, unknown>;
const mapGet = Map.prototype.get;
const mapHas = Map.prototype.has;
const setHas = Set.prototype.has;

/**
 * Calls `fn` on `receiver` exactly as `receiver.method(...args)` would, and records what the call did
 * to tracked state: Map/Set entry reads and writes, array mutations as writes of the array, any other
 * method as a read of the receiver. Only the built-in methods are interpreted; an override is a plain call.
 */
export function callMethod(
  recorder: Recorder,
  receiver: unknown,
  fn: unknown,
  method: unknown,
  args: unknown[],
  receiverName: string,
  location: string,
): unknown {
  if (typeof fn !== 'function') {
    throw new TypeError(`${receiverName}.${String(method)} is not a function`);
  }
  const name = typeof method === 'symbol' ? method.toString() : String(method);
  if (receiver instanceof Map && fn === mapProto[name]) {
    const key = args[0];
    if (MAP_READS.has(name)) {
      const result = Reflect.apply(fn, receiver, args);
      recorder.stateChange(
        entryName(receiverName, key),
        undefined,
        name === 'get' ? result : mapGet.call(receiver, key),
        'Read',
        location,
      );
      return result;
    }
    if (name === 'set' || name === 'delete') {
      const existed = mapHas.call(receiver, key);
      const old = mapGet.call(receiver, key);
      const result = Reflect.apply(fn, receiver, args);
      if (name === 'set' || existed)
        recorder.stateChange(
          entryName(receiverName, key),
          old,
          name === 'set' ? args[1] : undefined,
          'Write',
          location,
        );
      else recorder.stateChange(entryName(receiverName, key), undefined, undefined, 'Read', location);
      return result;
    }
    if (name === 'clear') {
      const result = Reflect.apply(fn, receiver, args);
      recorder.stateChange(receiverName, undefined, shape(receiver), 'Write', location);
      return result;
    }
  } else if (receiver instanceof Set && fn === setProto[name]) {
    const value = args[0];
    if (name === 'has') {
      const result = Reflect.apply(fn, receiver, args);
      recorder.stateChange(entryName(receiverName, value), undefined, result, 'Read', location);
      return result;
    }
    if (SET_WRITES.has(name)) {
      const had = setHas.call(receiver, value);
      const result = Reflect.apply(fn, receiver, args);
      recorder.stateChange(entryName(receiverName, value), had, setHas.call(receiver, value), 'Write', location);
      return result;
    }
    if (name === 'clear') {
      const result = Reflect.apply(fn, receiver, args);
      recorder.stateChange(receiverName, undefined, shape(receiver), 'Write', location);
      return result;
    }
  } else if (Array.isArray(receiver) && fn === arrayProto[name] && ARRAY_MUTATORS.has(name)) {
    const before = receiver.length;
    const result = Reflect.apply(fn, receiver, args);
    recorder.stateChange(receiverName, shape(receiver, before), shape(receiver), 'Write', location);
    return result;
  }
  const result = Reflect.apply(fn, receiver, args);
  recorder.stateChange(receiverName, undefined, shape(receiver), 'Read', location);
  return result;
}

/**
 * What a method call on a collection reports as its value: the collection's kind and size, not a copy of
 * its contents (a copy per `push` would cost more than the push).
 */
function shape(value: unknown, length?: number): string {
  if (Array.isArray(value)) return `[Array(${length ?? value.length})]`;
  if (value instanceof Map || value instanceof Set) return `[${value instanceof Map ? 'Map' : 'Set'}(${value.size})]`;
  if (typeof value === 'object' && value !== null) return `[${(value as object).constructor?.name ?? 'Object'}]`;
  return typeof value;
}
