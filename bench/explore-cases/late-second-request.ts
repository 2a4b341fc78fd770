// Predicted only: the second withdrawal starts long after the first one's gap.
import { RacewayClient } from '@raceway/runtime';

const raceway = RacewayClient.fromEnv({ serviceName: 'bank' });
/** @tracked */
const accounts: Record<string, { balance: number }> = { alice: { balance: 100 } };

/** @traced */
async function withdraw(amount: number): Promise<void> {
  const balance = accounts.alice.balance;
  await new Promise((resolve) => setTimeout(resolve, 2));
  accounts.alice.balance = balance - amount;
}

const first = raceway.startTrace('first', () => withdraw(10));
await new Promise((resolve) => setTimeout(resolve, 40));
await Promise.all([first, raceway.startTrace('second', () => withdraw(20))]);
console.log('balance', accounts.alice.balance);
await raceway.shutdown();
