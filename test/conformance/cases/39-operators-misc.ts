/** @tracked */
let mode: string | number = 'x';
console.log(typeof mode, void mode, (mode, 1), mode === 'x' ? 'yes' : 'no');
mode = 2;
switch (mode) {
  case 2: console.log('two'); break;
  default: console.log('other');
}
