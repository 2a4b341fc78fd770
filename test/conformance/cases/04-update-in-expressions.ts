/** @tracked */
let i = 1;
const a = i++ + ++i;
const b = i-- - --i;
console.log(a, b, i);
