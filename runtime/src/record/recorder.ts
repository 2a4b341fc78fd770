import { currentSegment, runTimestamp } from '../clock/segments.js';
import { state } from '../context/process-state.js';
import type { ClockFold, ClockFoldListener } from '../context/causality.js';
import { listenToFolds, ownComponent } from '../context/causality.js';
import { currentTask } from '../context/storage.js';
import type { Task } from '../context/task.js';
import type { AccessType, EventKind, EventSink } from './event-record.js';
import { CLOCK_FOLD_EVENT } from './event-record.js';
import { captureValue } from './values.js';
import { explorer } from '../explore/active.js';

/**
 * The hot path. Each call reads the current task, stamps the record with pointers and counters only
 * (no ids, no clock copies, no per-event time read) and hands it to the sink. It never throws.
 */
export class Recorder implements ClockFoldListener {
  constructor(
    private readonly sink: EventSink,
    private readonly captureValues: boolean,
    /** False for a disabled client: nothing is captured, no task is forked or joined, nothing recorded. */
    readonly enabled = true,
  ) {
    if (enabled) listenToFolds(this);
  }

  /** A task's clock was folded: the fact the server needs to order later events (see causality.ts). */
  clockFold(task: Task, fold: ClockFold): void {
    this.event(
      'Custom',
      CLOCK_FOLD_EVENT,
      { name: CLOCK_FOLD_EVENT, data: { into: fold.into, at: fold.at, folded: fold.folded } },
      '',
      undefined,
      task,
    );
  }

  stateChange(variable: string, oldValue: unknown, newValue: unknown, access: AccessType, location: string): void {
    if (!this.enabled) return;
    try {
      const task = currentTask();
      if (task.retired) ownComponent(task);
      const seq = ++state.sequence; // the order in which this process really ran the code
      const segment = currentSegment();
      task.eventSegment = segment;
      const old = this.captureValues ? captureValue(oldValue) : undefined;
      // A read passes the same value twice: copy an object once.
      const value = !this.captureValues ? undefined : newValue === oldValue ? old : captureValue(newValue);
      this.sink.append(
        seq,
        'StateChange',
        task,
        task.clock,
        task.component,
        segment,
        runTimestamp(),
        task.lastSeq || task.forkSeq,
        task.locks,
        variable,
        old,
        value,
        location,
        access,
      );
      task.lastSeq = seq;
      if (explorer) explorer.onAccess(location, task);
    } catch {
      // Tracking must never change what the application does.
    }
  }

  /** Any other kind of event, for `task` (default: the current task). */
  event(
    kind: EventKind,
    name: string,
    detail: unknown,
    location = '',
    oldValue?: unknown,
    task: Task = currentTask(),
  ): void {
    if (!this.enabled) return;
    try {
      if (task.retired) ownComponent(task);
      const seq = ++state.sequence; // the order in which this process really ran the code
      const segment = currentSegment();
      task.eventSegment = segment;
      const args = oldValue === undefined || !this.captureValues ? undefined : captureValue(oldValue);
      this.sink.append(
        seq,
        kind,
        task,
        task.clock,
        task.component,
        segment,
        runTimestamp(),
        task.lastSeq || task.forkSeq,
        task.locks,
        name,
        args,
        undefined,
        location,
        detail,
      );
      task.lastSeq = seq;
    } catch {
      // Tracking must never change what the application does.
    }
  }
}
