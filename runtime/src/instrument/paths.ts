/**
 * Variable-name notation, identical to @raceway/instrument-core's `formatKey` (a test checks both):
 * `.key` for identifier keys (and #private names), `[key]` for any other key.
 */
const IDENTIFIER = /^#?[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Text of a key for a name. Objects are not converted: their toString could run application code. */
export function keyText(key: unknown): string {
  if (typeof key === 'symbol') return key.toString();
  if ((typeof key === 'object' && key !== null) || typeof key === 'function') return '[object]';
  return String(key);
}

export function formatKey(key: unknown): string {
  const text = keyText(key);
  return IDENTIFIER.test(text) ? `.${text}` : `[${text}]`;
}

/** `accounts` + ['alice', 'balance'] → `accounts.alice.balance` */
export function formatPath(root: string, keys: readonly unknown[]): string {
  let name = root;
  for (const k of keys) name += formatKey(k);
  return name;
}

/** Map and Set entries are always bracketed: they are not properties. */
export function entryName(collection: string, key: unknown): string {
  return `${collection}[${keyText(key)}]`;
}
