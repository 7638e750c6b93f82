/**
 * Coordination with Deferreds: a lock, a counting semaphore and a queue. Every hand-off is
 * synchronous and first come, first served: `release()` or `put()` fires the next waiter before it
 * returns. A waiter that gives up (`cancel()` on its Deferred) simply leaves the line.
 *
 * The series downloads many poems with at most N at a time through `DeferredSemaphore.run`.
 */
import { Deferred } from './deferred.ts';
import { QueueOverflow, QueueUnderflow } from './failure.ts';
import { maybeDeferred } from './helpers.ts';

/** What Lock and Semaphore share: acquiring hands out a Deferred, and `run` wraps a call in acquire/release. */
abstract class ConcurrencyPrimitive {
  protected readonly waiting: Deferred<this>[] = [];
  /** `[this]`, the arguments of the release hung on every `run`'s outcome, made once rather than per call. */
  readonly #releaseArgs: [ConcurrencyPrimitive] = [this];
  /** Every waiter's canceller: it leaves the line. One function per primitive, not a closure per waiter. */
  readonly #leaveLine = (d: Deferred<this>): void => {
    this.waiting.splice(this.waiting.indexOf(d), 1);
  };

  abstract acquire(): Deferred<this>;
  abstract release(): void;

  /**
   * Runs `fn(...args)` once acquired (at once if free) and releases when its result, or the
   * Deferred it returned, is in; the result or failure passes through. Cancelling while still
   * waiting gives up the place in line.
   */
  run<R, A extends unknown[]>(
    fn: (...args: A) => R,
    ...args: A
  ): Deferred<R extends Deferred<infer V> ? V : Awaited<R>> {
    return this.acquire().addCallback(ConcurrencyPrimitive.#runHolding, fn, args) as Deferred<
      R extends Deferred<infer V> ? V : Awaited<R>
    >;
  }

  // `run`'s links are static functions given their data as arguments, not closures made per call: a
  // semaphore over thousands of downloads keeps one waiting link per download alive the whole time.

  /** Once acquired: the call, with the release hung on its outcome. */
  static #runHolding<A extends unknown[]>(
    primitive: ConcurrencyPrimitive,
    fn: (...args: A) => unknown,
    args: A,
  ): Deferred<unknown> {
    const release = primitive.#releaseArgs;
    return maybeDeferred(fn, ...args).addCallbacks(releaseAfter, releaseAfter, release, release);
  }

  /**
   * A Deferred for one acquire: fired now with the primitive when `free`, else queued, leaving the
   * line when cancelled. Only a queued one needs the canceller (a fired Deferred never calls it).
   */
  protected waiter(free: boolean): Deferred<this> {
    if (!free) {
      const d = new Deferred<this>(this.#leaveLine);
      this.waiting.push(d);
      return d;
    }
    const d = new Deferred<this>();
    d.callback(this);
    return d;
  }
}

function releaseAfter(result: unknown, primitive: ConcurrencyPrimitive): unknown {
  primitive.release();
  return result;
}

export class DeferredLock extends ConcurrencyPrimitive {
  locked = false;

  /** Fires with the lock itself once it is ours: now if it is free, otherwise in turn. */
  acquire(): Deferred<this> {
    const free = !this.locked;
    this.locked = true;
    return this.waiter(free);
  }

  /** Hands the lock to the next waiter (synchronously), or unlocks it. */
  release(): void {
    if (!this.locked) throw new Error('Tried to release an unlocked lock');
    this.locked = false;
    const next = this.waiting.shift();
    if (next !== undefined) {
      this.locked = true;
      next.callback(this);
    }
  }
}

export class DeferredSemaphore extends ConcurrencyPrimitive {
  readonly limit: number;
  tokens: number;

  constructor(tokens: number) {
    super();
    if (!(tokens >= 1)) throw new RangeError('DeferredSemaphore requires tokens >= 1');
    this.limit = tokens;
    this.tokens = tokens;
  }

  /** Fires with the semaphore once a token is ours: now if one is free, otherwise in turn. */
  acquire(): Deferred<this> {
    const free = this.tokens > 0;
    if (free) this.tokens--;
    return this.waiter(free);
  }

  /** Gives a token back; the first waiter gets it at once. */
  release(): void {
    if (this.tokens >= this.limit) throw new Error('Someone released me too many times: too many tokens!');
    this.tokens++;
    const next = this.waiting.shift();
    if (next !== undefined) {
      this.tokens--;
      next.callback(this);
    }
  }
}

/**
 * A queue whose `get()` is a Deferred. `size` bounds the items kept with nobody waiting
 * (`QueueOverflow` past it); `backlog` bounds the getters waiting on an empty queue (`QueueUnderflow`).
 */
export class DeferredQueue<T> {
  readonly waiting: Deferred<T>[] = [];
  readonly pending: T[] = [];
  readonly size: number | undefined;
  readonly backlog: number | undefined;

  constructor(options: { readonly size?: number; readonly backlog?: number } = {}) {
    this.size = options.size;
    this.backlog = options.backlog;
  }

  /** Gives `item` to the first waiting getter now, or keeps it. */
  put(item: T): void {
    const getter = this.waiting.shift();
    if (getter !== undefined) getter.callback(item);
    else if (this.size === undefined || this.pending.length < this.size) this.pending.push(item);
    else throw new QueueOverflow();
  }

  /** The next item: fired now if one is pending, otherwise when one is put. */
  get(): Deferred<T> {
    if (this.pending.length > 0) {
      const d = new Deferred<T>();
      d.callback(this.pending.shift() as T);
      return d;
    }
    if (this.backlog !== undefined && this.waiting.length >= this.backlog) throw new QueueUnderflow();
    const d: Deferred<T> = new Deferred<T>(() => {
      this.waiting.splice(this.waiting.indexOf(d), 1);
    });
    this.waiting.push(d);
    return d;
  }
}
