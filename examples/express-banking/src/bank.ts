/** The bank's state and its two ways of moving money. */
import { raceway } from './raceway.js';

/** @tracked */
export const accounts: Record<string, { balance: number }> = {
  alice: { balance: 1000 },
  bob: { balance: 1000 },
};

/** Stands in for a database round trip. */
function saveToDatabase(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10));
}

/**
 * Reads the balance, awaits the database, writes the balance computed from the stale read:
 * two concurrent transfers lose one of the debits.
 */
/** @traced */
export async function transfer(from: string, to: string, amount: number): Promise<void> {
  const balance = accounts[from]!.balance;
  if (balance < amount) throw new Error(`insufficient funds in ${from}`);
  await saveToDatabase();
  accounts[from]!.balance = balance - amount;
  accounts[to]!.balance += amount;
}

/** The same transfer holding both accounts' locks, always taken in the same order. */
/** @traced */
export async function transferSafely(from: string, to: string, amount: number): Promise<void> {
  const [first, second] = [from, to].sort();
  await raceway.withLock(`account:${first}`, () => raceway.withLock(`account:${second}`, () => transfer(from, to, amount)));
}
