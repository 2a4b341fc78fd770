/** @tracked */
let port = 8080;
/** @tracked */
let host = 'localhost';
const cfg = { host, port };
({ host, port } = { host: 'example', port: 1 });
console.log(JSON.stringify(cfg), host, port);
