/** @tracked */
let depth = 0;
/** @traced */
function fib(n: number): number {
  depth++;
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
console.log(fib(5), depth);
