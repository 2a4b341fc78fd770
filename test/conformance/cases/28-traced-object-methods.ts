/** @tracked */
let stock = 3;
const inventory = {
  /** @traced */
  reserve(n: number) { stock -= n; return stock; },
  /** @traced */
  release: (n: number) => { stock += n; return stock; },
};
console.log(inventory.reserve(2), inventory.release(1));
