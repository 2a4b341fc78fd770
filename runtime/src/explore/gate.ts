import { currentTask } from '../context/storage.js';
import { explorer } from './active.js';

/**
 * `await gate(x)`: `x` itself, so the await behaves exactly as written, unless an exploration schedule
 * (`raceway run --explore`) holds this unit here; then a promise of `x` that settles once it is released.
 */
export function gate<T>(value: T): T | Promise<Awaited<T>> {
  if (explorer === undefined) return value;
  try {
    return explorer.gate(value, currentTask());
  } catch {
    return value;
  }
}
