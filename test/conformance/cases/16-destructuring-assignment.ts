/** @tracked */
let x = 1;
/** @tracked */
let y = 2;
/** @tracked */
const box = { left: 0, right: 0 };
[x, y] = [y, x];
({ a: box.left, b: box.right = 5 } = { a: 7 } as any);
const r = ([x] = [42]);
console.log(x, y, box.left, box.right, r.join(','));
