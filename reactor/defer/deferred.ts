/**
 * `Deferred`: Twisted's handle on a result that is not there yet, with a chain of callbacks and
 * errbacks that the result threads through.
 *
 * Unlike a Promise, everything here is synchronous: `callback()` runs the chain before it returns,
 * and a link added to a fired Deferred runs inside `addCallback`. A callback that returns another
 * Deferred pauses this one until that one fires. Those hand-offs run in one loop with an explicit
 * stack (the "trampoline"), so 100,000 nested Deferreds cost no more JavaScript stack than one.
 *
 * Where we differ from Twisted, and why, is in `reactor/defer/README.md`.
 */
import type { ReactorTime } from '../interfaces.ts';
import {
  AlreadyCalledError,
  CancelledError,
  Failure,
  isFailure,
  NoCurrentExceptionError,
  TimeoutError,
} from './failure.ts';

/** What a link's return value makes of the chain's type: a returned Deferred is waited on, a Failure leaves the success path. */
export type Chained<R> = R extends Deferred<infer V> ? V : R extends Failure ? never : R;

type LinkFunction = (result: unknown, ...args: unknown[]) => unknown;

const NO_ARGS: readonly unknown[] = [];

/** A link keeps its arguments as long as it waits: an empty rest array is swapped for the shared one. */
function argsOrNone(args: readonly unknown[]): readonly unknown[] {
  return args.length === 0 ? NO_ARGS : args;
}

/** The half of a link that hands the result on unchanged; recognised and skipped by the trampoline. */
function passthru(result: unknown): unknown {
  return result;
}

/** `value instanceof Deferred`, with primitives turned away first: see `isFailure` for why. */
function isDeferred(value: unknown): value is Deferred<unknown> {
  return (typeof value === 'object' ? value !== null : typeof value === 'function') && value instanceof Deferred;
}

const NORMAL = 0;
/** Hands this Deferred's result to `target`, which was waiting on it (a callback returned this Deferred). */
const CONTINUATION = 1;
/** Fires `target` with the result, as `chainDeferred` asks, without recursing. */
const CHAIN = 2;

/**
 * One (callback, errback) pair waiting to run. The links of a Deferred form a singly linked queue:
 * most Deferreds hold one to three links, and an array would reserve room for sixteen the moment the
 * first is added — with thousands of downloads in flight, that idle room was most of a Deferred's memory.
 */
class Link {
  next: Link | null = null;

  constructor(
    readonly callback: LinkFunction,
    readonly callbackArgs: readonly unknown[],
    readonly errback: LinkFunction,
    readonly errbackArgs: readonly unknown[],
    readonly kind: number,
    readonly target: Deferred<unknown> | null,
  ) {}
}

/** The head of a chain, as `prependErrback` reaches it; set in `Deferred`'s static block, which can see the private queue. */
let prependLink: (d: Deferred<unknown>, link: Link) => void;

/**
 * Puts `errback(failure, ...args)` at the head of the chain of `d`, which has not fired yet: before
 * every link already added. Twisted's inlineCallbacks does this when its Deferred is cancelled (it
 * swaps out `callbacks`), so that its own link sees the cancel before any caller's link does; the
 * driver in `generators/` does the same with this.
 */
export function prependErrback<A extends unknown[]>(
  d: Deferred<unknown>,
  errback: (failure: Failure, ...args: A) => unknown,
  ...args: A
): void {
  prependLink(d, new Link(passthru, NO_ARGS, errback as LinkFunction, argsOrNone(args), NORMAL, null));
}

// --- unhandled errors ---

/**
 * What we remember about a Deferred for its unhandled-error report. Kept apart from the Deferred so
 * the finalization registry can hold it without keeping the Deferred alive.
 */
class DebugInfo {
  creator: string | undefined;
  invoker: string | undefined;
  failResult: Failure | undefined;
}

/** A Deferred was collected while its final result was a Failure nobody handled. */
export interface UnhandledErrorReport {
  readonly message: 'Unhandled error in Deferred:';
  readonly failure: Failure;
  /** In debug mode: where the Deferred was created and first fired. */
  readonly debug: string | undefined;
}

export type UnhandledErrorReporter = (report: UnhandledErrorReport) => void;

/** The text the default reporter prints after the message: what Twisted logs as the failure. */
export function formatUnhandledError(report: UnhandledErrorReport): string {
  const debug = report.debug === undefined ? '' : `(debug: ${report.debug})\n`;
  return `${debug}Unhandled Error\n${report.failure.getTraceback()}`;
}

