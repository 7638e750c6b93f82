/**
 * Lightweight processes for the channels of `channels.ts`: a process is a generator that parks by
 * yielding, and a scheduler that resumes parked processes one at a time, in the order they became
 * ready (a FIFO run queue). Nothing runs in parallel and nothing is preempted: a process runs until
 * it parks on a channel operation that cannot complete at once, or returns.
 *
 * The run queue is drained by a trampoline. A wake-up that happens inside a drain (a process putting
 * to another) is queued; one that happens outside (a socket event, a timer, an abort listener) drains
 * the queue at once, synchronously, so no microtask or macrotask is spent between an I/O event and
 * the process that waits for it. A process therefore never resumes inside the stack of another:
 * ping-pong between two processes is a loop, not a recursion.
 *
 * API: `go(body)` starts a process; `run(body)` starts one and returns a promise of what it returns;
 * `spawnCallback`-style wake-ups for code outside any process go through `wake` (used by the
 * channels' `putThen`/`takeThen`).
 */

declare const parkBrand: unique symbol;
/** What a process yields when it parks: only the channel operations make one. */
export type Park = { readonly [parkBrand]: true };
/** The one value a parking operation yields; anything else yielded is a mistake in the body. */
export const PARK = Object.freeze({}) as Park;

/** A process body: a generator that yields only through the channel operations (`yield*`). */
export type ProcessBody<R = void> = Generator<Park, R, unknown>;

/** Something the scheduler can resume: a process, or a callback from code outside every process. */
export interface Resumable {
  /** Called by the scheduler with the value (or the error) the parked operation ended with. */
  resume(value: unknown, failed: boolean): void;
}

/** A running process. Only the runtime sees it: the channels park and wake it. */
export class Process implements Resumable {
  readonly #body: ProcessBody<unknown>;
  readonly #exit: (value: unknown, error: unknown, failed: boolean) => void;

  constructor(body: ProcessBody<unknown>, exit: (value: unknown, error: unknown, failed: boolean) => void) {
    this.#body = body;
    this.#exit = exit;
  }

  resume(value: unknown, failed: boolean): void {
    const previous = current;
    current = this;
    try {
      const step = failed ? this.#body.throw(value) : this.#body.next(value);
      if (step.done) this.#exit(step.value, undefined, false);
      else if (step.value !== PARK) this.#misuse();
    } catch (error) {
      this.#exit(undefined, error, true);
    } finally {
      current = previous;
    }
  }

  /** A body that yielded a value of its own instead of parking: it is told so, and may catch it. */
  #misuse(): void {
    schedule(
      this,
      new TypeError('a csp process may yield only through a channel operation (yield* take/put/select)'),
      true,
    );
  }
}

/** The process whose body is running now, if any: the one a parking operation parks. */
let current: Process | undefined;

/** The running process; a channel operation outside every process has none to park and throws. */
export function currentProcess(): Process {
  if (current === undefined)
    throw new Error('a parking channel operation needs a process: run it inside go() or run()');
  return current;
}

// The run queue: parallel arrays (no entry object per wake-up), read from `head` on.
let queue: Resumable[] = [];
let values: unknown[] = [];
let failures: boolean[] = [];
let head = 0;
let draining = false;

/** Makes `who` ready with `value` (thrown into it when `failed`); drains at once if nothing is draining. */
export function schedule(who: Resumable, value: unknown, failed = false): void {
  queue.push(who);
  values.push(value);
  failures.push(failed);
  if (!draining) drain();
}

function drain(): void {
  draining = true;
  try {
    while (head < queue.length) {
      const who = queue[head] as Resumable;
      const value = values[head];
      const failed = failures[head] as boolean;
      queue[head] = undefined as unknown as Resumable;
      values[head] = undefined;
      head++;
      who.resume(value, failed);
    }
  } finally {
    queue = [];
    values = [];
    failures = [];
    head = 0;
    draining = false;
  }
}

/**
 * Starts `body` as a process; it runs as soon as the processes already ready have had their turn
 * (at once when called outside every process). An error it does not catch is thrown again on a
 * microtask, uncaught, as a goroutine's panic ends a Go program: a crash is not lost in a process.
 */
export function go(body: () => ProcessBody<unknown>): void {
  schedule(new Process(body(), crashOnError), undefined);
}

function crashOnError(_value: unknown, error: unknown, failed: boolean): void {
  if (failed)
    queueMicrotask(() => {
      throw error;
    });
}

/** Starts `body` as a process and resolves with what it returns, or rejects with what it throws. */
export function run<R>(body: () => ProcessBody<R>): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    schedule(new Process(body(), (value, error, failed) => (failed ? reject(error) : resolve(value as R))), undefined);
  });
}
