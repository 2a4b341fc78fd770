/** @tracked */
let a: number | null = null;
/** @tracked */
let b = 0;
/** @tracked */
let c = 5;
const side = (v: number) => { console.log('evaluated', v); return v; };
a ??= side(1);
a ??= side(2);
b ||= side(3);
b ||= side(4);
c &&= side(6);
console.log(a, b, c);
