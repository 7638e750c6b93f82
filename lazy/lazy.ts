/**
 * The core of the lazy library: a cold, pull-driven sequence (`Lazy<T>`) and the protocol its
 * stages speak among themselves.
 *
 * Every stage is an `AsyncIterable`, so a `for await` loop or IxJS can consume it. Between our own
 * stages, though, items do not travel one promise at a time: a stage's `pull()` resolves to a *run*,
 * a synchronous iterator over items that are already here (the lines of one socket chunk, say). A
 * run is still lazy — `map` applies its function only when the next item is asked for — but a
 * pipeline of `lines → map → filter` costs one promise per chunk inside, and one per item only at
 * the consumer's `for await`. That is why the combinators are written here rather than taken from
 * IxJS, whose operators are async generators awaiting every item at every stage.
 *
 * Stopping is as important as reading. `close()` must never wait behind a pending `pull()`: it
 * releases the source at once and the pending pull resolves as finished. (An async generator's
 * `return()` is queued behind its running `next()`, which is how `return()` comes to hang in other
 * libraries; none of our stages is an async generator.)
 */

/** Items that are already here, handed out synchronously. A stage may wrap one lazily. */
export type Run<T> = Iterator<T, unknown, undefined>;

/** One open iteration of a `Lazy`: the protocol between our stages. */
export interface Puller<T> {
  /** The next run of items, or `undefined` once the sequence is finished. Never called twice at once. */
  pull(): Promise<Run<T> | undefined>;
  /**
   * Stops: releases sockets, timers and upstream sources. Safe to call more than once and while a
   * pull is pending (which then resolves `undefined`); resolves once our own resources are released.
   */
  close(): Promise<void>;
}

const finished: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
const finishedPromise: Promise<IteratorReturnResult<undefined>> = Promise.resolve(finished);

/**
 * A cold, lazy sequence: nothing happens until it is iterated, and each iteration starts afresh
 * (iterating `contents(address)` twice opens two connections), as with IxJS's async iterables.
 */
export class Lazy<T> implements AsyncIterable<T> {
  readonly open: () => Puller<T>;

  constructor(open: () => Puller<T>) {
    this.open = open;
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return new Cursor(this.open());
  }
}

/**
 * The `AsyncIterator` face of a puller. Items of the current run are handed out without touching
 * the source; only when the run is used up does it pull again.
 */
export class Cursor<T> implements AsyncIterator<T, undefined> {
  readonly #puller: Puller<T>;
  #run: Run<T> | undefined;
  #done = false;
  /** The pull in progress, so that overlapping `next()` calls queue instead of pulling twice. */
  #pending: Promise<IteratorResult<T, undefined>> | undefined;
  /** What a pull settles into, made once per cursor rather than once per pull. */
  readonly #onRun: (run: Run<T> | undefined) => IteratorResult<T, undefined> | Promise<IteratorResult<T, undefined>>;
  readonly #onFailure: (error: unknown) => Promise<never>;

  constructor(puller: Puller<T>) {
    this.#puller = puller;
    // Assigned here rather than as field initializers: a loader that keeps function names (tsx
    // does) defines a `name` on every function made by an initializer, a slow property write on
    // each of thousands of cursors.
    this.#onRun = (run) => this.#took(run);
    this.#onFailure = (error) => this.#failed(error);
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#pending) {
      const again = () => this.next();
      return this.#pending.then(again, again);
    }
    if (this.#run) {
      const item = this.#run.next();
      if (!item.done) return Promise.resolve(item as IteratorYieldResult<T>);
      this.#run = undefined;
    }
    if (this.#done) return finishedPromise;
    const pending = this.#pull();
    this.#pending = pending;
    return pending;
  }

  /** Stops the source at once, even while a `next()` is pending (that `next()` then reports done). */
  async return(): Promise<IteratorReturnResult<undefined>> {
    if (!this.#done) {
      this.#done = true;
      this.#run = undefined;
      await this.#puller.close();
    }
    return finished;
  }

  /** A wrapper forwards `throw` as a stop: the source is closed and the error comes back to the caller. */
  async throw(error?: unknown): Promise<IteratorReturnResult<undefined>> {
    await this.return();
    throw error;
  }

  #pull(): Promise<IteratorResult<T, undefined>> {
    let run: Promise<Run<T> | undefined>;
    try {
      run = this.#puller.pull();
    } catch (error) {
      run = Promise.reject(error);
    }
    return run.then(this.#onRun, this.#onFailure);
  }

  /** The first item of a pulled run; a run that turns out empty is followed by another pull. */
  #took(run: Run<T> | undefined): IteratorResult<T, undefined> | Promise<IteratorResult<T, undefined>> {
    if (this.#done) return this.#answer(finished);
    if (!run) {
      this.#done = true;
      return this.#answer(finished);
    }
    const item = run.next();
    if (item.done) return this.#pull();
    this.#run = run;
    return this.#answer(item as IteratorYieldResult<T>);
  }

  /** A failed source is finished; closing it anyway makes sure nothing it opened stays open. */
  async #failed(error: unknown): Promise<never> {
    this.#done = true;
    try {
      await this.#puller.close();
    } finally {
      this.#pending = undefined;
    }
    throw error;
  }

  /** Ends the pull in progress with `result`: the next `next()` goes ahead instead of queueing. */
  #answer(result: IteratorResult<T, undefined>): IteratorResult<T, undefined> {
    this.#pending = undefined;
    return result;
  }
}

