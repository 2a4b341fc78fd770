import type { VectorClock } from '../clock/vector-clock.js';
import type { Task } from '../context/task.js';
import type { EventKind, RecordSource } from '../record/event-record.js';
import { EventRecord } from '../record/event-record.js';

/** An EventRecord whose fields a window on the queue overwrites (the same class: one shape for the encoder). */
type ReusedRecord = { -readonly [K in keyof EventRecord]: EventRecord[K] };

const blankRecord = (): EventRecord =>
  new EventRecord(0, 'Custom', undefined!, undefined!, '', 0, 0, 0, [], '', undefined, undefined, '', undefined);

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
    const out = this.peek(0, n);
    this.drop(out.length);
    return out;
  }

  /** Up to `n` records from the `from`-th oldest, as objects, left in the queue. */
  peek(from: number, n: number): EventRecord[] {
    const take = Math.max(0, Math.min(n, this.count - from));
    // Sized once: pushing one by one reallocates the array as it grows (garbage on every batch).
    const out = new Array<EventRecord>(take);
    for (let k = 0; k < take; k++) {
      const i = this.slot(from + k);
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
    }
    return out;
  }

  /**
   * The `n` oldest records as a window an encoder reads in place: no object per record. Valid until the
   * queue changes; `drop(n)` then removes them.
   */
  window(n: number): RecordSource {
    return new RingWindow(this, 0, Math.min(n, this.count));
  }

  /** The `k`-th oldest record's fields, written into `into`. */
  read(k: number, into: EventRecord): EventRecord {
    const i = this.slot(k);
    const r = into as ReusedRecord;
    r.seq = this.seq[i]!;
    r.kind = this.kind[i]!;
    r.task = this.task[i]!;
    r.clock = this.clock[i]!;
    r.component = this.component[i]!;
    r.segment = this.segment[i]!;
    r.time = this.time[i]!;
    r.prevSeq = this.prevSeq[i]!;
    r.locks = this.locks[i]!;
    r.name = this.name[i]!;
    r.oldValue = this.oldValue[i];
    r.newValue = this.newValue[i];
    r.location = this.location[i]!;
    r.detail = this.detail[i];
    return into;
  }

  /** Removes up to `n` of the oldest records. */
  drop(n: number): void {
    const take = Math.min(n, this.count);
    for (let k = 0; k < take; k++) {
      const i = this.head;
      // Let the garbage collector have what the record pointed to.
      this.task[i] = this.clock[i] = this.locks[i] = this.oldValue[i] = this.newValue[i] = this.detail[i] = undefined;
      this.head = i + 1 === this.allocated ? 0 : i + 1;
      this.count--;
    }
  }

  private slot(k: number): number {
    const i = this.head + k;
    return i >= this.allocated ? i - this.allocated : i;
  }

  /** Drops everything; returns how many records there were. */
  clear(): number {
    const dropped = this.count;
    this.drop(this.count);
    return dropped;
  }
}

/**
 * A run of queued records read in place. `at(k)` fills one of two reused records, alternately, so the
 * record before stays valid while the next is read (an encoder compares neighbours).
 */
class RingWindow implements RecordSource {
  private readonly reused = [blankRecord(), blankRecord()] as const;

  constructor(
    private readonly ring: RecordRing,
    private readonly from: number,
    readonly length: number,
  ) {}

  at(k: number): EventRecord | undefined {
    if (k < 0 || k >= this.length) return undefined;
    return this.ring.read(this.from + k, this.reused[k & 1]!);
  }

  slice(from: number, to: number): RecordSource {
    const start = Math.max(0, Math.min(from, this.length));
    return new RingWindow(this.ring, this.from + start, Math.max(0, Math.min(to, this.length) - start));
  }

  /** The window's records as objects of their own. */
  records(): EventRecord[] {
    return this.ring.peek(this.from, this.length);
  }
}

/** A source's records as objects of their own (copied out of a queue window). */
export function recordsOf(source: RecordSource): EventRecord[] {
  return source instanceof RingWindow ? source.records() : (source as EventRecord[]);
}
