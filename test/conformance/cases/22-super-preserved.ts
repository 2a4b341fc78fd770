/** @tracked */
let calls = 0;
class Base { greet() { calls++; return 'base'; } }
class Child extends Base {
  greet() { calls++; return `child+${super.greet()}`; }
}
console.log(new Child().greet(), calls);
