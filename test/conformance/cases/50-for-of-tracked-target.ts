/** @tracked */
let current = '';
/** @tracked */
const state = { last: 0 };
for (current of ['a', 'b']) console.log(current);
for (state.last of [1, 2, 3]) console.log(state.last);
for (const k in { x: 1 }) console.log(k);
console.log(current, state.last);
