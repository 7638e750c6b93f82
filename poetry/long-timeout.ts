/**
 * Timers that wait as long as they are asked to. Node's `setTimeout` turns any delay above
 * 2^31 − 1 ms (about 24.8 days) into 1 ms, with only a warning, so a `timeoutMs` of 3e9 would
 * fire at once. Every model's timers that take a caller's delay go through `setLongTimeout`.
 *
 * The choice: a finite delay beyond the range is waited out in full, as a chain of in-range
 * timers (a user who says 30 days means 30 days, not "never" and not "now"); `Infinity` means
 * never, and sets no timer at all, so nothing is left open for a wait that cannot end. A delay in
 * range is one plain `setTimeout`, so the common case costs no more than before.
 */

/** The longest delay `setTimeout` honours as given. */
export const longestTimeoutMs = 2 ** 31 - 1;

/**
 * A pending `setLongTimeout`; `cancel` stops it (and is harmless after it fired). `fire` gets `arg`,
 * as with `setTimeout`'s extra argument, so a caller on a hot path needs no closure per timer.
 */
export class LongTimeout<A = undefined> {
  #timer: NodeJS.Timeout | undefined;
  /** What is still to wait after the timer now pending, for a delay longer than one timer can hold. */
  #beyond: number;
  readonly #fire: (arg: A) => void;
  readonly #arg: A;

  constructor(fire: (arg: A) => void, ms: number, arg: A) {
    if (!(ms >= 0)) throw new RangeError(`a timeout needs a delay of 0 ms or more, not ${ms}`);
    this.#fire = fire;
    this.#arg = arg;
    this.#beyond = ms;
    if (ms !== Number.POSITIVE_INFINITY) this.#next();
  }

  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #next(): void {
    const wait = Math.min(this.#beyond, longestTimeoutMs);
    this.#beyond -= wait;
    this.#timer = setTimeout(LongTimeout.#step<A>, wait, this);
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
