/** Appends `items` to `target` one by one: `push(...items)` overflows the stack for large arrays. */
export function append<T>(target: T[], items: readonly T[]): T[] {
  for (const item of items) target.push(item);
  return target;
}
