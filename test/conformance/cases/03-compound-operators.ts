/** @tracked */
let n = 10;
n -= 3; n *= 4; n /= 2; n %= 5; n **= 3; n <<= 2; n >>= 1; n >>>= 0; n |= 8; n &= 12; n ^= 5;
console.log(n);
/** @tracked */
let s = 'a';
s += 'b';
console.log(s);
