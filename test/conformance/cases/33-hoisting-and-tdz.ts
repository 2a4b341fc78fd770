console.log(early(2));
/** @traced */
function early(x: number) { return x + offset; }
/** @tracked */
var offset = 1;
try {
  console.log(later);
} catch (e) {
  console.log((e as Error).name);
}
/** @tracked */
let later = 5;
console.log(later, offset);
