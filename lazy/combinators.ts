/**
 * Combinators over `Lazy` sequences, Haskell-style (`take(3, naturals())`): each one stays lazy —
 * it pulls its sources only when it is pulled — and each one passes `close()` (a consumer's `break`
 * or `return()`) on to every source it opened, without waiting behind a pending pull.
 *
 * Why our own rather than IxJS or Node's stream helpers (see README.md for the longer version):
 * IxJS's operators are async generators, so every item costs a promise at every stage, a `return()`
 * waits behind a pending `next()`, and its `zip` does not return its sources when the consumer
 * stops. Node's `Readable#map/filter/take` are fine for byte streams but buffer ahead by design
 * (`highWaterMark`) and have no zip or merge. Here items move between stages in synchronous runs,
 * so `lines` can hand out a chunk's lines without a promise each, and the stopping rules are ours.
 */

import { setLongTimeout } from '../poetry/long-timeout.ts';
import { Cursor, doneResult, from, Lazy, type Puller, type Run, single } from './lazy.ts';

type Source<T> = AsyncIterable<T> | Iterable<T>;

/**
 * Pulls lazily-transformed runs from one upstream; the shape of `map`, `filter` and `lines`. The
 * pullers and runs made per open or per run here are written with methods, not arrow-valued
 * properties: a loader that keeps function names (tsx does) defines a `name` on every arrow stored
 * under a name, a slow property write each time one is made.
 */
function through<A, B>(source: Source<A>, transform: (run: Run<A>) => Run<B>): Lazy<B> {
  const upstream = from(source);
  return new Lazy(() => {
    const puller = upstream.open();
    return {
      pull() {
        return puller.pull().then((run) => run && transform(run));
      },
      close() {
        return puller.close();
      },
    };
  });
}

/** `fn` applied to each item, when that item is asked for. */
export function map<A, B>(fn: (item: A) => B, source: Source<A>): Lazy<B> {
  return through(source, (run) => ({
    next() {
      const item = run.next();
      return item.done ? doneResult : { done: false, value: fn(item.value) };
    },
  }));
}

/** The items for which `keep` is true. */
export function filter<T>(keep: (item: T) => boolean, source: Source<T>): Lazy<T> {
  return through(source, (run) => ({
    next() {
      for (let item = run.next(); !item.done; item = run.next()) {
        if (keep(item.value)) return item;
      }
      return doneResult;
    },
  }));
}

/** Each item replaced by the items `fn` returns for it (zero, one or many), like Haskell's `concatMap`. */
export function concatMap<A, B>(fn: (item: A) => Iterable<B>, source: Source<A>): Lazy<B> {
  return through(source, (run) => {
    let inner: Iterator<B> | undefined;
    return {
      next() {
        for (;;) {
          if (inner) {
            const item = inner.next();
            if (!item.done) return item;
            inner = undefined;
          }
          const outer = run.next();
          if (outer.done) return doneResult;
          inner = fn(outer.value)[Symbol.iterator]();
        }
      },
    };
  });
}

/**
 * Text split into lines, like Haskell's `lines`: `\n` ends a line (a `\r` before it is dropped, even
 * when the two arrive in different chunks), and a last line without `\n` still counts. The lines of
 * one chunk are handed out synchronously, each found with `indexOf` only when it is asked for; only
 * the unfinished last line of a chunk is carried over to the next.
 */
export function lines(source: Source<string>): Lazy<string> {
  const upstream = from(source);
  return new Lazy(() => {
    const puller = upstream.open();
    let carry = '';
    let finished = false;
    return {
      async pull() {
        while (!finished) {
          const run = await puller.pull();
          if (!run) {
            finished = true;
            if (carry === '') return undefined;
            const last = withoutCR(carry);
            carry = '';
            return single(last);
          }
          let text = carry;
          for (let chunk = run.next(); !chunk.done; chunk = run.next()) text += chunk.value;
          const end = text.lastIndexOf('\n');
          if (end === -1) {
            carry = text;
            continue;
          }
          carry = text.slice(end + 1);
          return lineRun(text, end);
        }
        return undefined;
      },
      close() {
        return puller.close();
      },
    };
  });
}

