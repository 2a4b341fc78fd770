import type { VectorClock } from '../clock/vector-clock.js';
import type { Task } from '../context/task.js';
import type { EventKind } from '../record/event-record.js';
import { EventRecord } from '../record/event-record.js';

/**
 * The exporter's bounded queue, as preallocated columns rather than one object per event: appending
 * writes a dozen slots and allocates nothing, which keeps the garbage collector (the dominant cost of
 * an object-per-event queue) off the application's path. Records become objects only when a batch is
 * taken for sending.
 */
export class RecordRing {
  private head = 0;
  private count = 0;
  private readonly seq: Float64Array;
  private readonly segment: Float64Array;
  private readonly time: Float64Array;
  private readonly prevSeq: Float64Array;
  private readonly kind: Array<EventKind | undefined>;
  private readonly task: Array<Task | undefined>;
  private readonly clock: Array<VectorClock | undefined>;
  private readonly component: Array<string | undefined>;
  private readonly locks: Array<readonly string[] | undefined>;
  private readonly name: Array<string | undefined>;
  private readonly oldValue: unknown[];
  private readonly newValue: unknown[];
  private readonly location: Array<string | undefined>;
  private readonly detail: unknown[];

  constructor(readonly capacity: number) {
    this.seq = new Float64Array(capacity);
    this.segment = new Float64Array(capacity);
    this.time = new Float64Array(capacity);
    this.prevSeq = new Float64Array(capacity);
    const column = <T>() => new Array<T | undefined>(capacity).fill(undefined);
    this.kind = column();
    this.task = column();
    this.clock = column();
    this.component = column();
    this.locks = column();
    this.name = column();
    this.oldValue = column();
    this.newValue = column();
    this.location = column();
    this.detail = column();
  }

  get size(): number {
    return this.count;
  }

  /** Appends one record; false when full. */
  push(
    seq: number,
    kind: EventKind,
    task: Task,
    clock: VectorClock,
    component: string,
    segment: number,
    time: number,
    prevSeq: number,
    locks: readonly string[],
    name: string,
    oldValue: unknown,
    newValue: unknown,
    location: string,
    detail: unknown,
  ): boolean {
    if (this.count === this.capacity) return false;
    let i = this.head + this.count;
    if (i >= this.capacity) i -= this.capacity;
    this.seq[i] = seq;
    this.kind[i] = kind;
    this.task[i] = task;
    this.clock[i] = clock;
    this.component[i] = component;
    this.segment[i] = segment;
    this.time[i] = time;
    this.prevSeq[i] = prevSeq;
    this.locks[i] = locks;
    this.name[i] = name;
    this.oldValue[i] = oldValue;
    this.newValue[i] = newValue;
    this.location[i] = location;
    this.detail[i] = detail;
    this.count++;
    return true;
  }

  /** Removes up to `n` of the oldest records and returns them as objects. */
  shift(n: number): EventRecord[] {
    const out: EventRecord[] = [];
    const take = Math.min(n, this.count);
    for (let k = 0; k < take; k++) {
      const i = this.head;
      out.push(
        new EventRecord(this.seq[i]!, this.kind[i]!, this.task[i]!, this.clock[i]!, this.component[i]!, this.segment[i]!, this.time[i]!, this.prevSeq[i]!, this.locks[i]!, this.name[i]!, this.oldValue[i], this.newValue[i], this.location[i]!, this.detail[i]),
      );
      // Let the garbage collector have what the record pointed to.
      this.task[i] = this.clock[i] = this.locks[i] = this.oldValue[i] = this.newValue[i] = this.detail[i] = undefined;
      this.head = i + 1 === this.capacity ? 0 : i + 1;
      this.count--;
    }
    return out;
  }

  /** Drops everything; returns how many records there were. */
  clear(): number {
    const dropped = this.count;
    this.shift(this.count);
    return dropped;
  }
}
