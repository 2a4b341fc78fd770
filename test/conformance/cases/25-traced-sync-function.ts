/** @tracked */
let audits = 0;
/** @traced */
function check(amount: number): number {
  audits++;
  if (amount < 0) throw new RangeError('negative');
  return amount * 2;
}
console.log(check(2));
try { check(-1); } catch (e) { console.log((e as Error).name, (e as Error).message); }
console.log(audits);