let reportUnhandled: UnhandledErrorReporter = (report) => {
  console.error(report.message);
  console.error(formatUnhandledError(report));
};

/** Replaces where unhandled errors go (tests, loggers); returns the previous reporter. */
export function setUnhandledErrorReporter(reporter: UnhandledErrorReporter): UnhandledErrorReporter {
  const previous = reportUnhandled;
  reportUnhandled = reporter;
  return previous;
}

const collected = new FinalizationRegistry<DebugInfo>((info) => {
  if (info.failResult === undefined) return;
  reportUnhandled({ message: 'Unhandled error in Deferred:', failure: info.failResult, debug: debugText(info) });
});

function debugText(info: DebugInfo): string | undefined {
  if (info.creator === undefined && info.invoker === undefined) return undefined;
  let text = '';
  if (info.creator !== undefined) text += ` C: Deferred was created:\n C:${info.creator.replaceAll('\n', '\n C:')}\n`;
  if (info.invoker !== undefined) text += ` I: First Invoker was:\n I:${info.invoker.replaceAll('\n', '\n I:')}\n`;
  return text;
}

function callerStack(): string {
  return (new Error().stack ?? '').split('\n').slice(3).join('\n');
}

export class Deferred<T = unknown> implements PromiseLike<T> {
  /**
   * Debug mode (creation and first-fire stacks in errors and reports). Lives on the prototype so
   * `setDebugging` switches it for every Deferred that has not set its own, as in Twisted.
   */
  declare debug: boolean;
  /** True once `callback` or `errback` has been called. */
  called = false;
  /** Above 0, the chain is held: by `pause()`, or while waiting on a Deferred a callback returned. */
  paused = 0;
  /**
   * The current result. Absent (not even `undefined`) until the Deferred fires, as in Twisted; while
   * the chain waits on another Deferred, it is that Deferred.
   */
  declare result: unknown;

  /** The next link to run (the head of the queue), and the last one queued. */
  #firstLink: Link | null = null;
  #lastLink: Link | null = null;
  #runningCallbacks = false;
  /** Set by cancelling without a canceller: the one late `callback`/`errback` of the cancelled work is ignored. */
  #suppressAlreadyCalled = false;
  // Typed loosely so that a Deferred<number> is still a Deferred<unknown> (a canceller is only ever given its own Deferred).
  #canceller: ((d: Deferred<never>) => void) | undefined;
  #chainedTo: Deferred<unknown> | null = null;
  #debugInfo: DebugInfo | null = null;

