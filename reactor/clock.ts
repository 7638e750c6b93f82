/**
 * Delayed calls, one implementation for every clock. A `Scheduler` keeps the calls made with
 * `callLater` in a heap ordered by due time (and by scheduling order among calls due at the same
 * time) and runs the due ones when asked; it reads "now" from a time source it is given.
 *
 * A cancelled call stays in the heap, marked, as in Twisted's reactor: most delayed calls are
 * cancelled (every connect has a timeout that a completed connect cancels), and taking each one
 * out at once costs a sift through the heap per cancel. Marked calls are skipped when they come
 * due, and the heap is rebuilt without them once they are more than half of it.
 *
 * The real reactor builds its scheduler on the monotonic clock; the test `Clock` (Twisted's
 * `task.Clock`) builds the same scheduler on a number that only moves when a test calls
 * `advance`. So a test that advances a fake clock runs exactly the code production runs.
 */
import type { DelayedCall, ReactorTime } from './interfaces.ts';

/** Raised by `cancel`/`reset`/`delay` on a call that already ran or was cancelled. */
export class AlreadyCalledError extends Error {
  override readonly name = 'AlreadyCalledError';
}
export class AlreadyCancelledError extends Error {
  override readonly name = 'AlreadyCancelledError';
}

type CallState = 'pending' | 'called' | 'cancelled';

/** What a cancelled call holds instead of its function and arguments. */
const nothing = (): void => {};
const noArguments: readonly unknown[] = Object.freeze([]);

class ScheduledCall implements DelayedCall {
  state: CallState = 'pending';
  time: number;
  /** When it was scheduled (or last moved), among all calls of its scheduler: breaks ties of `time`. */
  order: number;
  /** Where it sits in its scheduler's heap while pending, so a move finds it at once. */
  index = -1;
  readonly #scheduler: Scheduler;
  fn: (...args: unknown[]) => unknown;
  args: readonly unknown[];

  constructor(scheduler: Scheduler, time: number, order: number, fn: (...args: unknown[]) => unknown, args: unknown[]) {
    this.#scheduler = scheduler;
    this.time = time;
    this.order = order;
    this.fn = fn;
    this.args = args;
  }

  getTime(): number {
    return this.time;
  }

  active(): boolean {
    return this.state === 'pending';
  }

  cancel(): void {
    this.#checkPending('cancel');
    this.state = 'cancelled';
    // It may wait in the heap a while: it lets go of what it would have called, and with what.
    this.fn = nothing;
    this.args = noArguments;
    this.#scheduler.noteCancelled();
  }

  reset(seconds: number): void {
    this.#checkPending('reset');
    this.#scheduler.move(this, this.#scheduler.seconds() + seconds);
  }

  delay(seconds: number): void {
    this.#checkPending('delay');
    this.#scheduler.move(this, this.time + seconds);
  }

  #checkPending(what: string): void {
    if (this.state === 'called') throw new AlreadyCalledError(`cannot ${what} a delayed call that already ran`);
    if (this.state === 'cancelled') throw new AlreadyCancelledError(`cannot ${what} a cancelled delayed call`);
  }
}

function earlier(a: ScheduledCall, b: ScheduledCall): boolean {
  return a.time < b.time || (a.time === b.time && a.order < b.order);
}

/**
 * The delayed calls of one clock. `now` is its time source, in seconds; `report` receives what a
 * call throws (the reactor logs it, the test clock rethrows it).
 *
 * The heap holds exactly the pending calls, each knowing its place in it: a cancel takes the call
 * out at once, a move sifts it to its new place. Connect timeouts are made and cancelled by the
 * thousand, almost none of them due, so neither leaves anything behind to sweep.
 */
export class Scheduler implements ReactorTime {
  readonly #now: () => number;
  readonly #heap: ScheduledCall[] = [];
  /** Cancelled calls still in the heap. */
  #cancelled = 0;
  #order = 0;
  /** Told whenever a call is scheduled or moved, so a reactor that is waiting can shorten its wait. */
  onScheduled: (() => void) | undefined;

  constructor(now: () => number) {
    this.#now = now;
  }

  seconds(): number {
    return this.#now();
  }

  callLater<A extends unknown[]>(seconds: number, fn: (...args: A) => unknown, ...args: A): DelayedCall {
    if (typeof fn !== 'function') throw new TypeError('callLater needs a function to call');
    if (!(seconds >= 0)) throw new RangeError(`callLater needs a delay of 0 seconds or more, not ${seconds}`);
    const call = new ScheduledCall(
      this,
      this.seconds() + seconds,
      this.#order++,
      fn as (...args: unknown[]) => unknown,
      args,
    );
    call.index = this.#heap.length;
    this.#heap.push(call);
    this.#siftUp(call.index);
    this.onScheduled?.();
    return call;
  }

