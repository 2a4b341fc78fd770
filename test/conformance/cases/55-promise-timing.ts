// Tracing must not change when promises settle: the order of every reaction below is printed and must
// match the uninstrumented program exactly.
const order: string[] = [];
const log = (s: string) => order.push(s);

/** @tracked */ let active = 0;

/** @traced */
async function a() {
  return 'a';
}
a().then(() => log('a'));
Promise.resolve().then(() => log('b'));

/** @traced */
async function step(n: number) {
  active++;
  await null;
  active--;
  return n;
}

// A queue with concurrency 1 (the shape of p-queue): add() resolves when the task completes.
class Queue {
  private tail: Promise<unknown> = Promise.resolve();
  /** @traced */
  async add(n: number) {
    const run = this.tail.then(() => step(n));
    this.tail = run;
    return run;
  }
}
const q = new Queue();
for (const n of [1, 2, 3]) q.add(n).then((v) => log(`added${v}`));
q.add(4).then(() => log('idle'));

// A mutex made of a promise chain (the shape of async-mutex's runExclusive).
let lock: Promise<void> = Promise.resolve();
/** @traced */
async function runExclusive<T>(fn: () => Promise<T>) {
  const previous = lock;
  let release!: () => void;
  lock = new Promise<void>((resolve) => (release = resolve));
  await previous;
  try {
    return await fn();
  } finally {
    release();
  }
}
runExclusive(() => step(10)).then((v) => log(`ex${v}`));
runExclusive(() => step(20)).then((v) => log(`ex${v}`));

// A limiter (the shape of p-limit).
/** @traced */
const limited = async (fn: () => Promise<number>) => fn();
Promise.all([limited(() => step(5)), limited(() => step(6))]).then((vs) => log(`all${vs.join('+')}`));
Promise.race([step(7), a()]).then((v) => log(`race${v}`));
(async () => {
  log(`awaited${await step(8)}`);
  log(`returned${await (async () => step(9))()}`);
})();

setTimeout(() => console.log(order.join(' ')));