  static {
    prependLink = (d, link) => {
      link.next = d.#firstLink;
      d.#firstLink = link;
      if (d.#lastLink === null) d.#lastLink = link;
    };
  }

  constructor(canceller?: (deferred: Deferred<T>) => void) {
    this.#canceller = canceller as ((d: Deferred<never>) => void) | undefined;
    if (this.debug) this.#info().creator = callerStack();
  }

  // --- firing ---

  /** Fires the success path with `result` (a Failure goes down the error path instead) and runs the chain now. */
  callback(result: T | Failure): void {
    if (!this.#fire(result)) return;
    // Nothing to run (succeed(), most often): skip the trampoline, keep its bookkeeping.
    if (this.#firstLink !== null || this.paused) this.#runCallbacks();
    else this.#recordFinalResult();
  }

  /** Fires the error path; anything that is not a Failure is wrapped in one. Needs an argument: there is no "current exception". */
  errback(...reason: [reason: unknown] | []): void {
    if (reason.length === 0) throw new NoCurrentExceptionError();
    const failure = reason[0] instanceof Failure ? reason[0] : new Failure(reason[0]);
    if (this.#fire(failure)) this.#runCallbacks();
  }

  /** Records the first result; false when this call is the one late call a cancellation swallows. */
  #fire(result: unknown): boolean {
    if (this.called) {
      if (this.#suppressAlreadyCalled) {
        this.#suppressAlreadyCalled = false;
        return false;
      }
      const text = this.debug && this.#debugInfo !== null ? debugText(this.#debugInfo) : undefined;
      throw text === undefined ? new AlreadyCalledError() : new AlreadyCalledError(`\n${text}`);
    }
    if (this.debug) this.#info().invoker = callerStack();
    this.called = true;
    this.#canceller = undefined;
    this.result = result;
    return true;
  }

  // --- adding links ---

  /** Appends a (callback, errback) pair; the errback does not see what the paired callback throws. */
  addCallbacks<R1, R2 = Failure, A1 extends unknown[] = [], A2 extends unknown[] = []>(
    callback: (result: T, ...args: A1) => R1,
    errback?: ((failure: Failure, ...args: A2) => R2) | null,
    callbackArgs?: A1 | null,
    errbackArgs?: A2 | null,
  ): Deferred<Chained<R1> | Chained<R2>> {
    return this.#append(
      callback as LinkFunction,
      callbackArgs ?? NO_ARGS,
      (errback ?? passthru) as LinkFunction,
      errbackArgs ?? NO_ARGS,
    );
  }

  /** `fn(result, ...args)` on success; failures pass by. Returns this same Deferred. */
  addCallback<R, A extends unknown[]>(fn: (result: T, ...args: A) => R, ...args: A): Deferred<Chained<R>> {
    return this.#append(fn as LinkFunction, args, passthru, NO_ARGS);
  }

  /** `fn(failure, ...args)` on failure; returning anything but a Failure recovers. Returns this same Deferred. */
  addErrback<R, A extends unknown[]>(fn: (failure: Failure, ...args: A) => R, ...args: A): Deferred<T | Chained<R>> {
    return this.#append(passthru, NO_ARGS, fn as LinkFunction, args);
  }

  /** `fn(resultOrFailure, ...args)` either way. Returns this same Deferred. */
  addBoth<R, A extends unknown[]>(fn: (result: T | Failure, ...args: A) => R, ...args: A): Deferred<Chained<R>> {
    return this.#append(fn as LinkFunction, args, fn as LinkFunction, args);
  }

  /**
   * Fires `other` with this Deferred's result when it comes (this one then holds `undefined`).
   * Unlike Twisted's, long `chainDeferred` chains do not recurse: the trampoline runs `other`.
   */
  chainDeferred(other: Deferred<T>): Deferred<undefined> {
    other.#chainedTo = this as Deferred<unknown>;
    this.#enqueue(new Link(passthru, NO_ARGS, passthru, NO_ARGS, CHAIN, other as Deferred<unknown>));
    if (this.called) this.#runCallbacks();
    return this as unknown as Deferred<undefined>;
  }

  #append<U>(
    callback: LinkFunction,
    callbackArgs: readonly unknown[],
    errback: LinkFunction,
    errbackArgs: readonly unknown[],
  ): Deferred<U> {
    if (this.called && this.paused === 0 && !this.#runningCallbacks && this.#firstLink === null) {
      this.#runAddedLink(callback, callbackArgs, errback, errbackArgs);
    } else {
      this.#enqueue(new Link(callback, argsOrNone(callbackArgs), errback, argsOrNone(errbackArgs), NORMAL, null));
      if (this.called) this.#runCallbacks();
    }
    return this as unknown as Deferred<U>;
  }

  /**
   * A link added to a fired Deferred with nothing queued runs straight away, without a queue entry
   * or a trampoline stack: the same steps as one turn of `runCallbacks`, for the common case of
   * building a chain on a result that is already there.
   */
  #runAddedLink(
    callback: LinkFunction,
    callbackArgs: readonly unknown[],
    errback: LinkFunction,
    errbackArgs: readonly unknown[],
  ): void {
    const failed = isFailure(this.result);
    const fn = failed ? errback : callback;
    if (fn === passthru) return;
    this.#callLink(fn, failed ? errbackArgs : callbackArgs);
    const waiting = isDeferred(this.result) && this.#waitOrTakeOver(this.result);
    // Links added by the one that just ran were queued; run them (and do the bookkeeping) the usual way.
    if (!waiting && this.#firstLink !== null) this.#runCallbacks();
    else this.#recordFinalResult();
  }

  #enqueue(link: Link): void {
    if (this.#lastLink === null) this.#firstLink = link;
    else this.#lastLink.next = link;
    this.#lastLink = link;
  }

  /** Takes the next link off the queue, or `null` when none is waiting. */
  #dequeue(): Link | null {
    const link = this.#firstLink;
    if (link !== null) {
      this.#firstLink = link.next;
      if (this.#firstLink === null) this.#lastLink = null;
    }
    return link;
  }

  /** Calls one link half with the current result; what it returns (or a Failure of what it throws) becomes the result. */
  #callLink(fn: LinkFunction, args: readonly unknown[]): void {
    this.#runningCallbacks = true;
    // Kept in a local and stored once: a second store into the field showed in every link's cost.
    let result: unknown;
    try {
      result = args.length === 0 ? fn(this.result) : fn(this.result, ...args);
    } catch (error) {
      result = new Failure(error);
    } finally {
      this.#runningCallbacks = false;
    }
    if (result === this) {
      // Twisted warns and then deadlocks here; an error the chain can see is kinder.
      result = new Failure(
        new TypeError('a callback returned the Deferred it was attached to, which would stall the chain'),
      );
    }
    this.result = result;
  }

