/** @tracked */
const maybe: { value?: { n: number } } = { value: { n: 1 } };
maybe.value!.n += 1;
(maybe.value as { n: number }).n++;
const n = (maybe satisfies object).value!.n;
console.log(n);
