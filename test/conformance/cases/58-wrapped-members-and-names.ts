/** @tracked */ const counter = { n: 0, inc() { this.n++; return this.n; } };
/** @tracked */ const items = [1, 2, 3];

// A method reached through `!` is still called on its object.
console.log(counter.inc!(), (counter.inc as () => number)());
// A key written as a plain template is the same key as `.n`.
console.log(counter[`n`]);
// The iterated collection is read.
let sum = 0;
for (const v of items) sum += v;
console.log(sum);

// State declared in a function is named after the function, however its key is written.
const api = {
  ['make-queue']() {
    /** @tracked */ let size = 0;
    size += 1;
    return size;
  },
};
class Worker {
  done: number;
  constructor() {
    /** @tracked */ let started = 1;
    this.done = started;
  }
}
console.log(api['make-queue'](), new Worker().done);
