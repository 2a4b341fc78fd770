let gets = 0;
let sets = 0;
/** @tracked */
const holder = {
  _v: 1,
  get v() { gets++; return this._v; },
  set v(x) { sets++; this._v = x; },
};
const a = holder.v;
holder.v += 1;
holder.v = 10;
console.log(a, holder._v, gets, sets);
