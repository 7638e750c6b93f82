/**
 * The small interfaces the reactor world is written against. `ReactorTime` is what Deferred
 * helpers (`addTimeout`, `deferLater`) need from a clock: the real reactor and the test `Clock`
 * both provide it through the same code path.
 */

/** A call scheduled with `callLater`, which can still be cancelled, moved or inspected. */
export interface DelayedCall {
  /** The time (in the clock's `seconds()`) at which it is due. */
  getTime(): number;
  /** Stops it from running; an error if it already ran or was cancelled. */
  cancel(): void;
  /** Makes it due `seconds` from now. */
  reset(seconds: number): void;
  /** Pushes it `seconds` later than it was due. */
  delay(seconds: number): void;
  /** True until it runs or is cancelled. */
  active(): boolean;
}

/** Scheduling by time: the part of a reactor a timer needs. */
export interface ReactorTime {
  /** Now, in seconds, on this clock. */
  seconds(): number;
  callLater<A extends unknown[]>(seconds: number, fn: (...args: A) => unknown, ...args: A): DelayedCall;
  /** The calls still pending, in no promised order. */
  getDelayedCalls(): readonly DelayedCall[];
}

/**
 * Something the reactor can watch, like a file descriptor under `select`: a connection, a listening
 * port. The reactor calls `doRead` when it is readable and `doWrite` when it is writable, and
 * `connectionLost` once when it is dropped (a callback threw, or the reactor stopped).
 */
export interface FileDescriptor {
  /** Reads what is available, at most a bounded amount, and hands it on. */
  doRead(): void;
  /** Writes what it can, or finishes a pending connect. */
  doWrite(): void;
  /** It is gone; release everything it holds. Called once. */
  connectionLost(reason: Error): void;
  /** How log lines about it start, e.g. `PoetryProtocol,client`. */
  logPrefix(): string;
}
