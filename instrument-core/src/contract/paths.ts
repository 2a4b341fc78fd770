/**
 * Variable names in events: one notation whatever syntax reached the value, so `accounts.alice.balance`
 * and `accounts[name].balance` (with name === 'alice') name the same variable:
 *   - a property key that is an identifier (or a #private name): `.key`
 *   - any other property key (numbers, 'a-b', symbols): `[key]`
 *   - a Map or Set entry: `[key]`
 * The runtime's `path()` formats dynamic keys with the same function.
 */
const IDENTIFIER = /^#?[A-Za-z_$][A-Za-z0-9_$]*$/;

export function formatKey(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${key}]`;
}

export function staticPath(root: string, keys: readonly string[]): string {
  let name = root;
  for (const k of keys) name += formatKey(k);
  return name;
}

export function isIdentifierName(name: string): boolean {
  return IDENTIFIER.test(name);
}
