// Traced async functions whose parameters have defaults, patterns or a rest element: their promises settle
// when the plain build's do, a throwing default rejects (never throws at the call), and `length`,
// `arguments`, `this` and parameter scope are those of the function as written.
const order: string[] = [];
const log = (s: string) => order.push(s);

/** @tracked */ let hits = 0;
const cfg = { n: 5 };

/** @traced */
async function withDefault(x = cfg.n, { y = 1 }: { y?: number } = {}, ...rest: number[]) {
  hits++;
  return `${x}-${y}-${rest.length}-${arguments.length}`;
}
withDefault().then((v) => log(`d:${v}`));
Promise.resolve().then(() => log('tick'));
withDefault(7, { y: 2 }, 1, 2).then((v) => log(`d:${v}`));
console.log('length', withDefault.length);

/** @traced */
async function needsOne(a: number, b = a * 2, [c]: number[] = [b + 1]) {
  var a: number; // the parameter's own binding, as written
  return a + b + c;
}
console.log('length', needsOne.length);
needsOne(1).then((v) => log(`n:${v}`));

/** @traced */
function keeps(v: number) {
  var v: number; // synchronous, simple parameter: still the parameter's binding
  return v * 2;
}
console.log('sync', keeps(4), keeps.length);

const boom = (): number => {
  throw new Error('default failed');
};
/** @traced */
async function throwsInDefault(v = boom()) {
  return v;
}
let thrownAtCall = false;
try {
  throwsInDefault().catch((e: Error) => log(`rejected:${e.message}`));
} catch {
  thrownAtCall = true;
}
console.log('thrown at call', thrownAtCall);

class Counter {
  step = 3;
  /** @traced */
  async add(by = this.step, ...more: number[]) {
    hits += by + more.length;
    return hits;
  }
}
const counter = new Counter();
counter.add().then((v) => log(`m:${v}`));
console.log('length', counter.add.length);

/** @traced */
const arrow = async ({ k }: { k: string } = { k: 'kk' }, tail = k.length) => `${k}${tail}`;
arrow().then((v) => log(`a:${v}`));
console.log('length', arrow.length);

setTimeout(() => console.log(order.join(' '), hits));
