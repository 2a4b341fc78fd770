/** @tracked */
const state = { n: 1, list: [1, 2, 3] };
const copy = { ...state };
const items = [...state.list, 4];
const sum = (...v: number[]) => v.reduce((p, q) => p + q, 0);
console.log(copy.n, items.length, sum(...state.list), Math.max(...state.list));
