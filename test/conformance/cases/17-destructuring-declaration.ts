const source = { a: 1, b: { c: 2 }, rest1: 3, rest2: 4 };
/** @tracked */
const { a, b: { c }, ...others } = source;
console.log(a, c, Object.keys(others).join(','));
