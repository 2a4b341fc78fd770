/**
 * The runtime entry that emitted code calls (`@raceway/runtime/instrument`, INSTRUMENT_API 4).
 * Both instrumenters emit calls to exactly these names.
 */
export const DEFAULT_RUNTIME_MODULE = '@raceway/runtime/instrument';

export const Entry = {
  /** read(name, value, location) → value */
  read: 'read',
  /** write(name, oldValue, newValue, location) → newValue */
  write: 'write',
  /** boundary(): a new synchronous segment begins (after await / yield) */
  boundary: 'boundary',
  /** resume(value) → value, with a boundary: wraps `await x` / `yield x` */
  resume: 'resume',
  /** gate(value) → value itself, or a promise of it while an exploration schedule holds the unit: `await gate(x)` */
  gate: 'gate',
  /** path(root, ...keys) → the variable name for a dynamic path */
  path: 'path',
  /** peek(object, key) → the current value without running getters */
  peek: 'peek',
  /** method(receiver, fn, methodName, args, receiverName, location) → fn's result */
  method: 'method',
  /** callAsync(name, module, location, args, fn) */
  callAsync: 'callAsync',
  /** callSync(name, module, location, args, fn) */
  callSync: 'callSync',
  /** enter(name, module, location, args): a traced generator started */
  enter: 'enter',
  /** scope(functionName) → "functionName#n": the name of one call of a function that declares tracked bindings */
  scope: 'scope',
  /** instance(object, className) → "Class#n" */
  instance: 'instance',
  /** trackField(object, ownerName, fieldName, location): turns a data field into a tracked accessor */
  trackField: 'trackField',
  /** initField(object, ownerName, fieldName, value, location) → value: wraps a tracked field's initialiser */
  initField: 'initField',
  /** assignField(object, ownerName, fieldName, value, location) → value: `this.field = value` in the class, for a field declared without initialiser */
  assignField: 'assignField',
  /** args(value, mode) → the args summary for a call event */
  args: 'args',
} as const;

export type EntryName = (typeof Entry)[keyof typeof Entry];

/** Local name of the entry namespace in emitted code (made unique per file by each host). */
export const ENTRY_LOCAL = '__raceway';

/** Comment placed at the top of an instrumented file; a file that has it is not instrumented again. */
export const INSTRUMENTED_MARKER = '@raceway-instrumented';
