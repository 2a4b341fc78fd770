/** @tracked */
let visits = 0;
outer: for (let i = 0; i < 3; i++) {
  for (let j = 0; j < 3; j++) {
    if (j === 1) continue outer;
    visits++;
  }
}
let k = 0;
while (visits < 5) { visits++; k++; }
do { visits--; } while (visits > 4);
console.log(visits, k);
