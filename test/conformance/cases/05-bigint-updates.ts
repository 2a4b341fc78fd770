/** @tracked */
let big = 10n;
big++;
++big;
big += 5n;
const old = big--;
console.log(String(big), String(old));
