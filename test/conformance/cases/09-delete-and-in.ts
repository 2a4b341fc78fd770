/** @tracked */
const cache: Record<string, string> = { a: 'x', b: 'y' };
const k = 'a';
console.log(k in cache, 'b' in cache);
console.log(delete cache[k]);
console.log(k in cache, Object.keys(cache).join(','));