  getDelayedCalls(): readonly DelayedCall[] {
    return this.#heap.filter((call) => call.state === 'pending');
  }

  /**
   * Seconds until the next call is due (0 if one is overdue), or `null` when nothing is scheduled.
   * A cancelled call still in the heap counts: at worst the reactor wakes once too early.
   */
  timeUntilNextCall(): number | null {
    const next = this.#heap[0];
    return next === undefined ? null : Math.max(0, next.time - this.seconds());
  }

  /**
   * Runs every call due by now, earliest first. A call scheduled by one of them for "now" waits for
   * the next turn, so a call that keeps rescheduling itself with a zero delay cannot starve I/O.
   * What a call throws goes to `report`; if `report` throws, the remaining due calls stay pending.
   */
  runDueCalls(report: (error: unknown) => void): number {
    const heap = this.#heap;
    const now = this.seconds();
    const lastOrder = this.#order;
    let ran = 0;
    for (let next = heap[0]; next && next.time <= now; next = heap[0]) {
      if (next.state === 'cancelled') {
        this.#remove(next);
        this.#cancelled -= 1;
        continue;
      }
      if (next.order >= lastOrder) break;
      this.#remove(next);
      next.state = 'called';
      ran += 1;
      // A plain call: `this` is not the delayed call.
      const { fn, args } = next;
      try {
        fn(...args);
      } catch (error) {
        report(error);
      }
    }
    return ran;
  }

  /** @internal used by `DelayedCall.cancel`. */
  noteCancelled(): void {
    this.#cancelled += 1;
    if (this.#cancelled > 50 && this.#cancelled * 2 > this.#heap.length) this.#dropCancelled();
  }

  /** Rebuilds the heap, in place, from its pending calls. */
  #dropCancelled(): void {
    const heap = this.#heap;
    let pending = 0;
    for (const call of heap) {
      if (call.state !== 'pending') continue;
      heap[pending] = call;
      call.index = pending;
      pending += 1;
    }
    heap.length = pending;
    for (let at = (pending >> 1) - 1; at >= 0; at--) this.#siftDown(at);
    this.#cancelled = 0;
  }

  /** @internal used by `DelayedCall.reset`/`delay`: it now counts as scheduled last among calls due then. */
  move(call: ScheduledCall, time: number): void {
    call.time = time;
    call.order = this.#order++;
    this.#siftDown(this.#siftUp(call.index));
    this.onScheduled?.();
  }

  #remove(call: ScheduledCall): void {
    const heap = this.#heap;
    const at = call.index;
    const last = heap.pop() as ScheduledCall;
    call.index = -1;
    if (last === call) return;
    heap[at] = last;
    last.index = at;
    this.#siftDown(this.#siftUp(at));
  }

  /** Moves the call at `from` towards the root while it is due earlier than its parent; returns where it ends. */
  #siftUp(from: number): number {
    const heap = this.#heap;
    const call = heap[from] as ScheduledCall;
    let at = from;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const above = heap[parent] as ScheduledCall;
      if (!earlier(call, above)) break;
      heap[at] = above;
      above.index = at;
      at = parent;
    }
    heap[at] = call;
    call.index = at;
    return at;
  }

  #siftDown(from: number): void {
    const heap = this.#heap;
    const call = heap[from] as ScheduledCall;
    let at = from;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && earlier(heap[right] as ScheduledCall, heap[left] as ScheduledCall) ? right : left;
      const below = heap[child] as ScheduledCall;
      if (!earlier(below, call)) break;
      heap[at] = below;
      below.index = at;
      at = child;
    }
    heap[at] = call;
    call.index = at;
  }
}

/** Seconds on the monotonic clock: what the real reactor's `seconds()` returns. */
export function monotonicSeconds(): number {
  return performance.now() / 1000;
}

/**
 * A clock for tests, after Twisted's `task.Clock`: time starts at 0 and moves only by `advance`,
 * which runs the calls that became due. What a call throws propagates out of `advance` (the rest
 * of the due calls stay pending and run on the next `advance`), so a broken callback fails the test.
 */
export class Clock extends Scheduler {
  #time = 0;

  constructor() {
    super(() => this.#time);
  }

  /** Moves time forward by `seconds` and runs every call due by then. */
  advance(seconds: number): void {
    if (!(seconds >= 0)) throw new RangeError(`a clock only moves forward, not by ${seconds}`);
    this.#time += seconds;
    while (this.runDueCalls(rethrow) > 0) {
      // Calls that the due ones scheduled for a time already reached run in the same advance.
    }
  }

  /** Advances by each of `steps` in turn, like a test pumping a sequence of ticks. */
  pump(steps: readonly number[]): void {
    for (const step of steps) this.advance(step);
  }
}

function rethrow(error: unknown): never {
  throw error;
}
