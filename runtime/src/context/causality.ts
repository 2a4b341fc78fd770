import { VectorClock } from '../clock/vector-clock.js';
import { processTag } from './process-identity.js';
import { state } from './process-state.js';
import type { Task } from './task.js';

/**
 * Release, acquire and join on task clocks, kept bounded.
 *
 * A clock has one component per task that ever ordered something before it, which grows without end
 * in a long-running process (every timer run, every joined call). Two rules keep it to the tasks alive
 * at once:
 *
 * - **Taking over a component.** A new task may continue the component of a task that is done with it:
 *   the new task's starting clock has seen everything that task recorded (it released once since, and
 *   recorded nothing in a later segment). The next run of an interval, a timer scheduled as the last
 *   thing its scheduler did, a call forked after a joined sibling: they advance the same component, so
 *   an interval of 100k ticks has one. If the old owner records again it gets a new component.
 * - **Folding.** When a clock still grows beyond MAX_CLOCK_COMPONENTS (after joining many children at
 *   once), the task keeps only its own component, advanced, and publishes the fact "whoever has seen
 *   this component at this epoch has seen these components up to these epochs" as a `RacewayClockFold`
 *   event. The server's happens-before check follows such facts.
 */
export const MAX_CLOCK_COMPONENTS = 32;

/** `into` at epoch `at` or later has seen every `folded` component up to its epoch. */
export interface ClockFold {
  into: string;
  at: number;
  folded: Array<[string, number]>;
}

/** Records a fold fact (a recorder: it never throws). */
export interface ClockFoldListener {
  clockFold(task: Task, fold: ClockFold): void;
}

/**
 * Where fold facts go: every enabled recorder, since a fold orders the events of all of them. Held
 * weakly: a client that is gone stops listening without being told.
 */
const foldListeners: Set<WeakRef<ClockFoldListener>> = ((
  state as unknown as { foldListeners?: Set<WeakRef<ClockFoldListener>> }
).foldListeners ??= new Set());

export function listenToFolds(listener: ClockFoldListener): void {
  foldListeners.add(new WeakRef(listener));
}

function newComponent(): string {
  return `${processTag}.${++state.taskCounter}`;
}

/** The task's component, a new one when another task took its old one over. */
export function ownComponent(task: Task): string {
  if (task.retired) {
    task.retired = false;
    task.component = newComponent();
    task.clock = task.clock.with(task.component, 1);
    task.reusable = undefined;
  }
  return task.component;
}

/**
 * A release: returns the clock whose holder's events happen after everything the task did so far, and
 * advances the task, so that what it does next is not ordered before that holder.
 */
export function release(task: Task): VectorClock {
  // A retired task's clock already stops short of its heir's events, and whatever it does next gets a
  // new component: nothing to advance.
  if (task.retired) return task.clock;
  const released = task.clock;
  task.clock = released.tick(task.component);
  task.releaseSegment = state.segment;
  return released;
}

/** An acquire: everything `clock` has seen happens before the task's later events. */
export function acquire(task: Task, clock: VectorClock): void {
  ownComponent(task);
  task.clock = task.clock.merge(clock);
  if (task.clock.size > MAX_CLOCK_COMPONENTS) fold(task);
}

/** `joiner` awaited `child`: the child's work happens before the joiner's later events. */
export function join(joiner: Task, child: Task): void {
  if (joiner === child) return;
  acquire(joiner, release(child));
  child.reusable = undefined;
  if (!joiner.retired) {
    const list = (joiner.reusable ??= []);
    if (list.length >= 4) list.shift();
    list.push(child);
  }
}

/** Whether a task starting from `base` may continue `owner`'s component. */
export function canTakeOver(owner: Task, base: VectorClock): boolean {
  return (
    !owner.retired &&
    owner.clock.get(owner.component) === base.get(owner.component) + 1 &&
    owner.eventSegment <= owner.releaseSegment
  );
}

/** A joined child of `parent` whose component a task starting from `base` may take over. */
export function reusableChild(parent: Task, base: VectorClock): Task | undefined {
  const list = parent.reusable;
  if (!list) return undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const candidate = list[i]!;
    if (canTakeOver(candidate, base)) {
      list.splice(i, 1);
      return candidate;
    }
  }
  return undefined;
}

/** The component and first clock of a task starting from `base`, continuing `heir`'s component when it may. */
export function startClock(
  id: string,
  base: VectorClock,
  heir: Task | undefined,
): { component: string; clock: VectorClock } {
  if (heir && canTakeOver(heir, base)) {
    heir.retired = true;
    const component = heir.component;
    return { component, clock: base.with(component, heir.clock.get(component) + 1) };
  }
  return { component: id, clock: base.with(id, 1) };
}

/** Folds a new task's clock when its start made it too large. */
export function keepBounded(task: Task): Task {
  if (task.clock.size > MAX_CLOCK_COMPONENTS) fold(task);
  return task;
}

/** Keeps only the task's own component, advanced, and publishes what it stands for. */
function fold(task: Task): void {
  const into = task.component;
  const at = task.clock.get(into) + 1;
  const folded = task.clock.toPairs().filter(([component]) => component !== into);
  task.clock = VectorClock.fromPairs([[into, at]]);
  task.reusable = undefined;
  for (const ref of foldListeners) {
    const listener = ref.deref();
    if (listener) listener.clockFold(task, { into, at, folded });
    else foldListeners.delete(ref);
  }
}
