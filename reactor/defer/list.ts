/**
 * Waiting for many Deferreds at once: `DeferredList` (every outcome, in input order),
 * `gatherResults` (the values, or the first failure) and `race` (the first success).
 *
 * This is how the series' clients collect all their poems: the list fires once, when the last
 * download has finished one way or the other.
 */
import { Deferred } from './deferred.ts';
import { Failure, FailureGroup, FirstError } from './failure.ts';

/** One input's outcome: `[true, value]` or `[false, failure]`. */
export type ListEntry<T> = readonly [success: true, result: T] | readonly [success: false, result: Failure];

export interface DeferredListOptions {
  /** Fire with `[result, index]` on the first success (and never, for an empty list). */
  readonly fireOnOneCallback?: boolean;
  /** Errback with `FirstError(failure, index)` on the first failure. */
  readonly fireOnOneErrback?: boolean;
  /** Handle the inputs' failures: each failed input's result becomes `undefined`, so nothing is reported. */
  readonly consumeErrors?: boolean;
}

/**
 * A Deferred for a list of Deferreds. Fires with `[success, result]` for every input in input order;
 * with `fireOnOneCallback` the result type is `[T, number]`, so say so: `new DeferredList<T, [T, number]>(…)`.
 */
export class DeferredList<T, R = ListEntry<T>[]> extends Deferred<R> {
  /** The outcomes so far, by input index. */
  readonly resultList: (ListEntry<T> | undefined)[];
  finishedCount = 0;
  readonly #inputs: readonly Deferred<T>[];
  readonly #options: DeferredListOptions;

  constructor(deferreds: Iterable<Deferred<T>>, options: DeferredListOptions = {}) {
    super();
    this.#inputs = [...deferreds];
    this.#options = options;
    this.resultList = new Array(this.#inputs.length).fill(undefined);
    if (this.#inputs.length === 0 && !options.fireOnOneCallback) this.callback([] as R);
    // One shared function with (list, index) as its arguments rather than two closures per input:
    // the link waits as long as its input does, and a list may wait on thousands.
    for (let index = 0; index < this.#inputs.length; index++) {
      (this.#inputs[index] as Deferred<T>).addBoth(
        DeferredList.#inputLink,
        this as DeferredList<unknown, unknown>,
        index,
      );
    }
  }

  static #inputLink(result: unknown, list: DeferredList<unknown, unknown>, index: number): unknown {
    return list.#inputFired(!(result instanceof Failure), result, index);
  }

  #inputFired(success: boolean, result: unknown, index: number): unknown {
    this.resultList[index] = [success, result] as ListEntry<T>;
    this.finishedCount++;
    if (!this.called) {
      if (success && this.#options.fireOnOneCallback) this.callback([result, index] as R);
      else if (!success && this.#options.fireOnOneErrback)
        this.errback(new Failure(new FirstError(result as Failure, index)));
      else if (this.finishedCount === this.resultList.length) this.callback(this.resultList as R);
    }
    return !success && this.#options.consumeErrors ? undefined : result;
  }

  /** Cancels every input given at construction, unless the list has fired. A canceller that throws is reported, not raised. */
  override cancel(): void {
    if (this.called) return;
    for (const input of this.#inputs) {
      try {
        input.cancel();
      } catch (error) {
        console.error('Exception raised from user supplied canceller', error);
      }
    }
  }
}

/**
 * The inputs' values in input order, or the first failure as `FirstError`. Cancelling it cancels the
 * inputs. Without `consumeErrors`, failed inputs keep their failure (and are reported if unhandled).
 */
export function gatherResults<T>(
  deferreds: Iterable<Deferred<T>>,
  options: { readonly consumeErrors?: boolean } = {},
): Deferred<T[]> {
  const list = new DeferredList<T>(deferreds, { fireOnOneErrback: true, consumeErrors: options.consumeErrors });
  return list.addCallback((entries) => entries.map((entry) => entry[1] as T));
}

/**
 * The first input to succeed, as `[index, result]`; the others are cancelled. If all fail, a
 * `FailureGroup` of their failures. An empty race never fires.
 */
export function race<T>(deferreds: Iterable<Deferred<T>>): Deferred<[number, T]> {
  const inputs = [...deferreds];
  const failures: Failure[] = new Array(inputs.length);
  let failed = 0;
  let won = false;
  const winner = new Deferred<[number, T]>(() => {
    for (const input of inputs) input.cancel();
  });
  inputs.forEach((input, index) => {
    input.addCallbacks(
      (result) => {
        if (won) return undefined;
        won = true;
        winner.callback([index, result]);
        inputs.forEach((other, otherIndex) => {
          if (otherIndex !== index) other.cancel();
        });
        return undefined;
      },
      (failure) => {
        if (won) return undefined;
        failures[index] = failure;
        failed++;
        if (failed === inputs.length) winner.errback(new FailureGroup(failures));
        return undefined;
      },
    );
  });
  return winner;
}
