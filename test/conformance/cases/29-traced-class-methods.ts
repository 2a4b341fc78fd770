import { traced } from '@raceway/runtime';
/** @tracked */
let ops = 0;
class Ledger {
  entries: number[] = [];
  @traced
  add(v: number) { ops++; this.entries.push(v); return this.entries.length; }
  /** @traced */
  async total() { ops++; await null; return this.entries.reduce((a, b) => a + b, 0); }
  static create() { return new Ledger(); }
}
const l = Ledger.create();
l.add(2); l.add(3);
l.total().then((t) => console.log(t, ops));
