/** @tracked */
let produced = 0;
function* numbers() {
  for (let i = 0; i < 3; i++) {
    produced++;
    yield i;
  }
}
console.log([...numbers()].join(','), produced);
