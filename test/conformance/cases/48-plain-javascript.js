/** @tracked */
let visits = { home: 0 };
/** @traced */
function visit(page) {
  visits[page] = (visits[page] ?? 0) + 1;
  return visits[page];
}
visit('home');
visit('about');
console.log(JSON.stringify(visits));
