/** @tracked */
let balance = 100;
/** @traced */
async function withdraw(amount: number): Promise<number> {
  const b = balance;
  await new Promise((r) => setTimeout(r, 1));
  if (amount > b) throw new Error('insufficient');
  balance = b - amount;
  return balance;
}
async function main() {
  console.log(await withdraw(30));
  await withdraw(1000).catch((e) => console.log('rejected', e.message));
  console.log(balance);
}
main();
