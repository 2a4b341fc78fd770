// Correct: a lock the detector cannot see (a flag, polled). Predicted, never possible.
import { RacewayClient } from '@raceway/runtime';

const raceway = RacewayClient.fromEnv({ serviceName: 'bank' });
/** @tracked */
const accounts: Record<string, { balance: number }> = { alice: { balance: 100 } };
let busy = false;

/** @traced */
async function withdraw(amount: number): Promise<void> {
  while (busy) await new Promise((resolve) => setTimeout(resolve, 1));
  busy = true;
  const balance = accounts.alice.balance;
  await new Promise((resolve) => setTimeout(resolve, 2));
  accounts.alice.balance = balance - amount;
  busy = false;
}

await Promise.all([raceway.startTrace('first', () => withdraw(10)), raceway.startTrace('second', () => withdraw(20))]);
console.log('balance', accounts.alice.balance);
await raceway.shutdown();
