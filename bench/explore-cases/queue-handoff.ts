// Correct: each job starts only when the previous one is done, through a queue the detector does not see.
import { RacewayClient } from '@raceway/runtime';

const raceway = RacewayClient.fromEnv({ serviceName: 'worker' });
/** @tracked */
const totals = { done: 0 };
const waiting: Array<() => void> = [];
let running = false;

function next(): void {
  const start = waiting.shift();
  if (start) start();
  else running = false;
}

/** @traced */
async function job(): Promise<void> {
  const done = totals.done;
  await new Promise((resolve) => setTimeout(resolve, 2));
  totals.done = done + 1;
}

function enqueue(name: string): Promise<void> {
  return new Promise((resolve) => {
    const start = () => raceway.startTrace(name, () => job()).then(() => (resolve(), next()));
    if (running) waiting.push(start);
    else {
      running = true;
      start();
    }
  });
}

await Promise.all([enqueue('a'), enqueue('b'), enqueue('c')]);
console.log('done', totals.done);
await raceway.shutdown();
