/** @tracked */
let hits = 0;
/** @traced */
const double = (x: number) => { hits++; return x * 2; };
/** @traced */
const triple = function (x: number) { hits++; return x * 3; };
const quad = /** @traced */ async (x: number) => { hits++; return x * 4; };
quad(1).then((v) => console.log(double(1), triple(1), v, hits));
