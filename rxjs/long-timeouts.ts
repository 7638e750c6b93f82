/**
 * An RxJS scheduler whose delays are waited out in full. RxJS's `asyncScheduler` (what `timeout`
 * and `timer` use by default) schedules with `setInterval`, which Node shortens to 1 ms for any
 * delay above 2^31 − 1 ms, with a warning; `timeout({ first: 3e9 })` would then fail a download at
 * once. This scheduler hands each delay to `setLongTimeout` (poetry/long-timeout.ts), the project's
 * one rule for long delays: a finite one is waited out as a chain of timers, `Infinity` sets none.
 *
 * It is what `timeout({ …, scheduler: longTimeouts })` needs and no more: an action runs its work
 * once per `schedule`, and unsubscribing it clears its timer, so nothing stays open after a
 * subscription ends.
 */
import { type SchedulerAction, type SchedulerLike, Subscription } from 'rxjs';
import { type LongTimeout, setLongTimeout } from '../poetry/long-timeout.ts';

type Work<T> = (this: SchedulerAction<T>, state?: T) => void;

class LongTimeoutAction<T> extends Subscription implements SchedulerAction<T> {
  readonly #work: Work<T>;
  #state: T | undefined;
  #pending: LongTimeout<LongTimeoutAction<T>> | undefined;

  constructor(work: Work<T>) {
    super();
    this.#work = work;
  }

  /** (Re)arms the action: `state` is what the work gets after `delay` ms; a closed action does nothing. */
  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.#pending?.cancel();
    this.#state = state;
    this.#pending = setLongTimeout<LongTimeoutAction<T>>(LongTimeoutAction.#run, delay, this);
    return this;
  }

  override unsubscribe(): void {
    this.#pending?.cancel();
    this.#pending = undefined;
    super.unsubscribe();
  }

  static #run<T>(action: LongTimeoutAction<T>): void {
    action.#pending = undefined;
    if (!action.closed) action.#work.call(action, action.#state);
  }
}

class LongTimeoutScheduler implements SchedulerLike {
  now(): number {
    return Date.now();
  }

  schedule<T>(work: Work<T>, delay = 0, state?: T): Subscription {
    return new LongTimeoutAction(work).schedule(state, delay);
  }
}

/** The scheduler for a caller's timeout: any delay up to `Infinity` (which never fires). */
export const longTimeouts: SchedulerLike = new LongTimeoutScheduler();
