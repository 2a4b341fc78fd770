// A script: no import, no export. Compiled to CommonJS it must stay runnable.
/** @tracked */
let hits = 0;
function hit() {
  hits++;
  return hits;
}
hit();
console.log(hit(), typeof require);
