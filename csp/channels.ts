/**
 * Channels in the manner of Go and Hoare's CSP: processes (`process.ts`) share no state and meet
 * only at channels.
 *
 * - `chan<T>(capacity = 0)`: unbuffered (a put and a take meet, a rendezvous) or buffered (a put
 *   parks only when `capacity` values wait).
 * - `yield* put(ch, value)` / `yield* take(ch)` park the calling process until the operation can
 *   complete; an operation that can complete at once does not park at all. Each channel is FIFO:
 *   values are taken in the order they were put, parked takers are served in the order they parked,
 *   and so are parked putters.
 * - `close(ch)`: takes drain what is buffered, then return `CLOSED` (Go's `v, ok := <-ch` with `ok`
 *   false); a put on a closed channel throws `ClosedChannelError`, and so do the puts parked on it
 *   when it closes; closing twice throws.
 * - `yield* select({ a: take(x), b: put(y, v) })` completes exactly one of its cases and says which
 *   (`{ key, value }`). Among cases ready at once it picks at random — a seeded generator, so a run is
 *   reproducible (`seedSelect`) — not the first one, so no ready channel starves another; with
 *   `{ default: true }` it never parks and says `default` when nothing is ready. Parked, it waits on
 *   every case and the first to complete withdraws the others.
 * - `after(ms)`: a channel that delivers one value (`Date.now()`) `ms` after it was made. Its timer
 *   runs only while a process waits on it: a select that ends through another case clears it, so no
 *   timer outlives the selects that did not need it.
 * - `never`: Go's nil channel, on which nothing ever completes; a select case on it is never chosen.
 * - From code outside every process (an I/O callback): `offer`, `putThen`, `takeThen`, and the
 *   promise forms `putAsync` / `takeAsync`.
 */

import { type LongTimeout, setLongTimeout } from '../poetry/long-timeout.ts';
import { seededRandom } from '../poetry/random.ts';
import { currentProcess, PARK, type Park, type Resumable, schedule } from './process.ts';

/** What a take returns once the channel is closed and drained. */
export const CLOSED: unique symbol = Symbol('closed');
export type Closed = typeof CLOSED;

/** Not a value any channel carries: what a poll says when the operation would have to wait. */
const NOT_READY: unique symbol = Symbol('not ready');
type NotReady = typeof NOT_READY;

/** A put on a closed channel (Go panics: "send on closed channel"). */
export class ClosedChannelError extends Error {
  override readonly name = 'ClosedChannelError';
  constructor() {
    super('put on a closed channel');
  }
}

/** One party parked on one or more channels: a process in take/put/select, or a callback. */
class Parked {
  /** Set by the first of its operations to complete; the others are then withdrawn. */
  fired = false;
  /** A select's operations, one per case; a plain take or put has one and needs no list. */
  waiters: Waiter[] | undefined;
  constructor(
    readonly who: Resumable,
    /** A select is resumed with `{ key, value }`, a plain operation with the value alone. */
    readonly keyed: boolean,
  ) {}
}

/** One parked operation on one channel, a node of that channel's taker or putter queue. */
class Waiter {
  prev: Waiter | undefined;
  next: Waiter | undefined;
  constructor(
    readonly parked: Parked,
    readonly channel: Channel<unknown>,
    readonly isPut: boolean,
    readonly value: unknown,
    readonly key: string,
  ) {}
}

/** A doubly linked FIFO of waiters: a select that completes elsewhere leaves in O(1). */
class WaitQueue {
  head: Waiter | undefined;
  tail: Waiter | undefined;

  push(waiter: Waiter): void {
    waiter.prev = this.tail;
    if (this.tail) this.tail.next = waiter;
    else this.head = waiter;
    this.tail = waiter;
  }

  shift(): Waiter | undefined {
    const waiter = this.head;
    if (waiter) this.remove(waiter);
    return waiter;
  }

  remove(waiter: Waiter): void {
    if (waiter.prev) waiter.prev.next = waiter.next;
    else this.head = waiter.next;
    if (waiter.next) waiter.next.prev = waiter.prev;
    else this.tail = waiter.prev;
    waiter.prev = undefined;
    waiter.next = undefined;
  }
}

/** Completes `waiter`'s parked party with `value` (or throws `value` into it when `failed`). */
function fire(waiter: Waiter, value: unknown, failed = false): void {
  const parked = waiter.parked;
  parked.fired = true;
  if (parked.waiters) for (const other of parked.waiters) if (other !== waiter) other.channel.withdraw(other);
  schedule(parked.who, parked.keyed && !failed ? { key: waiter.key, value } : value, failed);
}

