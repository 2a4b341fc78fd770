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
  /** Slots allocated so far: the columns start small and double up to `capacity`, so an app that records
   *  a few events never pays for a full queue (allocating 10 000 slots per column took milliseconds). */
  private allocated: number;
  private seq: Float64Array;
  private segment: Float64Array;
  private time: Float64Array;
  private prevSeq: Float64Array;
  private kind: Array<EventKind | undefined>;
  private task: Array<Task | undefined>;
  private clock: Array<VectorClock | undefined>;
  private component: Array<string | undefined>;
  private locks: Array<readonly string[] | undefined>;
  private name: Array<string | undefined>;
  private oldValue: unknown[];
  private newValue: unknown[];
  private location: Array<string | undefined>;
  private detail: unknown[];

  constructor(readonly capacity: number) {
    this.allocated = Math.min(capacity, 256);
    this.seq = new Float64Array(this.allocated);
    this.segment = new Float64Array(this.allocated);
    this.time = new Float64Array(this.allocated);
    this.prevSeq = new Float64Array(this.allocated);
    this.kind = [];
    this.task = [];
    this.clock = [];
    this.component = [];
    this.locks = [];
    this.name = [];
    this.oldValue = [];
    this.newValue = [];
    this.location = [];
    this.detail = [];
  }

  /** Doubles the allocated slots (up to capacity), moving the queued records to the front. */
  private grow(): void {
    const size = Math.min(this.capacity, this.allocated * 2);
    const order = (i: number) => (this.head + i) % this.allocated;
    const typed = (old: Float64Array) => {
      const next = new Float64Array(size);
      for (let i = 0; i < this.count; i++) next[i] = old[order(i)]!;
      return next;
    };
    const plain = <T>(old: T[]) => {
      const next: T[] = [];
      for (let i = 0; i < this.count; i++) next.push(old[order(i)]!);
      return next;
    };
    this.seq = typed(this.seq);
    this.segment = typed(this.segment);
    this.time = typed(this.time);
    this.prevSeq = typed(this.prevSeq);
    this.kind = plain(this.kind);
    this.task = plain(this.task);
    this.clock = plain(this.clock);
    this.component = plain(this.component);
    this.locks = plain(this.locks);
    this.name = plain(this.name);
    this.oldValue = plain(this.oldValue);
    this.newValue = plain(this.newValue);
    this.location = plain(this.location);
    this.detail = plain(this.detail);
    this.head = 0;
    this.allocated = size;
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
    if (this.count === this.allocated) {
      if (this.allocated === this.capacity) return false;
      this.grow();
    }
    let i = this.head + this.count;
    if (i >= this.allocated) i -= this.allocated;
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
    const take = Math.min(n, this.count);
    // Sized once: pushing one by one reallocates the array as it grows (garbage on every batch).
    const out = new Array<EventRecord>(take);
    for (let k = 0; k < take; k++) {
      const i = this.head;
      out[k] = new EventRecord(
        this.seq[i]!,
        this.kind[i]!,
        this.task[i]!,
        this.clock[i]!,
        this.component[i]!,
        this.segment[i]!,
        this.time[i]!,
        this.prevSeq[i]!,
        this.locks[i]!,
        this.name[i]!,
        this.oldValue[i],
        this.newValue[i],
        this.location[i]!,
        this.detail[i],
      );
      // Let the garbage collector have what the record pointed to.
      this.task[i] = this.clock[i] = this.locks[i] = this.oldValue[i] = this.newValue[i] = this.detail[i] = undefined;
      this.head = i + 1 === this.allocated ? 0 : i + 1;
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
