'use strict';
/** @tracked */
let flag = false;
function isStrict() { return this === undefined; }
flag = isStrict();
try {
  undeclaredVariable = 1;
} catch (e) {
  console.log(e.name);
}
console.log(flag);
