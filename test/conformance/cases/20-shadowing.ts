/** @tracked */
let value = 1;
function inner() {
  let value = 100;
  value += 1;
  return value;
}
function outer() {
  value += 1;
  return value;
}
console.log(inner(), outer());
