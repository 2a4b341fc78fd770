/** @tracked */
let phase = 'start';
function run() {
  try {
    phase = 'try';
    throw new Error('x');
  } catch {
    phase = 'catch';
    return phase;
  } finally {
    phase = 'finally';
  }
}
console.log(run(), phase);
