import { callTracedAsync, callTracedSync } from '../context/traced-call.js';
import { reportOnce } from '../diag/diagnostics.js';
import { trackField } from '../instrument/fields.js';
import { recorder } from '../instrument/index.js';

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && fn.constructor?.name === 'AsyncFunction';
}

function classNameOf(object: unknown): string {
  if (typeof object === 'function') return object.name || 'anonymous';
  return (object as { constructor?: { name?: string } } | null)?.constructor?.name || 'Object';
}

function wrapMethod(fn: AnyFn, methodName: string): AnyFn {
  const isAsync = isAsyncFunction(fn);
  return function (this: unknown, ...args: unknown[]) {
    const site = { name: `${classNameOf(this)}.${methodName}`, module: 'decorated', location: '' };
    return isAsync
      ? callTracedAsync(recorder(), site, args, () => fn.apply(this, args) as Promise<unknown>)
      : callTracedSync(recorder(), site, args, () => fn.apply(this, args));
  };
}

/**
 * `@tracked` on a class field. Built with @raceway/transformer or @raceway/babel-plugin, the decorator
 * is compiled away into direct instrumentation; in an untransformed build this runtime version tracks
 * the field (TC39 decorators, or `experimentalDecorators` with [[Set]] field semantics).
 */
/** Standard (TC39) field decorator. */
export function tracked<This, Value>(value: undefined, context: ClassFieldDecoratorContext<This, Value>): void;
/** `experimentalDecorators` property decorator. */
export function tracked(target: object, key: string | symbol): void;
export function tracked(valueOrTarget: unknown, contextOrKey: unknown): void | ((initial: unknown) => unknown) {
  const context = contextOrKey as ClassFieldDecoratorContext | undefined;
  if (context && typeof context === 'object' && 'kind' in context) {
    if (context.kind !== 'field' || context.private) {
      reportOnce(
        'decorator-tracked',
        '@tracked (runtime decorator) supports public class fields; build with the transformer or Babel plugin to track #private fields',
      );
      return;
    }
    context.addInitializer(function (this: unknown) {
      trackField(recorder, this as object, classNameOf(this), context.name as string, '');
    });
    return;
  }
  // experimentalDecorators: a prototype setter catches the field's first [[Set]] and makes it an own tracked accessor.
  const target = valueOrTarget as object;
  const key = contextOrKey as string | symbol;
  Object.defineProperty(target, key, {
    configurable: true,
    set(this: object, initial: unknown) {
      Object.defineProperty(this, key, { value: initial, writable: true, enumerable: true, configurable: true });
      trackField(recorder, this, classNameOf(this), key, '');
    },
  });
}

/** `@traced` on a class method: records the call and runs an async method as a child task. */
/** Standard (TC39) method decorator: the method comes back with its own type. */
export function traced<This, Args extends unknown[], Return>(
  value: (this: This, ...args: Args) => Return,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
): (this: This, ...args: Args) => Return;
/** `experimentalDecorators` method decorator. */
export function traced<T>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<T>,
): TypedPropertyDescriptor<T> | void;
export function traced(valueOrTarget: unknown, contextOrKey: unknown, descriptor?: PropertyDescriptor): unknown {
  const context = contextOrKey as ClassMethodDecoratorContext | undefined;
  if (context && typeof context === 'object' && 'kind' in context) {
    if (context.kind !== 'method' || typeof valueOrTarget !== 'function') return valueOrTarget;
    return wrapMethod(valueOrTarget as AnyFn, String(context.name));
  }
  if (descriptor && typeof descriptor.value === 'function') {
    return { ...descriptor, value: wrapMethod(descriptor.value as AnyFn, String(contextOrKey)) };
  }
  return descriptor;
}
