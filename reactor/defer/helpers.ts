/**
 * Small ways to make a Deferred: from a value, an error, a function call that may or may not be
 * asynchronous, or a delay on a clock. They let code that may finish at once and code that may not
 * present the same face: "you get a Deferred".
 */
import type { ReactorTime } from '../interfaces.ts';
import { Deferred } from './deferred.ts';
import { Failure } from './failure.ts';

/** A Deferred that has already fired with `result`. */
export function succeed<T>(result: T): Deferred<T> {
  const d = new Deferred<T>();
  d.callback(result);
  return d;
}

/** A Deferred that has already failed with `reason` (wrapped in a Failure unless it is one). */
export function fail<T = never>(...reason: [reason: unknown] | []): Deferred<T> {
  const d = new Deferred<T>();
  d.errback(...reason);
  return d;
}

/** Calls `fn` now; its return value (even a Deferred, unwrapped) is the result, a throw the failure. */
export function execute<R, A extends unknown[]>(fn: (...args: A) => R, ...args: A): Deferred<R> {
  let result: R;
  try {
    result = fn(...args);
  } catch (error) {
    return fail(error);
  }
  return succeed(result);
}

/** Whether `value` has a `then` method: a Promise, or anything awaitable like one. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Calls `fn` now and always hands back a Deferred: the one `fn` returned (the same object), a
 * failed one if it threw or returned a Failure, one following a returned Promise, or a fired one.
 */
export function maybeDeferred<R, A extends unknown[]>(
  fn: (...args: A) => R,
  ...args: A
): Deferred<R extends Deferred<infer V> ? V : Awaited<R>> {
  type Out = R extends Deferred<infer V> ? V : Awaited<R>;
  let result: unknown;
  try {
    result = fn(...args);
  } catch (error) {
    return fail(error);
  }
  if (result instanceof Deferred) return result as Deferred<Out>;
  if (result instanceof Failure) return fail(result);
  if (isThenable(result)) return Deferred.fromPromise(result as PromiseLike<Out>);
  return succeed(result as Out);
}

/**
 * A Deferred that fires `seconds` from now on `clock` with `fn(...args)` (a returned Deferred is
 * waited on, a throw fails it), or with `undefined` when there is no `fn`. Cancelling it unschedules the call.
 */
export function deferLater<R = undefined, A extends unknown[] = []>(
  clock: ReactorTime,
  seconds: number,
  fn?: (...args: A) => R,
  ...args: A
): Deferred<R extends Deferred<infer V> ? V : R> {
  const d = new Deferred<undefined>(() => call.cancel());
  const out = d.addCallback(() => (fn === undefined ? undefined : fn(...args)));
  const call = clock.callLater(seconds, () => d.callback(undefined));
  return out as Deferred<R extends Deferred<infer V> ? V : R>;
}
