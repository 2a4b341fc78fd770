import { Entry } from '../contract/entry.js';
import { staticPath } from '../contract/paths.js';
import type { Builder, MemberKey } from './builder.js';
import type { Chain, RootName } from './chain.js';

/**
 * The rewrite rules, written once for both hosts. Each rule turns an access of tracked state into an
 * expression that evaluates every original sub-expression exactly once and in the original order,
 * produces the original value, and reports the access to the runtime entry. Object and key values go
 * through temporaries. A dynamic key is evaluated once and left for the engine to convert at each
 * access, as the original would (`o[k] += 1` converts `k` twice); the event name is made from the key
 * without converting objects, so naming never runs application code.
 */

/** A key as used after evaluation: a static name, or the temporary holding a dynamic key's value. */
type UsedKey<E> = { kind: 'static'; name: string; isPrivate: boolean } | { kind: 'temp'; temp: E };

interface Walked<E> {
  /** Reference to the value reached (the object, for a walk that stops before the last segment). */
  value: E;
  keys: Array<UsedKey<E>>;
  /** The root object's temporary or identifier (for instance-named roots). */
  rootRef: E;
}

export type CompoundOperator = string; // '=', '+=', '&&=', ...

const LOGICAL: Record<string, '&&' | '||' | '??'> = { '&&=': '&&', '||=': '||', '??=': '??' };

export class Emitter<E> {
  constructor(
    private readonly b: Builder<E>,
    private readonly location: string,
  ) {}

  private loc(): E {
    return this.b.str(this.location);
  }

  /** The event name for a walked path. */
  private name(chain: Chain<E>, rootRef: E, keys: Array<UsedKey<E>>): E {
    const b = this.b;
    const rootName = chain.rootName;
    if (rootName.kind !== 'instance' && keys.every((k) => k.kind === 'static')) {
      const name = staticPath(
        rootName.name,
        keys.map((k) => (k as { name: string }).name),
      );
      return rootName.kind === 'static' ? b.str(name) : b.binary('+', b.ref(rootName.scope), b.str(`.${name}`));
    }
    const root =
      rootName.kind === 'static'
        ? b.str(rootName.name)
        : rootName.kind === 'scoped'
          ? b.binary('+', b.ref(rootName.scope), b.str(`.${rootName.name}`))
          : b.entry(Entry.instance, [b.ref(rootRef), b.str(rootName.className)]);
    return b.entry(Entry.path, [root, ...keys.map((k) => (k.kind === 'static' ? b.str(k.name) : b.ref(k.temp)))]);
  }

  private memberOf(object: E, key: UsedKey<E>): E {
    return this.b.member(
      this.b.ref(object),
      key.kind === 'static'
        ? { kind: 'static', name: key.name, isPrivate: key.isPrivate }
        : { kind: 'dynamic', expr: this.b.ref(key.temp) },
    );
  }

  /** A segment key: static stays, dynamic is evaluated into a temporary (pushed to `steps`). */
  private useKey(key: MemberKey<E>, steps: E[]): UsedKey<E> {
    if (key.kind === 'static') return key;
    const temp = this.b.temp();
    steps.push(this.b.assign(temp, key.expr));
    return { kind: 'temp', temp };
  }

  /**
   * Evaluates the root and the first `count` segments in order, then continues with `k`. An optional
   * segment whose object is nullish short-circuits to `onShortCircuit` (a read of what was reached,
   * then undefined), exactly where the original would.
   */
  private walk(chain: Chain<E>, count: number, k: (w: Walked<E>) => E): E {
    const b = this.b;
    const pre: E[] = [];
    let rootRef: E;
    if (chain.rootIsIdentifier) {
      rootRef = chain.root;
    } else {
      rootRef = b.temp();
      pre.push(b.assign(rootRef, chain.root));
    }
    const step = (i: number, current: E, keys: Array<UsedKey<E>>): E => {
      if (i === count) return k({ value: current, keys, rootRef });
      const segment = chain.segments[i]!;
      const steps: E[] = [];
      const used = this.useKey(segment.key, steps);
      const next = b.temp();
      steps.push(b.assign(next, this.memberOf(current, used)));
      steps.push(step(i + 1, next, [...keys, used]));
      const body = b.seq(steps);
      if (!segment.optional) return body;
      const shortCircuit = b.seq([
        b.entry(Entry.read, [this.name(chain, rootRef, keys), b.ref(current), this.loc()]),
        b.undef(),
      ]);
      return b.cond(b.isNullish(b.ref(current)), shortCircuit, body);
    };
    const rest = step(0, rootRef, []);
    return pre.length ? b.seq([...pre, rest]) : rest;
  }

