/** @tracked */
const cfg = { n: 5 };
function f(x = cfg.n) {
  return x;
}
console.log(f(), f(2), f.length);
function g(a = cfg.n) {
  var cfg = { n: 'inner' };
  return [a, cfg.n];
}
console.log(g());
const opts = ({ maxAge = cfg.n } = {}) => maxAge;
console.log(opts(), opts({ maxAge: 1 }), opts.length);
