/** @tracked */
export let counter = 0;
/** @tracked */
export const store: { items: string[] } = { items: [] };
export function bump() { counter++; store.items.push(String(counter)); }
bump(); bump();
console.log(counter, store.items.join('|'));
