/** @tracked */
let total = 0;
async function* source() { yield 1; yield 2; yield 3; }
async function main() {
  for await (const v of source()) {
    total += v;
  }
  console.log(total);
}
main();
