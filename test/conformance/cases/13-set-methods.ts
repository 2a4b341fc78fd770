/** @tracked */
const seen = new Set<string>();
seen.add('a');
console.log(seen.has('a'), seen.has('b'));
seen.delete('a');
seen.add('b');
seen.clear();
console.log(seen.size);