  /** A read of the whole chain: `__raceway.read(name, value, loc)`. */
  read(chain: Chain<E>): E {
    const b = this.b;
    return this.walk(chain, chain.segments.length, (w) =>
      b.entry(Entry.read, [this.name(chain, w.rootRef, w.keys), b.ref(w.value), this.loc()]),
    );
  }

  /** `chain op value` for `=`, arithmetic compound operators and logical assignments. */
  assign(chain: Chain<E>, operator: CompoundOperator, value: E): E {
    const b = this.b;
    const n = chain.segments.length;
    if (n === 0) {
      const target = chain.root;
      const name = this.name(chain, target, []);
      if (operator === '=') {
        const v = b.temp();
        return b.seq([
          b.assign(v, value),
          b.assign(b.ref(target), b.entry(Entry.write, [name, b.ref(target), b.ref(v), this.loc()])),
        ]);
      }
      const old = b.temp();
      const readOld = b.assign(old, b.entry(Entry.read, [name, b.ref(target), this.loc()]));
      const logical = LOGICAL[operator];
      if (logical) {
        return b.logical(
          logical,
          readOld,
          b.assign(b.ref(target), b.entry(Entry.write, [this.name(chain, target, []), b.ref(old), value, this.loc()])),
        );
      }
      return b.seq([
        readOld,
        b.assign(
          b.ref(target),
          b.entry(Entry.write, [
            this.name(chain, target, []),
            b.ref(old),
            b.binary(operator.slice(0, -1), b.ref(old), value),
            this.loc(),
          ]),
        ),
      ]);
    }
    return this.walk(chain, n - 1, (w) => {
      const steps: E[] = [];
      const key = this.useKey(chain.segments[n - 1]!.key, steps);
      const keys = [...w.keys, key];
      const nameTemp = b.temp();
      steps.push(b.assign(nameTemp, this.name(chain, w.rootRef, keys)));
      const old = b.temp();
      const v = b.temp();
      const store = () => b.assign(this.memberOf(w.value, key), b.ref(v));
      const written = () => b.entry(Entry.write, [b.ref(nameTemp), b.ref(old), b.ref(v), this.loc()]);
      if (operator === '=') {
        steps.push(b.assign(v, value), b.assign(old, this.peek(w.value, key)), store(), written());
        return b.seq(steps);
      }
      const readOld = b.assign(old, b.entry(Entry.read, [b.ref(nameTemp), this.memberOf(w.value, key), this.loc()]));
      const logical = LOGICAL[operator];
      if (logical) {
        steps.push(b.logical(logical, readOld, b.seq([b.assign(v, value), store(), written()])));
        return b.seq(steps);
      }
      steps.push(readOld, b.assign(v, b.binary(operator.slice(0, -1), b.ref(old), value)), store(), written());
      return b.seq(steps);
    });
  }

  /** The current value of `object[key]` for an event, without running a getter. */
  private peek(object: E, key: UsedKey<E>): E {
    const b = this.b;
    // Private fields have no getters to avoid (private accessors are methods, not fields).
    if (key.kind === 'static' && key.isPrivate) return this.memberOf(object, key);
    return b.entry(Entry.peek, [b.ref(object), key.kind === 'static' ? b.str(key.name) : b.ref(key.temp)]);
  }

  /** `chain++`, `--chain`, ... */
  update(chain: Chain<E>, operator: '++' | '--', prefix: boolean): E {
    const b = this.b;
    const n = chain.segments.length;
    const build = (readTarget: () => E, storeTarget: () => E, name: () => E, pre: E[]): E => {
      const t = b.temp();
      const steps = [...pre, b.assign(t, b.entry(Entry.read, [name(), readTarget(), this.loc()]))];
      if (prefix) {
        steps.push(
          b.assign(
            storeTarget(),
            b.entry(Entry.write, [name(), b.ref(t), b.update(operator, true, b.ref(t)), this.loc()]),
          ),
        );
        return b.seq(steps);
      }
      const r = b.temp();
      steps.push(b.assign(r, b.update(operator, false, b.ref(t))));
      steps.push(b.assign(storeTarget(), b.entry(Entry.write, [name(), b.ref(r), b.ref(t), this.loc()])));
      steps.push(b.ref(r));
      return b.seq(steps);
    };
    if (n === 0) {
      return build(
        () => b.ref(chain.root),
        () => b.ref(chain.root),
        () => this.name(chain, chain.root, []),
        [],
      );
    }
    return this.walk(chain, n - 1, (w) => {
      const pre: E[] = [];
      const key = this.useKey(chain.segments[n - 1]!.key, pre);
      const nameTemp = b.temp();
      pre.push(b.assign(nameTemp, this.name(chain, w.rootRef, [...w.keys, key])));
      return build(
        () => this.memberOf(w.value, key),
        () => this.memberOf(w.value, key),
        () => b.ref(nameTemp),
        pre,
      );
    });
  }

