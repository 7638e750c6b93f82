/**
 * Timers that wait as long as they are asked to. Node's `setTimeout` turns any delay above
 * 2^31 − 1 ms (about 24.8 days) into 1 ms, with only a warning, so a `timeoutMs` of 3e9 would
 * fire at once. Every model's timers that take a caller's delay go through `setLongTimeout` (or
 * `timeoutSignal`, below).
 *
 * The choice: a finite delay beyond the range is waited out in full, as a chain of in-range
 * timers (a user who says 30 days means 30 days, not "never" and not "now"); `Infinity` means
 * never, and sets no timer at all, so nothing is left open for a wait that cannot end. A delay in
 * range is one plain `setTimeout`, so the common case costs no more than before.
 *
 * `timeoutSignal` is the same choice for code that bounds its work with an `AbortSignal`, where
 * `AbortSignal.timeout` has the same limit: beyond 2^31 − 1 ms it aborts after 1 ms.
 */

/** The longest delay `setTimeout` honours as given. */
export const longestTimeoutMs = 2 ** 31 - 1;

/**
 * A pending `setLongTimeout`; `cancel` stops it (and is harmless after it fired). `fire` gets `arg`,
 * as with `setTimeout`'s extra argument, so a caller on a hot path needs no closure per timer.
 */
export class LongTimeout<A = undefined> {
  #timer: NodeJS.Timeout | undefined;
  /** Whether the pending timer, and every one chained after it, keeps the process alive. */
  #ref = true;
  /** What is still to wait after the timer now pending, for a delay longer than one timer can hold. */
  #beyond: number;
  readonly #fire: (arg: A) => void;
  readonly #arg: A;

  constructor(fire: (arg: A) => void, ms: number, arg: A) {
    checkDelay(ms);
    this.#fire = fire;
    this.#arg = arg;
    this.#beyond = ms;
    if (ms !== Number.POSITIVE_INFINITY) this.#next();
  }

  /**
   * Lets the process exit while this is pending, as `Timeout.unref` does for one timer; it still
   * fires in time if the process lives that long.
   */
  unref(): this {
    this.#ref = false;
    this.#timer?.unref();
    return this;
  }

  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #next(): void {
    const wait = Math.min(this.#beyond, longestTimeoutMs);
    this.#beyond -= wait;
    this.#timer = setTimeout(LongTimeout.#step<A>, wait, this);
    if (!this.#ref) this.#timer.unref();
  }

  static #step<A>(timeout: LongTimeout<A>): void {
    if (timeout.#beyond > 0) {
      timeout.#next();
      return;
    }
    timeout.#timer = undefined;
    timeout.#fire(timeout.#arg);
  }
}

/** Calls `fire` once `ms` milliseconds have passed, however many that is; `Infinity` never calls it. */
export function setLongTimeout(fire: () => void, ms: number): LongTimeout;
export function setLongTimeout<A>(fire: (arg: A) => void, ms: number, arg: A): LongTimeout<A>;
export function setLongTimeout<A>(fire: (arg: A) => void, ms: number, arg?: A): LongTimeout<A | undefined> {
  return new LongTimeout<A | undefined>(fire as (arg: A | undefined) => void, ms, arg);
}

/**
 * A signal that aborts with a `TimeoutError` once `ms` milliseconds have passed, however many that
 * is. In range it is `AbortSignal.timeout`, with `ms` rounded up to the whole milliseconds that
 * requires; beyond, an unref'd `setLongTimeout` aborts it; for `Infinity` it never aborts and holds
 * no timer. As with `AbortSignal.timeout`, its timer never keeps the process alive: nothing is left
 * open for a signal no one waits on any more. (Beyond range, the timer holds the signal until it
 * fires; `AbortSignal.timeout` lets go of one that is no longer used.)
 */
export function timeoutSignal(ms: number): AbortSignal {
  checkDelay(ms);
  const whole = Math.ceil(ms);
  if (whole <= longestTimeoutMs) return AbortSignal.timeout(whole);
  const controller = new AbortController();
  if (ms !== Number.POSITIVE_INFINITY) setLongTimeout(timedOut, ms, controller).unref();
  return controller.signal;
}

/** Aborts as `AbortSignal.timeout` does, so a reader of `reason` cannot tell the two apart. */
function timedOut(controller: AbortController): void {
  controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
}

function checkDelay(ms: number): void {
  if (!(ms >= 0)) throw new RangeError(`a timeout needs a delay of 0 ms or more, not ${ms}`);
}
