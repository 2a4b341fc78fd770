// Redefining a tracked field the way code does for a plain data field keeps its value.
class Config {
  /** @tracked */ port = 8080;
  /** @tracked */ host = 'localhost';
  /** @tracked */ retries = 3;
  constructor() {
    Object.defineProperty(this, 'port', { writable: false });
    Object.defineProperties(this, { host: { enumerable: false } });
    Reflect.defineProperty(this, 'retries', { configurable: false });
  }
  bump() {
    try {
      this.port = 9090;
      return 'changed';
    } catch (error) {
      return (error as Error).constructor.name;
    }
  }
}
const c = new Config();
console.log(c.port, c.host, c.retries, c.bump(), c.port, Object.keys(c).join(','), JSON.stringify(c));
const d = Object.getOwnPropertyDescriptor(c, 'port')!;
console.log(d.writable, d.enumerable, 'value' in d, Object.defineProperty.name, Object.defineProperty.length, Reflect.defineProperty.name);
// Once a plain data property again, later redefinitions and assignments behave as for any data property.
c.host = 'example.org';
Object.defineProperty(c, 'host', { enumerable: true });
const h = Object.getOwnPropertyDescriptor(c, 'host')!;
console.log(c.host, h.enumerable, h.configurable, h.writable, JSON.stringify(c));
