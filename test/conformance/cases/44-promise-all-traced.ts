/** @tracked */
let stock = 10;
/** @traced */
async function reserve(n: number) {
  const s = stock;
  await null;
  stock = s - n;
}
async function main() {
  await Promise.all([reserve(1), reserve(2)]);
  await reserve(3);
  console.log(stock);
}
main();
