/**
 * How a call on tracked state is recorded, by method name: the SDK records these built-in methods as writes
 * (or entry reads) of the receiver, any other method as a read; `raceway annotate` ranks state mutated
 * through them as written. One list, so a suggestion matches what a build records.
 */
export const ARRAY_MUTATORS: ReadonlySet<string> = new Set([
  'push',
  'pop',
  'shift',
  'unshift',
  'splice',
  'sort',
  'reverse',
  'fill',
  'copyWithin',
]);

/** Map methods recorded as reads of one entry. */
export const MAP_READS: ReadonlySet<string> = new Set(['get', 'has']);

/** Map methods recorded as writes: of one entry (`set`, `delete`), of every entry (`clear`). */
export const MAP_WRITES: ReadonlySet<string> = new Set(['set', 'delete', 'clear']);

/** Set methods recorded as writes of one entry (`clear` writes every entry). */
export const SET_WRITES: ReadonlySet<string> = new Set(['add', 'delete']);

/** Every method name that changes the collection it is called on. */
export const MUTATING_METHODS: ReadonlySet<string> = new Set([...ARRAY_MUTATORS, ...MAP_WRITES, ...SET_WRITES]);
