/** @tracked */
const accounts: Record<string, { balance: number }> = { alice: { balance: 100 }, 'bob-2': { balance: 7 } };
let evaluations = 0;
const key = (k: string) => { evaluations++; return k; };
accounts[key('alice')].balance -= 10;
accounts[key('bob-2')].balance += 1;
const who = 'alice';
console.log(accounts[who].balance, accounts[key('bob-2')].balance, evaluations);