/** A FIFO of buffered values: an array read from `first`, compacted now and then. */
class ValueQueue<T> {
  #items: T[] = [];
  #first = 0;

  get length(): number {
    return this.#items.length - this.#first;
  }

  push(value: T): void {
    this.#items.push(value);
  }

  shift(): T {
    const value = this.#items[this.#first] as T;
    this.#items[this.#first] = undefined as T;
    this.#first++;
    if (this.#first === this.#items.length) {
      this.#items.length = 0;
      this.#first = 0;
    } else if (this.#first >= 1024 && this.#first * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#first);
      this.#first = 0;
    }
    return value;
  }
}

export class Channel<T> {
  readonly capacity: number;
  readonly #buffer = new ValueQueue<T>();
  readonly #takers = new WaitQueue();
  readonly #putters = new WaitQueue();
  #closed = false;

  constructor(capacity = 0) {
    if (!(Number.isInteger(capacity) && capacity >= 0))
      throw new RangeError(`a channel's capacity is a whole number, 0 or more, not ${capacity}`);
    this.capacity = capacity;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** How many values wait in the buffer. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Takes a value if one can be had without waiting: `CLOSED` once closed and drained. */
  pollTake(): T | Closed | NotReady {
    if (this.#buffer.length > 0) {
      const value = this.#buffer.shift();
      const putter = this.#putters.shift();
      if (putter) {
        this.#buffer.push(putter.value as T);
        fire(putter, undefined);
      }
      return value;
    }
    const putter = this.#putters.shift();
    if (putter) {
      fire(putter, undefined);
      return putter.value as T;
    }
    return this.#closed ? CLOSED : NOT_READY;
  }

  /** Puts `value` if it can go without waiting; throws `ClosedChannelError` once closed. */
  pollPut(value: T): boolean {
    if (this.#closed) throw new ClosedChannelError();
    const taker = this.#takers.shift();
    if (taker) {
      this.takersLeft();
      fire(taker, value);
      return true;
    }
    if (this.#buffer.length < this.capacity) {
      this.#buffer.push(value);
      return true;
    }
    return false;
  }

  /** Parks `parked` as a taker (under `key` in a select). */
  parkTaker(parked: Parked, key: string): Waiter {
    const waiter = new Waiter(parked, this as Channel<unknown>, false, undefined, key);
    this.#takers.push(waiter);
    this.takerParked();
    return waiter;
  }

  /** Parks `parked` as a putter of `value` (under `key` in a select). */
  parkPutter(parked: Parked, value: T, key: string): Waiter {
    const waiter = new Waiter(parked, this as Channel<unknown>, true, value, key);
    this.#putters.push(waiter);
    return waiter;
  }

  /** Takes back an operation whose select completed on another case. */
  withdraw(waiter: Waiter): void {
    if (waiter.isPut) this.#putters.remove(waiter);
    else {
      this.#takers.remove(waiter);
      this.takersLeft();
    }
  }

  close(): void {
    if (this.#closed) throw new Error('close of a closed channel');
    this.#closed = true;
    for (let taker = this.#takers.shift(); taker; taker = this.#takers.shift()) fire(taker, CLOSED);
    this.takersLeft();
    for (let putter = this.#putters.shift(); putter; putter = this.#putters.shift())
      fire(putter, new ClosedChannelError(), true);
  }

  /** Puts without waiting if it can; says whether it did. For code outside every process. */
  offer(value: T): boolean {
    return this.pollPut(value);
  }

  /**
   * Puts `value`, then calls `then` — at once if the put completes at once, else when a taker
   * takes it (with a `ClosedChannelError` if the channel closes first). For code outside every process.
   */
  putThen(value: T, then: (error?: Error) => void): void {
    if (this.pollPut(value)) then();
    else
      this.parkPutter(
        new Parked(new Callback((error, failed) => then(failed ? (error as Error) : undefined)), false),
        value,
        '',
      );
  }

  /** Takes a value and hands it to `then`, at once if one is there. For code outside every process. */
  takeThen(then: (value: T | Closed) => void): void {
    const value = this.pollTake();
    if (value !== NOT_READY) then(value);
    else this.parkTaker(new Parked(new Callback((taken) => then(taken as T | Closed)), false), '');
  }

  /** Whether someone waits to take (a put would complete at once even unbuffered). */
  protected hasTakers(): boolean {
    return this.#takers.head !== undefined;
  }

  /** Hands `value` to the first parked taker, if any. */
  protected deliver(value: T): boolean {
    const taker = this.#takers.shift();
    if (!taker) return false;
    fire(taker, value);
    this.takersLeft();
    return true;
  }

  /** A taker parked: a timer channel starts its timer. */
  protected takerParked(): void {}

  /** A taker left or was served: a timer channel with nobody waiting stops its timer. */
  protected takersLeft(): void {}
}

/** A wake-up for code outside every process, run in the scheduler's turn like a process. */
class Callback implements Resumable {
  constructor(readonly fn: (value: unknown, failed: boolean) => void) {}
  resume(value: unknown, failed: boolean): void {
    this.fn(value, failed);
  }
}

/** A new channel: unbuffered by default (a put waits for its take), or holding `capacity` values. */
export function chan<T>(capacity = 0): Channel<T> {
  return new Channel<T>(capacity);
}

/** Closes `channel`; see `Channel.close`. */
export function close(channel: Channel<unknown>): void {
  channel.close();
}

/** Go's nil channel: nothing ever completes on it; a plain take or put on it parks for good. */
class NilChannel extends Channel<never> {
  override pollTake(): NotReady {
    return NOT_READY;
  }
  override pollPut(): boolean {
    return false;
  }
  override parkTaker(parked: Parked, key: string): Waiter {
    return new Waiter(parked, this as Channel<unknown>, false, undefined, key);
  }
  override parkPutter(parked: Parked, value: never, key: string): Waiter {
    return new Waiter(parked, this as Channel<unknown>, true, value, key);
  }
  override withdraw(): void {}
  override close(): void {
    throw new Error('close of the nil channel');
  }
}

/** The nil channel: a select case on it is never chosen (an absent timeout, say). */
export const never: Channel<never> = new NilChannel();

/** The channel `after` makes; its timer is armed only while somebody waits on it. */
class TimerChannel extends Channel<number> {
  readonly #deadline: number;
  readonly #ms: number;
  #timer: LongTimeout<TimerChannel> | undefined;
  #delivered = false;

  constructor(ms: number) {
    super(0);
    if (!(ms >= 0)) throw new RangeError(`after() needs a delay of 0 ms or more, not ${ms}`);
    this.#ms = ms;
    // The deadline on the monotonic clock the timers themselves keep: re-armed after a wait that
    // ended early, the timer is set for what is left by that clock, so a fake clock that drives the
    // timers (and `performance.now`) drives this channel too, and a wall-clock step never moves it.
    this.#deadline = performance.now() + ms;
  }

  override pollTake(): number | NotReady {
    if (this.#delivered || this.#ms === Number.POSITIVE_INFINITY || performance.now() < this.#deadline)
      return NOT_READY;
    this.#delivered = true;
    return Date.now();
  }

  override pollPut(): boolean {
    throw new TypeError('a timer channel is only taken from');
  }

  override close(): void {
    throw new TypeError('a timer channel is not closed');
  }

  protected override takerParked(): void {
    if (this.#timer !== undefined || this.#delivered) return;
    this.#timer = setLongTimeout<TimerChannel>(
      TimerChannel.#ring,
      Math.max(0, this.#deadline - performance.now()),
      this,
    );
  }

  protected override takersLeft(): void {
    if (this.#timer === undefined || this.hasTakers()) return;
    this.#timer.cancel();
    this.#timer = undefined;
  }

  static #ring(timer: TimerChannel): void {
    timer.#timer = undefined;
    timer.#delivered = true;
    timer.deliver(Date.now());
  }
}

/** A channel that delivers `Date.now()` once, `ms` milliseconds from now (`Infinity`: never). */
export function after(ms: number): Channel<number> {
  return new TimerChannel(ms);
}

// ------------------------------------------------------------------ operations

/** `yield* take(ch)`: the next value, parking until there is one; `CLOSED` once closed and drained. */
export class Take<T> implements Iterator<Park, T | Closed, unknown> {
  #parked = false;
  constructor(readonly channel: Channel<T>) {}

  [Symbol.iterator](): this {
    this.#parked = false;
    return this;
  }

  next(resumed?: unknown): IteratorResult<Park, T | Closed> {
    if (this.#parked) return { done: true, value: resumed as T | Closed };
    const value = this.channel.pollTake();
    if (value !== NOT_READY) return { done: true, value };
    this.channel.parkTaker(new Parked(currentProcess(), false), '');
    this.#parked = true;
    return { done: false, value: PARK };
  }

  /** What a parked operation is woken with when it fails (a put on a channel closed meanwhile). */
  throw(error: unknown): IteratorResult<Park, T | Closed> {
    throw error;
  }
}

/** `yield* put(ch, value)`: parks until the value is taken (or buffered); throws once `ch` is closed. */
export class Put<T> implements Iterator<Park, undefined, unknown> {
  #parked = false;
  constructor(
    readonly channel: Channel<T>,
    readonly value: T,
  ) {}

  [Symbol.iterator](): this {
    this.#parked = false;
    return this;
  }

  next(): IteratorResult<Park, undefined> {
    if (this.#parked) return { done: true, value: undefined };
    if (this.channel.pollPut(this.value)) return { done: true, value: undefined };
    this.channel.parkPutter(new Parked(currentProcess(), false), this.value, '');
    this.#parked = true;
    return { done: false, value: PARK };
  }

  throw(error: unknown): IteratorResult<Park, undefined> {
    throw error;
  }
}

export function take<T>(channel: Channel<T>): Take<T> {
  return new Take(channel);
}

export function put<T>(channel: Channel<T>, value: T): Put<T> {
  return new Put(channel, value);
}

/** One case of a select: a take or a put. */
export type Case = Take<unknown> | Put<unknown>;
type CaseValue<O> = O extends Take<infer T> ? T | Closed : undefined;
/** Which case of `C` completed, and with what: a take's value (or `CLOSED`), a put's `undefined`. */
export type Selected<C extends Readonly<Record<string, Case>>> = {
  [K in keyof C & string]: { readonly key: K; readonly value: CaseValue<C[K]> };
}[keyof C & string];
/** What a select with a default says when no case was ready. */
export type Defaulted = { readonly key: 'default'; readonly value: undefined };

let random = seededRandom(0x5eed);

/** Reseeds the generator that picks among ready cases: the same seed, the same choices. */
export function seedSelect(seed: number): void {
  random = seededRandom(seed);
}

const defaulted: Defaulted = Object.freeze({ key: 'default', value: undefined });

export class Select<R> implements Iterator<Park, R, unknown> {
  readonly #cases: Readonly<Record<string, Case>>;
  readonly #default: boolean;
  #parked = false;

  constructor(cases: Readonly<Record<string, Case>>, withDefault: boolean) {
    this.#cases = cases;
    this.#default = withDefault;
  }

  [Symbol.iterator](): this {
    this.#parked = false;
    return this;
  }

  next(resumed?: unknown): IteratorResult<Park, R> {
    if (this.#parked) return { done: true, value: resumed as R };
    const cases = this.#cases;
    const keys = Object.keys(cases);
    const count = keys.length;
    const start = count > 1 ? Math.floor(random() * count) : 0;
    for (let i = 0; i < count; i++) {
      const key = keys[(start + i) % count] as string;
      const op = cases[key] as Case;
      if (op instanceof Take) {
        const value = op.channel.pollTake();
        if (value !== NOT_READY) return { done: true, value: { key, value } as R };
      } else if (op.channel.pollPut(op.value)) return { done: true, value: { key, value: undefined } as R };
    }
    if (this.#default) return { done: true, value: defaulted as R };
    const parked = new Parked(currentProcess(), true);
    const waiters: Waiter[] = [];
    for (const key of keys) {
      const op = cases[key] as Case;
      waiters.push(
        op instanceof Take ? op.channel.parkTaker(parked, key) : op.channel.parkPutter(parked, op.value, key),
      );
    }
    parked.waiters = waiters;
    this.#parked = true;
    return { done: false, value: PARK };
  }

  throw(error: unknown): IteratorResult<Park, R> {
    throw error;
  }
}

/**
 * `yield* select({ key: take(ch) | put(ch, v), … })`: completes one case and returns `{ key, value }`.
 * With `{ default: true }` it never parks: `{ key: 'default' }` when no case is ready.
 */
export function select<C extends Readonly<Record<string, Case>>>(cases: C): Select<Selected<C>>;
export function select<C extends Readonly<Record<string, Case>>>(
  cases: C,
  options: { readonly default: true },
): Select<Selected<C> | Defaulted>;
export function select<C extends Readonly<Record<string, Case>>>(
  cases: C,
  options?: { readonly default: true },
): Select<Selected<C> | Defaulted> {
  return new Select(cases, options?.default === true);
}

// ------------------------------------------------------------------ from outside a process

/** A take from async code: a promise of the next value (or `CLOSED`). */
export function takeAsync<T>(channel: Channel<T>): Promise<T | Closed> {
  return new Promise((resolve) => channel.takeThen(resolve));
}

/** A put from async code: resolves once the value is taken or buffered, rejects once the channel is closed. */
export function putAsync<T>(channel: Channel<T>, value: T): Promise<void> {
  return new Promise((resolve, reject) => channel.putThen(value, (error) => (error ? reject(error) : resolve())));
}