  /**
   * After a link returned a Deferred: waits for it if it has no usable result yet (true; its
   * continuation link will hand the result back), or takes its result over now, leaving it `undefined`.
   * Callers test `isDeferred` first, so the common case (a plain value) stays small enough for V8 to
   * inline into the chain-building code.
   */
  #waitOrTakeOver(returned: Deferred<unknown>): boolean {
    if (!returned.called || returned.paused || isDeferred(returned.result)) {
      this.paused++;
      this.#chainedTo = returned;
      returned.#enqueue(new Link(passthru, NO_ARGS, passthru, NO_ARGS, CONTINUATION, this as Deferred<unknown>));
      return true;
    }
    this.result = returned.result;
    returned.result = undefined;
    if (returned.#debugInfo !== null) returned.#debugInfo.failResult = undefined;
    return false;
  }

  /** At the end of a pass: a Failure left as the result is watched for the unhandled-error report. */
  #recordFinalResult(): void {
    if (isFailure(this.result)) this.#info().failResult = this.result;
    else if (this.#debugInfo !== null) this.#debugInfo.failResult = undefined;
  }

  // --- pause ---

  /** Holds the chain: links wait (and a fired result is kept) until a matching `unpause()`. */
  pause(): void {
    this.paused++;
  }

  /** Undoes one `pause()`; the last one runs whatever links are waiting on a fired Deferred. */
  unpause(): void {
    this.paused--;
    if (this.paused) return;
    if (this.called) this.#runCallbacks();
  }

  // --- cancellation ---

  /**
   * Asks the work behind this Deferred to stop. Unfired: runs the canceller, and errbacks with
   * `CancelledError` unless the canceller fired it. Fired but waiting on an inner Deferred: cancels
   * that one. Otherwise nothing.
   */
  cancel(): void {
    if (!this.called) {
      const canceller = this.#canceller;
      if (canceller !== undefined) canceller(this as unknown as Deferred<never>);
      else this.#suppressAlreadyCalled = true;
      if (!this.called) this.errback(new Failure(new CancelledError()));
    } else if (this.result instanceof Deferred) {
      this.result.cancel();
    }
  }

  // --- addTimeout ---

  /**
   * Cancels this Deferred if it has not fired `seconds` from now on `clock`. The links added before
   * see `CancelledError`; from here on the result is a `TimeoutError` instead (or whatever
   * `onTimeoutCancel(result, seconds)` makes of it). The timer is cancelled as soon as the result
   * reaches this point of the chain.
   */
  addTimeout(
    seconds: number,
    clock: ReactorTime,
    onTimeoutCancel: (result: unknown, seconds: number) => unknown = cancelledToTimeoutError,
  ): Deferred<T> {
    let timedOut = false;
    const timer = clock.callLater(seconds, () => {
      timedOut = true;
      this.cancel();
    });
    this.addBoth((result) => (timedOut ? onTimeoutCancel(result, seconds) : result));
    this.addBoth((result) => {
      if (timer.active()) timer.cancel();
      return result;
    });
    return this;
  }

  // --- the trampoline ---

