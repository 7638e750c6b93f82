/**
 * What the main thread and a worker thread say to each other, and how it crosses between them.
 *
 * Everything that crosses a thread boundary is copied by the structured clone algorithm, which keeps
 * an `Error`'s message but not its class nor its own properties: a `PoetryError` would arrive as a
 * plain `Error` without its `code` or `address`. So errors travel as plain records (`SentError`)
 * and are rebuilt on the other side. A worker's messages travel in batches (`Outbox`): one
 * `postMessage` per turn of its event loop instead of one per chunk.
 */
import type { MessagePort } from 'node:worker_threads';
import type { AnalyseOptions, PoemAnalysis } from '../poetry/analyse.ts';
import { type Address, PoetryError, type PoetryErrorCode, type TransformOptions } from '../poetry/contract.ts';

/** What every worker of one `getPoems` call is told when its session starts. */
export interface SessionOptions {
  readonly retries: number;
  readonly timeoutMs: number | undefined;
  readonly transform: TransformOptions | undefined;
  readonly analyse: AnalyseOptions | undefined;
  /** Whether anyone listens for progress: without a listener no event crosses at all. */
  readonly events: boolean;
  /**
   * One word of memory every thread shares (a `SharedArrayBuffer`), 1 once the caller has aborted.
   * The `cancel` message waits behind every task sent before it; the flag is seen at once, so a
   * thread starts no download main's abort came before.
   */
  readonly cancelled: Int32Array;
}

/** What piscina hands a worker: its end of the session's channel, and the call's options. */
export interface SessionStart {
  readonly port: MessagePort;
  readonly options: SessionOptions;
}

/** Main to worker. */
export type ToWorker =
  /** Fetch the poem at `address` for task `task` (1-based, the address's place in the input). */
  | { readonly type: 'task'; readonly task: number; readonly address: Address }
  /** The caller aborted: stop everything in flight. */
  | { readonly type: 'cancel' }
  /** Every result is in: the session may end. */
  | { readonly type: 'end' };

/** A `PoetryError` as it crosses a thread: its code, its address and its message without the address. */
export interface SentError {
  readonly code: PoetryErrorCode;
  readonly address: string;
  readonly message: string;
  /** The cause's message and Node error code, when there was one. */
  readonly cause?: { readonly message: string; readonly code?: string };
}

/**
 * Worker to main: that the session listens, progress (without the address, which main adds), and
 * results. An event's `at` is when it happened in its thread, as `performance.timeOrigin + now()`:
 * each thread's `performance.now()` counts from its own start, their sum is one clock for all.
 */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'connected'; readonly task: number; readonly at: number }
  | { readonly type: 'chunk'; readonly task: number; readonly bytes: number; readonly at: number }
  | { readonly type: 'done'; readonly task: number; readonly bytes: number; readonly at: number }
  | { readonly type: 'failed'; readonly task: number; readonly error: SentError; readonly at: number }
  | {
      readonly type: 'poem';
      readonly task: number;
      readonly poem: string;
      readonly transformError?: SentError;
      readonly analysis?: PoemAnalysis;
    }
  | { readonly type: 'failure'; readonly task: number; readonly error: SentError };

/** Now, on the clock every thread shares (milliseconds since the epoch, fractional). */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}

/** `error` as a plain record that survives the structured clone. */
export function sendError(error: PoetryError): SentError {
  const prefix = `${error.address}: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  const cause = error.cause;
  if (cause === undefined) return { code: error.code, address: error.address, message };
  const causeCode = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  const causeMessage = cause instanceof Error ? cause.message : String(cause);
  return {
    code: error.code,
    address: error.address,
    message,
    cause: causeCode === undefined ? { message: causeMessage } : { message: causeMessage, code: causeCode },
  };
}

/** The `PoetryError` that `sent` describes, as it was before it crossed (its cause a plain `Error`). */
export function receiveError(sent: SentError): PoetryError {
  if (sent.cause === undefined) return new PoetryError(sent.code, sent.address, sent.message);
  const cause = Object.assign(
    new Error(sent.cause.message),
    sent.cause.code === undefined ? {} : { code: sent.cause.code },
  );
  return new PoetryError(sent.code, sent.address, sent.message, { cause });
}

/**
 * A worker's messages to main, sent in one batch per turn of the event loop: a turn that reads
 * fifty chunks posts one message, not fifty. `flush` sends what is waiting at once, for code about
 * to hold the thread (an analysis) that must not hold the progress back with it.
 */
export class Outbox {
  readonly #port: MessagePort;
  #waiting: FromWorker[] = [];
  #scheduled: NodeJS.Immediate | undefined;

  constructor(port: MessagePort) {
    this.#port = port;
  }

  send(message: FromWorker): void {
    this.#waiting.push(message);
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#waiting.length === 0) return;
    const batch = this.#waiting;
    this.#waiting = [];
    this.#port.postMessage(batch);
  }
}