function withoutCR(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

/**
 * The complete lines of `text` (everything before its last `\n`). Splitting is one native pass, the
 * cheapest way to cut a chunk; what is done *with* each line downstream still happens one at a time,
 * as it is asked for.
 */
function lineRun(text: string, end: number): Run<string> {
  const found = text.slice(0, end).split('\n');
  const crlf = text.includes('\r');
  let at = 0;
  return {
    next() {
      if (at === found.length) return doneResult;
      const line = found[at++]!;
      return { done: false, value: crlf ? withoutCR(line) : line };
    },
  };
}

/**
 * The first `count` items. The source is closed the moment the last of them is handed out, not
 * when the consumer next asks: `take(1, lines(contents(a)))` hangs up as soon as it has its line.
 */
export function take<T>(count: number, source: Source<T>): Lazy<T> {
  const upstream = from(source);
  return new Lazy(() => {
    const puller = upstream.open();
    let left = count;
    const stop = () => {
      puller.close().catch(() => {});
    };
    if (left <= 0) stop();
    return {
      async pull() {
        if (left <= 0) return undefined;
        const run = await puller.pull();
        if (!run) return undefined;
        return {
          next() {
            if (left <= 0) return doneResult;
            const item = run.next();
            if (item.done) return item;
            left -= 1;
            if (left === 0) stop();
            return item;
          },
        };
      },
      close() {
        return puller.close();
      },
    };
  });
}

/** All but the first `count` items (which are still read, and dropped). */
export function drop<T>(count: number, source: Source<T>): Lazy<T> {
  const upstream = from(source);
  return new Lazy(() => {
    let left = count;
    const skipping = (): boolean => {
      if (left <= 0) return true;
      left -= 1;
      return false;
    };
    return filter(skipping, upstream).open();
  });
}

/**
 * Tuples of the sources' items, in step. It ends as soon as any source ends (or fails): the others
 * are closed at once — including one whose pull is still in flight, which is not left running.
 */
export function zip<T extends unknown[]>(...sources: { [K in keyof T]: Source<T[K]> }): Lazy<T> {
  const upstreams = sources.map((source) => from(source));
  return new Lazy(() => {
    const cursors = upstreams.map((upstream) => new Cursor(upstream.open()));
    let finished = false;
    const closeAll = async () => {
      finished = true;
      await Promise.all(cursors.map((cursor) => cursor.return()));
    };
    return {
      pull: () => {
        if (finished) return Promise.resolve(undefined);
        return new Promise<Run<T> | undefined>((resolve, reject) => {
          const tuple: unknown[] = new Array(cursors.length);
          let waiting = cursors.length;
          let settled = false;
          const end = (error?: unknown) => {
            if (settled) return;
            settled = true;
            closeAll().then(() => (error === undefined ? resolve(undefined) : reject(error)), reject);
          };
          cursors.forEach((cursor, index) => {
            cursor.next().then((item) => {
              if (item.done) return end();
              tuple[index] = item.value;
              waiting -= 1;
              if (waiting === 0 && !settled) {
                settled = true;
                resolve(single(tuple as T));
              }
            }, end);
          });
        });
      },
      close: closeAll,
    };
  });
}

/**
 * The items of all sources, interleaved in the order they arrive. Each source has at most one pull
 * in flight and at most one run waiting to be handed out, so a fast source cannot run ahead of the
 * consumer (no unbounded queue). Every pull has its rejection handled at once (no unhandled
 * rejection when the consumer has stopped listening); the first failure closes the rest; and on
 * close every source is closed, so all their `finally` blocks run.
 */
export function merge<T>(...sources: Source<T>[]): Lazy<T> {
  const upstreams = sources.map((source) => from(source));
  return new Lazy(() => new MergePuller(upstreams.map((upstream) => upstream.open())));
}

type Arrival<T> = { readonly index: number; readonly run?: Run<T>; readonly failure?: { error: unknown } };

class MergePuller<T> implements Puller<T> {
  readonly #pullers: Puller<T>[];
  /** Sources not yet finished; a source is in `#inFlight` while its pull is pending or its run unread. */
  readonly #live: Set<number>;
  readonly #inFlight = new Set<number>();
  readonly #arrived: Arrival<T>[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(pullers: Puller<T>[]) {
    this.#pullers = pullers;
    this.#live = new Set(pullers.keys());
  }

  async pull(): Promise<Run<T> | undefined> {
    for (;;) {
      if (this.#closed) return undefined;
      const arrival = this.#arrived.shift();
      if (arrival) {
        this.#inFlight.delete(arrival.index);
        if (arrival.failure) {
          await this.close();
          throw arrival.failure.error;
        }
        if (arrival.run) return arrival.run;
        this.#live.delete(arrival.index);
        continue;
      }
      if (this.#live.size === 0) return undefined;
      for (const index of this.#live) if (!this.#inFlight.has(index)) this.#start(index);
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#arrived.length = 0;
    this.#wake?.();
    await Promise.allSettled(this.#pullers.map((puller) => puller.close()));
  }

  #start(index: number): void {
    this.#inFlight.add(index);
    this.#pullers[index]!.pull().then(
      (run) => this.#arrive({ index, ...(run ? { run } : {}) }),
      (error: unknown) => this.#arrive({ index, failure: { error } }),
    );
  }

  #arrive(arrival: Arrival<T>): void {
    if (this.#closed) return;
    this.#arrived.push(arrival);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** The sources one after another; each is opened only when the previous one has ended. */
export function concat<T>(...sources: Source<T>[]): Lazy<T> {
  const upstreams = sources.map((source) => from(source));
  return new Lazy(() => {
    let index = 0;
    let current: Puller<T> | undefined;
    let closed = false;
    return {
      async pull() {
        while (!closed && index < upstreams.length) {
          current ??= upstreams[index]!.open();
          const run = await current.pull();
          if (run) return run;
          current = undefined;
          index += 1;
        }
        return undefined;
      },
      async close() {
        closed = true;
        await current?.close();
      },
    };
  });
}

/**
 * Read-ahead: once first pulled, keeps pulling the source in the background until `size` items wait
 * in the buffer, then stops until the consumer takes some. The consumer takes everything buffered at
 * once (as one run), so at most `size` items wait here beyond those it holds.
 */
export function buffer<T>(size: number, source: Source<T>): Lazy<T> {
  const upstream = from(source);
  return new Lazy(() => new ReadAhead(upstream.open(), size));
}

/**
 * Starts reading the source now, in the background, and keeps everything read until it is taken:
 * Haskell's `forkIO` forcing a lazy download. Without it a lazy consumer reads a source only when it
 * gets to it. Unlike the other combinators it is hot: it starts once, at the call, and can be
 * iterated once.
 */
export function fork<T>(source: Source<T>): Lazy<T> {
  const readAhead = new ReadAhead(from(source).open(), Number.POSITIVE_INFINITY);
  readAhead.fill();
  let opened = false;
  return new Lazy(() => {
    if (opened) throw new Error('a forked sequence can be iterated only once');
    opened = true;
    return readAhead;
  });
}

class ReadAhead<T> implements Puller<T> {
  readonly #source: Puller<T>;
  readonly #size: number;
  #items: T[] = [];
  /** A run only partly taken into the buffer: a run may be long (even endless), the buffer may not. */
  #run: Run<T> | undefined;
  #reading = false;
  #ended = false;
  #failure: { error: unknown } | undefined;
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(source: Puller<T>, size: number) {
    this.#source = source;
    this.#size = size;
  }

  pull(): Promise<Run<T> | undefined> {
    this.fill();
    if (this.#mustWait()) return this.#waitAndTake();
    // Answered at once, without an async function's machinery: a forked download has often
    // finished by the time its turn comes, and there may be thousands of them.
    try {
      return Promise.resolve(this.#take());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #mustWait(): boolean {
    return this.#items.length === 0 && !this.#ended && !this.#failure && !this.#closed;
  }

  async #waitAndTake(): Promise<Run<T> | undefined> {
    while (this.#mustWait()) await new Promise<void>((resolve) => (this.#wake = resolve));
    return this.#take();
  }

  /** Everything buffered, as one run; `undefined` at the end; throws the source's failure. */
  #take(): Run<T> | undefined {
    if (this.#closed) return undefined;
    if (this.#items.length > 0) {
      const items = this.#items;
      this.#items = [];
      this.fill();
      return items[Symbol.iterator]();
    }
    if (this.#failure) throw this.#failure.error;
    return undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#items = [];
    this.#run = undefined;
    this.#signal();
    await this.#source.close();
  }

  /** Takes items into the buffer, pulling the source in the background, until it holds `size`. */
  fill(): void {
    if (this.#reading || this.#closed) return;
    while (this.#run && this.#items.length < this.#size) {
      const item = this.#run.next();
      if (item.done) this.#run = undefined;
      else this.#items.push(item.value);
    }
    if (this.#run || this.#ended || this.#failure || this.#items.length >= this.#size) return;
    this.#reading = true;
    this.#source.pull().then(
      (run) => {
        this.#reading = false;
        if (this.#closed) return;
        if (run) this.#run = run;
        else this.#ended = true;
        this.fill();
        this.#signal();
      },
      (error: unknown) => {
        this.#reading = false;
        this.#failure = { error };
        this.#signal();
      },
    );
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/**
 * Haskell's bounded `mapConcurrently` (`pooledMapConcurrentlyN` in unliftio): `fn` applied to every
 * item of `source`, at most `limit` calls running at once, the results handed out in the source's
 * order. It is `fork` with a bound: once first pulled it starts calls without waiting for the
 * consumer, a call that settles frees its place at once (its result waits to be taken) and the next
 * item starts. `limit` is at least 1; `Infinity` starts every call at once.
 *
 * Each call is given a signal that aborts when the sequence stops early: on close (a consumer's
 * `break`, `take` reaching its count) or on the first failure, of a call or of the source. Then no
 * further call starts, and a failure rejects the next pull.
 */
export function mapConcurrent<A, B>(
  limit: number,
  fn: (item: A, index: number, signal: AbortSignal) => Promise<B>,
  source: Source<A>,
): Lazy<B> {
  if (!(limit >= 1)) throw new RangeError(`mapConcurrent needs a limit of at least 1, not ${limit}`);
  const upstream = from(source);
  return new Lazy(() => new ConcurrentMap(upstream.open(), limit, fn));
}

class ConcurrentMap<A, B> implements Puller<B> {
  readonly #source: Puller<A>;
  readonly #limit: number;
  readonly #fn: (item: A, index: number, signal: AbortSignal) => Promise<B>;
  readonly #stop = new AbortController();
  /** The source's items not yet started: a run is taken from only as places free up. */
  #items: Run<A> | undefined;
  #pullingSource = false;
  #sourceEnded = false;
  #started = 0;
  #running = 0;
  /** The index of the next result to hand out; the results settled ahead of it wait here. */
  #next = 0;
  readonly #settled = new Map<number, B>();
  #failure: { error: unknown } | undefined;
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(source: Puller<A>, limit: number, fn: (item: A, index: number, signal: AbortSignal) => Promise<B>) {
    this.#source = source;
    this.#limit = limit;
    this.#fn = fn;
  }

  async pull(): Promise<Run<B> | undefined> {
    for (;;) {
      if (this.#closed) return undefined;
      if (this.#failure) throw this.#failure.error;
      this.#fill();
      const ready = this.#takeReady();
      if (ready) return ready;
      if (this.#sourceEnded && this.#running === 0) return undefined;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#items = undefined;
    this.#settled.clear();
    this.#stop.abort();
    this.#signal();
    await this.#source.close();
  }

  /** Every result from `#next` on that has settled, in order, as one run. */
  #takeReady(): Run<B> | undefined {
    if (!this.#settled.has(this.#next)) return undefined;
    const ready: B[] = [];
    while (this.#settled.has(this.#next)) {
      ready.push(this.#settled.get(this.#next) as B);
      this.#settled.delete(this.#next);
      this.#next += 1;
    }
    return ready[Symbol.iterator]();
  }

  /** Starts calls while there is room, pulling the source in the background when its run is used up. */
  #fill(): void {
    while (!this.#closed && !this.#failure && this.#running < this.#limit) {
      const item = this.#items?.next();
      if (!item || item.done) {
        this.#items = undefined;
        this.#pullSource();
        return;
      }
      this.#start(item.value);
    }
  }

  #pullSource(): void {
    if (this.#pullingSource || this.#sourceEnded) return;
    this.#pullingSource = true;
    this.#source.pull().then(
      (run) => {
        this.#pullingSource = false;
        if (run) this.#items = run;
        else this.#sourceEnded = true;
        this.#fill();
        this.#signal();
      },
      (error: unknown) => {
        this.#pullingSource = false;
        this.#sourceEnded = true;
        this.#fail(error);
      },
    );
  }

  #start(item: A): void {
    const index = this.#started;
    this.#started += 1;
    this.#running += 1;
    let call: Promise<B>;
    try {
      call = this.#fn(item, index, this.#stop.signal);
    } catch (error) {
      call = Promise.reject(error);
    }
    call.then(
      (value) => {
        this.#running -= 1;
        if (this.#closed || this.#failure) return;
        this.#settled.set(index, value);
        this.#fill();
        // Only the result the consumer is waiting for wakes it: with thousands running, most
        // settle ahead of their turn, and a wake that finds nothing to take is wasted work.
        if (index === this.#next) this.#signal();
      },
      (error: unknown) => {
        this.#running -= 1;
        this.#fail(error);
      },
    );
  }

  /** The first failure stops the rest: running calls are aborted, the source is closed, nothing more starts. */
  #fail(error: unknown): void {
    if (this.#closed || this.#failure) return;
    this.#failure = { error };
    this.#items = undefined;
    this.#stop.abort(error);
    this.#source.close().catch(() => {});
    this.#signal();
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/**
 * Stops the source with `error` when `arm` fires: a pending pull rejects at once and the source is
 * closed. `arm` returns its disarm, called when the sequence ends or is closed, so no timer or
 * listener outlives it. The shape shared by `timeout` and `cancelOn`.
 */
function interrupt<T>(source: Source<T>, arm: (fire: (error: Error) => void) => () => void): Lazy<T> {
  const upstream = from(source);
  return new Lazy(() => {
    const puller = upstream.open();
    let failure: Error | undefined;
    let rejectPending: ((error: Error) => void) | undefined;
    let disarm: (() => void) | undefined;
    let over = false;
    const finish = () => {
      over = true;
      disarm?.();
      disarm = undefined;
    };
    const fire = (error: Error) => {
      if (over) return;
      failure = error;
      finish();
      rejectPending?.(error);
      puller.close().catch(() => {});
    };
    return {
      pull() {
        if (failure) return Promise.reject(failure);
        if (!over && !disarm) disarm = arm(fire);
        if (failure) return Promise.reject(failure);
        return new Promise<Run<T> | undefined>((resolve, reject) => {
          rejectPending = reject;
          puller.pull().then(
            (run) => {
              rejectPending = undefined;
              if (!run) finish();
              resolve(run);
            },
            (error: unknown) => {
              rejectPending = undefined;
              finish();
              reject(error);
            },
          );
        });
      },
      close() {
        finish();
        return puller.close();
      },
    };
  });
}

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Fails with `error()` (a `TimeoutError` by default) if the whole sequence has not ended within `ms`
 * of its first pull — a deadline for a download, not IxJS's gap between two items. The timer is
 * cleared when the sequence ends, fails or is closed; a deadline beyond setTimeout's 2^31 - 1 ms is
 * waited out in full, and `Infinity` is none.
 */
export function timeout<T>(ms: number, source: Source<T>, error?: () => Error): Lazy<T> {
  return interrupt(source, (fire) => {
    const timer = setLongTimeout(() => fire(error ? error() : new TimeoutError(`not finished within ${ms} ms`)), ms);
    return () => timer.cancel();
  });
}

/**
 * Stops with `error()` (the signal's reason by default) when `signal` aborts, even mid-read.
 * However many sequences one signal stops, it has one listener (see `whenAborted`).
 */
export function cancelOn<T>(signal: AbortSignal, source: Source<T>, error?: () => Error): Lazy<T> {
  return interrupt(source, (fire) => {
    const onAbort = () => fire(error ? error() : toError(signal.reason));
    if (signal.aborted) {
      onAbort();
      return () => {};
    }
    return whenAborted(signal, onAbort);
  });
}

/**
 * What each signal stops when it aborts. A listener per sequence would put thousands on a caller's
 * signal (one per download), and Node warns of a leak past 10; so a signal gets one listener, which
 * calls them all, and loses it when the last of them is disarmed.
 */
const stoppedBy = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `onAbort` when `signal` aborts; returns its disarm. */
function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
  let stops = stoppedBy.get(signal);
  if (!stops) {
    stops = new Set();
    stoppedBy.set(signal, stops);
    signal.addEventListener('abort', stopAll, { once: true });
  }
  const armed = stops;
  armed.add(onAbort);
  return () => {
    armed.delete(onAbort);
    if (armed.size > 0) return;
    stoppedBy.delete(signal);
    signal.removeEventListener('abort', stopAll);
  };
}

function stopAll(this: AbortSignal): void {
  for (const onAbort of stoppedBy.get(this) ?? []) onAbort();
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/**
 * Runs the (cold) source again after a failure, up to `retries` more times, when `shouldRetry`
 * agrees — but only while nothing has been handed on. Once an item has gone downstream a lazy
 * consumer may already have acted on it (printed the line), and a new attempt would hand it out
 * twice, so a failure after that point is final.
 */
export function retry<T>(
  retries: number,
  source: Source<T>,
  shouldRetry: (error: unknown) => boolean = () => true,
): Lazy<T> {
  const upstream = from(source);
  return new Lazy<T>(() => {
    let puller = upstream.open();
    let left = retries;
    let handedOn = false;
    let closed = false;
    return {
      async pull() {
        for (;;) {
          try {
            const run = await puller.pull();
            if (run) handedOn = true;
            return run;
          } catch (error) {
            if (closed || handedOn || left <= 0 || !shouldRetry(error)) throw error;
            left -= 1;
            await puller.close();
            puller = upstream.open();
          }
        }
      },
      close() {
        closed = true;
        return puller.close();
      },
    };
  });
}
