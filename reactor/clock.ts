/**
 * Delayed calls, one implementation for every clock. A `Scheduler` keeps the calls made with
 * `callLater` in a heap ordered by due time (and by scheduling order among calls due at the same
 * time) and runs the due ones when asked; it reads "now" from a time source it is given.
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

class ScheduledCall implements DelayedCall {
  state: CallState = 'pending';
  /** Bumped each time the due time moves, so heap entries for an older time can be recognised as stale. */
  generation = 0;
  time: number;
  readonly #scheduler: Scheduler;
  readonly run: () => unknown;

  constructor(scheduler: Scheduler, time: number, run: () => unknown) {
    this.#scheduler = scheduler;
    this.time = time;
    this.run = run;
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
    this.#scheduler.forget(this);
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

interface HeapEntry {
  readonly time: number;
  readonly order: number;
  readonly call: ScheduledCall;
  readonly generation: number;
}

function isLive(entry: HeapEntry): boolean {
  return entry.call.state === 'pending' && entry.generation === entry.call.generation;
}

function earlier(a: HeapEntry, b: HeapEntry): boolean {
  return a.time < b.time || (a.time === b.time && a.order < b.order);
}

/**
 * The delayed calls of one clock. `now` is its time source, in seconds; `report` receives what a
 * call throws (the reactor logs it, the test clock rethrows it).
 */
export class Scheduler implements ReactorTime {
  readonly #now: () => number;
  readonly #heap: HeapEntry[] = [];
  readonly #pending = new Set<ScheduledCall>();
  /** Heap entries that will never run (cancelled, or superseded by a reset): dropped in bulk when they pile up. */
  #stale = 0;
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
    const call = new ScheduledCall(this, this.seconds() + seconds, () => fn(...args));
    this.#pending.add(call);
    this.#push(call);
    return call;
  }

  getDelayedCalls(): readonly DelayedCall[] {
    return [...this.#pending];
  }

  /** Seconds until the next call is due (0 if one is overdue), or `null` when nothing is scheduled. */
  timeUntilNextCall(): number | null {
    const next = this.#peek();
    return next === undefined ? null : Math.max(0, next.time - this.seconds());
  }

  /**
   * Runs every call due by now, earliest first. A call scheduled by one of them for "now" waits for
   * the next turn, so a call that keeps rescheduling itself with a zero delay cannot starve I/O.
   * What a call throws goes to `report`; if `report` throws, the remaining due calls stay pending.
   */
  runDueCalls(report: (error: unknown) => void): number {
    const now = this.seconds();
    const lastOrder = this.#order;
    let ran = 0;
    for (let next = this.#peek(); next && next.time <= now && next.order < lastOrder; next = this.#peek()) {
      this.#pop();
      const call = next.call;
      call.state = 'called';
      this.#pending.delete(call);
      ran += 1;
      try {
        call.run();
      } catch (error) {
        report(error);
      }
    }
    return ran;
  }

  /** @internal used by `DelayedCall.cancel`. */
  forget(call: ScheduledCall): void {
    this.#pending.delete(call);
    this.#entryWentStale();
  }

  /** @internal used by `DelayedCall.reset`/`delay`. */
  move(call: ScheduledCall, time: number): void {
    call.time = time;
    call.generation += 1;
    this.#entryWentStale();
    this.#push(call);
  }

  /**
   * A stale entry normally leaves the heap when it reaches the top. Timeouts that are almost always
   * cancelled long before they are due would pile up meanwhile, so once most of the heap is stale
   * it is rebuilt from the live entries (Twisted's reactor does the same).
   */
  #entryWentStale(): void {
    this.#stale += 1;
    if (this.#stale > 50 && this.#stale > this.#heap.length / 2) {
      const live = this.#heap.filter(isLive);
      this.#heap.length = 0;
      this.#heap.push(...live);
      this.#stale = 0;
      for (let at = (live.length >> 1) - 1; at >= 0; at--) this.#siftDown(at);
    }
  }

  #push(call: ScheduledCall): void {
    const entry: HeapEntry = { time: call.time, order: this.#order++, call, generation: call.generation };
    const heap = this.#heap;
    heap.push(entry);
    let at = heap.length - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!earlier(entry, heap[parent]!)) break;
      heap[at] = heap[parent]!;
      at = parent;
    }
    heap[at] = entry;
    this.onScheduled?.();
  }

  /** The earliest live entry, discarding stale ones (cancelled calls, superseded times) on the way. */
  #peek(): HeapEntry | undefined {
    const heap = this.#heap;
    while (heap.length > 0) {
      const top = heap[0]!;
      if (isLive(top)) return top;
      this.#pop();
      this.#stale -= 1;
    }
    return undefined;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    this.#siftDown(0);
  }

  #siftDown(from: number): void {
    const heap = this.#heap;
    const entry = heap[from]!;
    let at = from;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && earlier(heap[right]!, heap[left]!) ? right : left;
      if (!earlier(heap[child]!, entry)) break;
      heap[at] = heap[child]!;
      at = child;
    }
    heap[at] = entry;
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
