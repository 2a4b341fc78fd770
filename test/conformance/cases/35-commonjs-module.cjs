const path = require('node:path');
/** @tracked */
const registry = {};
function register(name) {
  registry[name] = path.basename('/x/' + name);
  return Object.keys(registry).length;
}
module.exports = { register };
console.log(register('a'), register('b'));