/** A run of exactly one item. */
export function single<T>(value: T): Run<T> {
  return new Single(value);
}

/** A class rather than a closure: a socket chunk is one of these, so it is made very often. */
class Single<T> implements Run<T> {
  #value: T | undefined;
  #taken = false;

  constructor(value: T) {
    this.#value = value;
  }

  next(): IteratorResult<T, unknown> {
    if (this.#taken) return finished;
    this.#taken = true;
    const value = this.#value as T;
    this.#value = undefined;
    return { done: false, value };
  }
}

/** The finished result, shared so that runs do not allocate one each time they end. */
export const doneResult = finished;

/**
 * Any iterable as a `Lazy`. Ours are returned as they are. A synchronous iterable becomes one run
 * (so an infinite generator is fine: it is only advanced as items are asked for). A foreign
 * `AsyncIterable` — an async generator, an IxJS pipeline, a Node stream — is pulled one item per
 * run, and its `return()` is called on close *without* being awaited while one of its `next()`s is
 * pending: an async generator queues `return()` behind that `next()`, and a source parked on a
 * read that never completes would otherwise hang the consumer's `break` forever.
 */
export function from<T>(source: AsyncIterable<T> | Iterable<T>): Lazy<T> {
  if (source instanceof Lazy) return source;
  if (Symbol.asyncIterator in source) return new Lazy(() => new ForeignPuller(source[Symbol.asyncIterator]()));
  return new Lazy(() => new SyncPuller(source[Symbol.iterator]()));
}

class SyncPuller<T> implements Puller<T> {
  readonly #iterator: Iterator<T>;
  #handedOut = false;
  #closed = false;

  constructor(iterator: Iterator<T>) {
    this.#iterator = iterator;
  }

  pull(): Promise<Run<T> | undefined> {
    if (this.#handedOut || this.#closed) return Promise.resolve(undefined);
    this.#handedOut = true;
    return Promise.resolve(this.#iterator);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#iterator.return?.();
    }
    return Promise.resolve();
  }
}

class ForeignPuller<T> implements Puller<T> {
  readonly #iterator: AsyncIterator<T>;
  #closed = false;
  #finished = false;
  #pending: Promise<IteratorResult<T>> | undefined;
  #wakeOnClose: ((run: undefined) => void) | undefined;

  constructor(iterator: AsyncIterator<T>) {
    this.#iterator = iterator;
  }

  pull(): Promise<Run<T> | undefined> {
    if (this.#closed || this.#finished) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.#wakeOnClose = resolve;
      const pending = this.#iterator.next();
      this.#pending = pending;
      pending.then(
        (result) => {
          this.#pending = undefined;
          this.#wakeOnClose = undefined;
          if (result.done) this.#finished = true;
          resolve(result.done || this.#closed ? undefined : single(result.value));
        },
        (error: unknown) => {
          this.#pending = undefined;
          this.#wakeOnClose = undefined;
          this.#finished = true;
          reject(error);
        },
      );
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeOnClose?.(undefined);
    if (this.#finished || !this.#iterator.return) return;
    const returned = this.#iterator.return();
    // Behind a pending next(), return() may never settle: fire it, note failures, do not wait.
    if (this.#pending) returned.catch(() => {});
    else await returned.catch(() => {});
  }
}

/** 0, 1, 2, … for ever: the lazy library's infinite list, as in the series' Haskell examples. */
export function naturals(start = 0): Lazy<number> {
  function* count() {
    for (let n = start; ; n += 1) yield n;
  }
  return new Lazy(() => new SyncPuller(count()));
}

/**
 * Runs the sequence, calling `fn` on each item; resolves when it has ended. The terminal for a
 * consumer that does not await between items: each run is walked synchronously, so the cost is one
 * promise per run (per socket chunk) instead of one per item as with `for await`. `fn` throwing
 * stops the sequence (its source is closed, as on a `break`) and the promise rejects with that error.
 * A consumer that must await per item (write and wait for drain, say) uses `for await` instead.
 */
export async function forEach<T>(fn: (item: T) => void, source: AsyncIterable<T> | Iterable<T>): Promise<void> {
  await reduce<T, void>((_, item) => fn(item), undefined, source);
}

/**
 * Haskell's `foldl`: `step` folds each item into the accumulator, starting from `initial`; resolves
 * to the final value once the sequence ends. Runs are walked synchronously, as in `forEach`, which
 * is this fold with nothing to accumulate.
 */
export async function reduce<T, A>(
  step: (accumulator: A, item: T) => A,
  initial: A,
  source: AsyncIterable<T> | Iterable<T>,
): Promise<A> {
  const puller = from(source).open();
  let accumulator = initial;
  try {
    for (let run = await puller.pull(); run; run = await puller.pull()) {
      for (let item = run.next(); !item.done; item = run.next()) accumulator = step(accumulator, item.value);
    }
  } catch (error) {
    // A failed source is finished too; closing it anyway makes sure nothing it opened stays open.
    await puller.close();
    throw error;
  }
  return accumulator;
}

/** Runs the whole sequence and returns its items (only for sequences known to end). */
export async function toArray<T>(source: AsyncIterable<T> | Iterable<T>): Promise<T[]> {
  const items: T[] = [];
  await forEach((item: T) => items.push(item), source);
  return items;
}
