/** @tracked */
let log: string[] = [];
async function step(name: string) {
  log.push(name + ':start');
  await new Promise((r) => setImmediate(r));
  log.push(name + ':end');
}
async function main() {
  await step('a');
  const untracked = async () => { await null; return 1; };
  await untracked();
  console.log(log.join(' '));
}
main();