  /** `delete chain` (at least one segment, no optional segment). */
  del(chain: Chain<E>): E {
    const b = this.b;
    const n = chain.segments.length;
    return this.walk(chain, n - 1, (w) => {
      const steps: E[] = [];
      const key = this.useKey(chain.segments[n - 1]!.key, steps);
      const old = b.temp();
      const result = b.temp();
      steps.push(
        b.assign(old, this.peek(w.value, key)),
        b.assign(result, b.del(this.memberOf(w.value, key))),
        b.entry(Entry.write, [this.name(chain, w.rootRef, [...w.keys, key]), b.ref(old), b.undef(), this.loc()]),
        b.ref(result),
      );
      return b.seq(steps);
    });
  }

  /** `key in chain`: a read of `chain[key]` whose value is the boolean answer. */
  inOp(key: E, chain: Chain<E>): E {
    const b = this.b;
    const k = b.temp();
    const first = b.assign(k, key);
    const rest = this.walk(chain, chain.segments.length, (w) => {
      const result = b.temp();
      return b.seq([
        b.assign(result, b.inOp(b.ref(k), b.ref(w.value))),
        b.entry(Entry.read, [
          this.name(chain, w.rootRef, [...w.keys, { kind: 'temp', temp: k }]),
          b.ref(result),
          this.loc(),
        ]),
      ]);
    });
    return b.seq([first, rest]);
  }

  /**
   * `receiver.method(...args)` where `receiver` is the chain: the method is looked up once, then the
   * runtime calls it with the receiver as `this` and records what it did (Map/Set entry reads and
   * writes, array mutations, otherwise a read of the receiver).
   */
  methodCall(
    receiver: Chain<E>,
    method: MemberKey<E>,
    optionalMember: boolean,
    optionalCall: boolean,
    args: Array<{ expr: E; spread: boolean }>,
  ): E {
    const b = this.b;
    return this.walk(receiver, receiver.segments.length, (w) => {
      const steps: E[] = [];
      const key = this.useKey(method, steps);
      const fn = b.temp();
      steps.push(b.assign(fn, this.memberOf(w.value, key)));
      const call = b.entry(Entry.method, [
        b.ref(w.value),
        b.ref(fn),
        key.kind === 'static' ? b.str(key.name) : b.ref(key.temp),
        b.array(args),
        this.name(receiver, w.rootRef, w.keys),
        this.loc(),
      ]);
      // `receiver.method?.()` with no method: the receiver was still read.
      const noMethod = () =>
        b.seq([b.entry(Entry.read, [this.name(receiver, w.rootRef, w.keys), b.ref(w.value), this.loc()]), b.undef()]);
      steps.push(optionalCall ? b.cond(b.isNullish(b.ref(fn)), noMethod(), call) : call);
      const body = b.seq(steps);
      if (!optionalMember) return body;
      const shortCircuit = b.seq([
        b.entry(Entry.read, [this.name(receiver, w.rootRef, w.keys), b.ref(w.value), this.loc()]),
        b.undef(),
      ]);
      return b.cond(b.isNullish(b.ref(w.value)), shortCircuit, body);
    });
  }

  /** `var = <initializer>` of a tracked declaration: the initialisation is a write. */
  initialize(rootName: RootName<E>, value: E): E {
    const b = this.b;
    const name =
      rootName.kind === 'scoped'
        ? b.binary('+', b.ref(rootName.scope), b.str(`.${rootName.name}`))
        : b.str(rootName.kind === 'static' ? rootName.name : rootName.className);
    return b.entry(Entry.write, [name, b.undef(), value, this.loc()]);
  }
}
