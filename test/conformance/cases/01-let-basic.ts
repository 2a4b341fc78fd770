/** @tracked */
let count = 0;
count = 1;
count += 2;
count++;
--count;
console.log(count);
