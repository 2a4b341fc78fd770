/** @tracked */
const registry = {
  items: [] as string[],
  label: 'reg',
  add(item: string) { this.items.push(item); return this.label; },
};
console.log(registry.add('a'), registry.items.length);
const nested = { inner: { name: 'in', who() { return this.name; } } };
/** @tracked */
const root = nested;
console.log(root.inner.who());
