/** @tracked */
const table: Record<string, number> = { k1: 1 };
let conversions = 0;
const key = { toString() { conversions++; return 'k1'; } };
table[key as any] = table[key as any] + 1;
table[key as any] += 1;
console.log(table.k1, conversions);