  /**
   * Runs links until the chain is empty or held. `below` is the explicit stack that replaces
   * recursion: when an inner Deferred hands its result to the outer one waiting on it, the outer one
   * is run to its end (or next wait), then the inner one's remaining links resume.
   */
  #runCallbacks(): void {
    // A link added from inside a running link joins the end of the current pass.
    if (this.#runningCallbacks) return;
    let current: Deferred<unknown> = this as Deferred<unknown>;
    // The Deferreds below `current`, each to resume once the one above it is done; most passes hand
    // nothing over, so the stack is made at the first hand-over.
    let below: Deferred<unknown>[] | null = null;
    for (;;) {
      // Checked only here: a pause() from inside a running link does not stop the links already queued.
      if (current.paused) return;
      let handedTo: Deferred<unknown> | null = null;
      current.#chainedTo = null;
      for (let link = current.#dequeue(); link !== null; link = current.#dequeue()) {
        if (link.kind === CONTINUATION) {
          const waiter = link.target!;
          waiter.result = current.result;
          current.result = undefined;
          if (current.#debugInfo !== null) current.#debugInfo.failResult = undefined;
          waiter.paused--;
          handedTo = waiter;
          break;
        }
        if (link.kind === CHAIN) {
          const target = link.target!;
          const handedOver = current.result;
          current.result = undefined;
          try {
            if (target.#fire(handedOver) && !target.paused) {
              handedTo = target;
              break;
            }
          } catch (error) {
            current.result = new Failure(error);
          }
          continue;
        }
        const failed = isFailure(current.result);
        const fn = failed ? link.errback : link.callback;
        if (fn === passthru) continue;
        current.#callLink(fn, failed ? link.errbackArgs : link.callbackArgs);
        if (isDeferred(current.result) && current.#waitOrTakeOver(current.result)) break;
      }
      if (handedTo !== null) {
        if (below === null) below = [current];
        else below.push(current);
        current = handedTo;
        continue;
      }
      current.#recordFinalResult();
      const resumed = below?.pop();
      if (resumed === undefined) return;
      current = resumed;
    }
  }

  /** This Deferred's debug record, created (and watched for collection) on first need. */
  #info(): DebugInfo {
    if (this.#debugInfo === null) {
      this.#debugInfo = new DebugInfo();
      collected.register(this, this.#debugInfo);
    }
    return this.#debugInfo;
  }

  // --- promises ---

  /**
   * Makes a Deferred awaitable. A Deferred that already has a result (and is not held) is read without
   * touching it, and a failure read this way counts as handled; otherwise the result is consumed
   * (becomes `undefined`) when it arrives, as awaiting does in Twisted. `await` itself resumes in a
   * microtask: JavaScript gives no way to resume synchronously.
   */
  // biome-ignore lint/suspicious/noThenProperty: being thenable is the point: a Deferred can be awaited
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (this.called && !this.paused && !isDeferred(this.result)) {
      const result = this.result;
      if (isFailure(result)) {
        if (this.#debugInfo !== null) this.#debugInfo.failResult = undefined;
        return Promise.reject(result.value).then(onfulfilled, onrejected);
      }
      return Promise.resolve(result as T).then(onfulfilled, onrejected);
    }
    return this.asPromise().then(onfulfilled, onrejected);
  }

  /** A Promise of the result (rejected with the failure's value). Consumes the result: it becomes `undefined`. */
  asPromise(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.addCallbacks(
        (value) => {
          resolve(value);
          return undefined;
        },
        (failure) => {
          reject(failure.value);
          return undefined;
        },
      );
    });
  }

  /**
   * A Deferred that fires when `promise` settles. A Promise cannot be stopped, so cancelling the
   * Deferred fails it with `CancelledError` at once and ignores the Promise's late result.
   */
  static fromPromise<T>(promise: PromiseLike<T>): Deferred<T> {
    const d = new Deferred<T>();
    promise.then(
      (value) => d.callback(value),
      (reason) => d.errback(reason),
    );
    return d;
  }

  /** Like Twisted's repr: `<Deferred>`, `<Deferred current result: 'orange'>`, `<Deferred waiting on Deferred>`. */
  toString(): string {
    if (this.#chainedTo !== null) return '<Deferred waiting on Deferred>';
    if (!this.called) return '<Deferred>';
    return `<Deferred current result: ${describeResult(this.result)}>`;
  }
}

Object.defineProperty(Deferred.prototype, 'debug', { value: false, writable: true, configurable: true });

/** Turns debug mode on or off for every Deferred that has not set its own `debug`. */
export function setDebugging(on: boolean): void {
  Deferred.prototype.debug = on;
}

export function getDebugging(): boolean {
  return Deferred.prototype.debug;
}

function cancelledToTimeoutError(result: unknown, seconds: number): unknown {
  if (result instanceof Failure) {
    result.trap(CancelledError);
    throw new TimeoutError(seconds, 'Deferred');
  }
  return result;
}

function describeResult(result: unknown): string {
  if (typeof result === 'string') return `'${result}'`;
  if (result instanceof Failure) return result.toString();
  if (result instanceof Deferred) return '<Deferred>';
  try {
    return String(result);
  } catch {
    return typeof result;
  }
}
