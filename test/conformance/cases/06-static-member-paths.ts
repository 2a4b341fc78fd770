/** @tracked */
const accounts = { alice: { balance: 100 }, bob: { balance: 50 } };
accounts.alice.balance -= 30;
accounts.bob.balance = accounts.bob.balance + 30;
accounts['bob'].balance++;
console.log(accounts.alice.balance, accounts.bob.balance);
