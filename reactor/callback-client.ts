/**
 * The `reactor` model: the poetry client as the series' client 3.x writes it, with callbacks.
 *
 * Nothing here waits. `getPoetry` starts a connection and returns; the reactor's loop later calls
 * the protocol (`connectionMade`, `dataReceived`, `connectionLost`) and the factory
 * (`clientConnectionFailed`), and they in turn call the caller's `callback` with the poem or its
 * `errback` with a typed error — exactly one of the two, once. Timeouts are `callLater`s, the
 * concurrency limit is a counter and a queue, a retry is the errback starting the download again,
 * cancelling is a flag plus an abort of whatever is in flight. The only Promise is in `getPoems`,
 * the edge where the harness meets the model: it runs a fresh reactor, and resolves when the
 * callbacks have collected every result and stopped it.
 *
 * Read it top to bottom as client 3.x reads: the protocol, the factory, `getPoetry`; then the
 * transform (one more connection of the same shape); then the many-download code (limit, retry,
 * collect, cancel) and the `getPoems` edge. After the story, `OneOutcome`: the once-only outcome
 * and timer that both factories keep.
 */

import { type AnalyseOptions, analysePoem } from '../poetry/analyse.ts';
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
  type PoetryError,
  type PoetryEvent,
  type TransformOptions,
} from '../poetry/contract.ts';
import { PoemDecoder } from '../poetry/decode.ts';
import { poetryErrors } from '../poetry/errors.ts';
import { encodeNetstring, NetstringDecoder } from '../poetry/netstring.ts';
import { ConnectionDone, toPoetryFailure } from './errors.ts';
import type { DelayedCall } from './interfaces.ts';
import { Reactor } from './reactor.ts';
import { ClientFactory, type Connector, Protocol } from './tcp.ts';

// #uses fail: toPoetryFailure (reactor/errors.ts)

type Report = (event: PoetryEvent) => void;

// #region receive
/** Accumulates the poem as it arrives; the server closing the connection means it is complete. */
class PoetryProtocol extends Protocol {
  declare factory: PoetryClientFactory;
  #decoder: PoemDecoder | undefined;
  #bytes = 0;

  override connectionMade(): void {
    this.#decoder = new PoemDecoder(this.factory.address);
    this.factory.emit({ type: 'connected' });
  }

  override dataReceived(data: Buffer): void {
    this.#bytes += data.length;
    this.factory.emit({ type: 'chunk', bytes: data.length });
    try {
      this.#decoder?.push(data);
    } catch (error) {
      this.factory.poemFailed(error as PoetryError);
      this.transport?.abortConnection();
    }
  }
  // #endregion

  // #region finish
  override connectionLost(reason: Error): void {
    // #region fail
    if (!(reason instanceof ConnectionDone)) {
      this.factory.poemFailed(toPoetryFailure(reason, this.factory.address));
      return;
    }
    // #endregion
    let poem: string;
    try {
      poem = this.#decoder?.end() ?? '';
    } catch (error) {
      this.factory.poemFailed(error as PoetryError);
      return;
    }
    this.poemReceived(poem);
  }

  poemReceived(poem: string): void {
    this.factory.poemFinished(poem, this.#bytes);
  }
  // #endregion
}

/** What one download reports besides its outcome. */
export interface DownloadOptions {
  readonly timeoutMs?: number;
  /** 1-based position in the caller's list, for events. */
  readonly task?: number;
  readonly onEvent?: Report;
}

/** A download in flight, as its caller holds it. */
export interface Download {
  /** Gives up: the errback gets `CANCELLED` now and the connection is dropped. */
  cancel(): void;
}

/** Makes the one PoetryProtocol of one download and hands its outcome to the callback or the errback. */
class PoetryClientFactory extends ClientFactory implements Download {
  connector: Connector | undefined;
  readonly address: Address;
  readonly #callback: (poem: string, bytes: number) => void;
  readonly #errback: (error: PoetryError) => void;
  readonly #timeoutMs: number | undefined;
  readonly #task: number;
  readonly #onEvent: Report | undefined;
  readonly #outcome = new OneOutcome();

  constructor(
    reactor: Reactor,
    address: Address,
    callback: (poem: string, bytes: number) => void,
    errback: (error: PoetryError) => void,
    { timeoutMs, task = 1, onEvent }: DownloadOptions,
  ) {
    super();
    this.address = address;
    this.#callback = callback;
    this.#errback = errback;
    this.#timeoutMs = timeoutMs;
    this.#task = task;
    this.#onEvent = onEvent;
    // #region timeout
    this.#outcome.startTimeout(reactor, timeoutMs, () => this.#timedOut());
    // #endregion
  }

  override buildProtocol(): PoetryProtocol {
    const protocol = new PoetryProtocol();
    protocol.factory = this;
    return protocol;
  }

  /** Progress events for this download's task. */
  emit(event: { type: 'connected' } | { type: 'chunk'; bytes: number }): void {
    this.#onEvent?.({ ...event, task: this.#task, address: formatAddress(this.address), at: performance.now() });
  }

  // #region finish
  poemFinished(poem: string, bytes: number): void {
    if (this.#outcome.finish()) this.#callback(poem, bytes);
  }
  // #endregion

  // #region fail
  poemFailed(error: PoetryError): void {
    if (this.#outcome.finish()) this.#errback(error);
  }

  override clientConnectionFailed(_connector: Connector, reason: Error): void {
    this.poemFailed(toPoetryFailure(reason, this.address));
  }
  // #endregion

  // #region timeout
  #timedOut(): void {
    this.poemFailed(poetryErrors.timeout(this.address, this.#timeoutMs as number));
    this.connector?.disconnect();
  }
  // #endregion

  // #region cancel
  cancel(): void {
    this.poemFailed(poetryErrors.cancelled(this.address));
    const transport = this.connector?.transport;
    if (transport) transport.abortConnection();
    else if (this.connector?.state === 'connecting') this.connector.stopConnecting();
  }
  // #endregion
}

// #region connect
/**
 * Fetches one poem: `callback(poem, bytes)` or `errback(error)`, never both, each at most once.
 * The reactor is a parameter (the series used the global one) because every `getPoems` call runs
 * its own.
 */
export function getPoetry(
  reactor: Reactor,
  address: Address,
  callback: (poem: string, bytes: number) => void,
  errback: (error: PoetryError) => void,
  options: DownloadOptions = {},
): Download {
  const factory = new PoetryClientFactory(reactor, address, callback, errback, options);
  factory.connector = reactor.connectTCP(address.host, address.port, factory);
  return factory;
}
// #endregion

// #region transform
/**
 * Sends `poem` through the transform server. `callback` always fires once: with the transformed
 * poem, or with the original and the reason the transform failed.
 */
export function transformPoem(
  reactor: Reactor,
  poem: string,
  transform: TransformOptions,
  callback: (poem: string, transformError?: PoetryError) => void,
  timeoutMs?: number,
): Download {
  const factory = new TransformClientFactory(reactor, poem, transform, callback, timeoutMs);
  factory.connector = reactor.connectTCP(transform.address.host, transform.address.port, factory);
  return factory;
}

/** Makes the transform's protocol (netstring or raw) and calls back once, with the new poem or the old one. */
class TransformClientFactory extends ClientFactory implements Download {
  connector: Connector | undefined;
  readonly poem: string;
  readonly transform: TransformOptions;
  readonly #callback: (poem: string, transformError?: PoetryError) => void;
  readonly #outcome = new OneOutcome();

  constructor(
    reactor: Reactor,
    poem: string,
    transform: TransformOptions,
    callback: (poem: string, transformError?: PoetryError) => void,
    timeoutMs: number | undefined,
  ) {
    super();
    this.poem = poem;
    this.transform = transform;
    this.#callback = callback;
    this.#outcome.startTimeout(reactor, timeoutMs, () => {
      this.transformFailed(poetryErrors.noReplyWithin(timeoutMs));
      this.connector?.disconnect();
    });
  }

  override buildProtocol(): Protocol {
    const protocol = this.transform.protocol === 'raw' ? new RawTransformProtocol() : new NetstringTransformProtocol();
    protocol.factory = this;
    return protocol;
  }

  transformed(reply: Uint8Array): void {
    let poem: string;
    try {
      const decoder = new PoemDecoder(this.transform.address);
      decoder.push(reply);
      poem = decoder.end();
    } catch (error) {
      this.transformFailed((error as Error).message, error);
      return;
    }
    if (this.#outcome.finish()) this.#callback(poem);
  }

  transformFailed(why: string, cause?: unknown): void {
    if (!this.#outcome.finish()) return;
    const error = poetryErrors.transformFailed(this.transform.address, why, cause);
    this.#callback(this.poem, error);
  }

  override clientConnectionFailed(_connector: Connector, reason: Error): void {
    this.transformFailed(toPoetryFailure(reason, this.transform.address).message, reason);
  }

  /** The task was cancelled: drop the connection without calling back (the task already failed). */
  cancel(): void {
    this.#outcome.finish();
    this.connector?.disconnect();
    this.connector?.transport?.abortConnection();
  }
}

/** `<len>:<name>.<poem>,` out, one `<len>:<poem>,` back. */
class NetstringTransformProtocol extends Protocol {
  declare factory: TransformClientFactory;
  readonly #replies = new NetstringDecoder();

  override connectionMade(): void {
    this.transport?.write(encodeNetstring(`${this.factory.transform.name}.${this.factory.poem}`));
  }

  override dataReceived(data: Buffer): void {
    let reply: Buffer | undefined;
    try {
      [reply] = this.#replies.push(data);
    } catch (error) {
      this.factory.transformFailed(`bad reply: ${(error as Error).message}`, error);
      this.transport?.abortConnection();
      return;
    }
    if (reply) {
      this.factory.transformed(reply);
      this.transport?.loseConnection();
    }
  }

  override connectionLost(reason: Error): void {
    this.factory.transformFailed('the transform server closed without a reply', reason);
  }
}

/** Raw mode: write the poem, half-close, and the answer is everything until the server closes. */
class RawTransformProtocol extends Protocol {
  declare factory: TransformClientFactory;
  readonly #chunks: Buffer[] = [];

  override connectionMade(): void {
    this.transport?.write(this.factory.poem);
    this.transport?.loseWriteConnection();
  }

  override dataReceived(data: Buffer): void {
    this.#chunks.push(data);
  }

  override connectionLost(reason: Error): void {
    if (reason instanceof ConnectionDone) this.factory.transformed(Buffer.concat(this.#chunks));
    else this.factory.transformFailed(toPoetryFailure(reason, this.factory.transform.address).message, reason);
  }
}
// #endregion

/** What the many-download code needs, unpacked from the caller's options in `getPoems`. */
export interface FetchPlan {
  readonly concurrency: number;
  readonly retries: number;
  readonly transform: TransformOptions | undefined;
  readonly timeoutMs: number | undefined;
  readonly onEvent: Report | undefined;
  readonly analyse: AnalyseOptions | undefined;
}

/**
 * Fetches every poem, at most `concurrency` at a time, retrying failures, and calls `allDone`
 * once with one result per address in input order. `start` begins; `cancelAll` fails every
 * unfinished task with `CANCELLED` and drops their connections. All bookkeeping is plain state: a
 * cursor into the queue, each unfinished task's download in flight, a count of finished tasks.
 */
export function fetchPoems(
  reactor: Reactor,
  addresses: readonly Address[],
  { concurrency, retries, transform, timeoutMs, onEvent, analyse }: FetchPlan,
  allDone: (results: PoemResult[]) => void,
): { start(): void; cancelAll(): void } {
  const results: PoemResult[] = new Array(addresses.length);
  /** Each unfinished task's download (or transform) in flight: its size is how many are in flight. */
  const current = new Map<number, Download>();
  let nextIndex = 0;
  let finishedCount = 0;
  let cancelled = false;

  // #region limit
  const startMore = (): void => {
    while (!cancelled && nextIndex < addresses.length && current.size < concurrency) {
      attempt(nextIndex++, 0);
    }
  };
  // #endregion

  const attempt = (index: number, tries: number): void => {
    const address = addresses[index] as Address;
    const download = getPoetry(
      reactor,
      address,
      (poem, bytes) => (transform ? transformThen(index, poem, bytes) : succeed(index, bytes, poem)),
      (error) => {
        // #region retry
        if (error.code !== 'CANCELLED' && tries < retries && !cancelled) {
          attempt(index, tries + 1);
          return;
        }
        // #endregion
        fail(index, error);
      },
      { timeoutMs, task: index + 1, onEvent },
    );
    current.set(index, download);
  };

  // #region transform
  const transformThen = (index: number, poem: string, bytes: number): void => {
    const download = transformPoem(
      reactor,
      poem,
      transform as TransformOptions,
      (text, transformError) => succeed(index, bytes, text, transformError),
      timeoutMs,
    );
    current.set(index, download);
  };
  // #endregion

  // #region collect
  const succeed = (index: number, bytes: number, poem: string, transformError?: PoetryError): void => {
    const address = formatAddress(addresses[index] as Address);
    onEvent?.({ type: 'done', task: index + 1, address, bytes, at: performance.now() });
    const result: Extract<PoemResult, { ok: true }> = transformError
      ? { ok: true, address, poem, transformError }
      : { ok: true, address, poem };
    // #region analyse
    // In the callback, on the reactor's one thread: no other connection is served until it returns.
    finishTask(index, analyse ? { ...result, analysis: analysePoem(poem, analyse.rounds) } : result);
    // #endregion
  };

  const fail = (index: number, error: PoetryError): void => {
    const address = formatAddress(addresses[index] as Address);
    onEvent?.({ type: 'failed', task: index + 1, address, error, at: performance.now() });
    finishTask(index, { ok: false, address, error });
  };

  const finishTask = (index: number, result: PoemResult): void => {
    results[index] = result;
    current.delete(index);
    finishedCount += 1;
    if (finishedCount === addresses.length) {
      allDone(results);
      return;
    }
    // #region limit
    // A finished task frees a place.
    startMore();
    // #endregion
  };
  // #endregion

  // #region cancel
  const cancelAll = (): void => {
    if (cancelled) return;
    cancelled = true;
    for (const [index, download] of [...current]) {
      download.cancel();
      // A transform's cancel does not call back, so the task is failed here; a download's already was.
      if (current.get(index) === download) fail(index, poetryErrors.cancelled(addresses[index] as Address));
    }
    while (nextIndex < addresses.length) {
      const index = nextIndex++;
      fail(index, poetryErrors.cancelled(addresses[index] as Address));
    }
  };
  // #endregion

  const start = (): void => {
    if (addresses.length === 0) allDone(results);
    else startMore();
  };
  return { start, cancelAll };
}

// #region collect
/**
 * The edge adapter, and the only Promise in the model: the caller's options are unpacked here, and
 * a fresh reactor runs until the callbacks have every result, then stops, which disconnects
 * anything still open.
 */
export function getPoems(addresses: readonly Address[], options: GetPoemsOptions = {}): Promise<PoemResult[]> {
  const {
    concurrency = Number.POSITIVE_INFINITY,
    retries = 0,
    transform,
    timeoutMs,
    onEvent,
    signal,
    analyse,
  } = options;
  const reactor = new Reactor();
  let results: PoemResult[] = [];
  const plan = { concurrency, retries, transform, timeoutMs, onEvent, analyse };
  const fetching = fetchPoems(reactor, addresses, plan, (all) => {
    results = all;
    reactor.stop();
  });
  // #endregion
  // #region cancel
  // The abort arrives outside the loop; hand it to the loop as a call due now.
  const onAbort = (): void => {
    reactor.callLater(0, fetching.cancelAll);
  };
  // Already aborted: every task fails as cancelled, and none starts.
  reactor.callWhenRunning(() => {
    if (signal?.aborted) fetching.cancelAll();
    fetching.start();
  });
  signal?.addEventListener('abort', onAbort, { once: true });
  // #endregion
  // #region collect
  return reactor.run().then(() => {
    signal?.removeEventListener('abort', onAbort);
    return results;
  });
}
// #endregion

/**
 * The once-only outcome both factories keep: the first of a result, a failure, a timeout or a
 * cancel wins, and whatever arrives after it is ignored; winning also stops the timer.
 */
class OneOutcome {
  #finished = false;
  #timeout: DelayedCall | undefined;

  // #region timeout
  /** Gives up after `timeoutMs` (if there is one) unless an outcome comes first. */
  startTimeout(reactor: Reactor, timeoutMs: number | undefined, giveUp: () => void): void {
    if (timeoutMs === undefined) return;
    this.#timeout = reactor.callLater(timeoutMs / 1000, () => {
      this.#timeout = undefined;
      giveUp();
    });
  }
  // #endregion

  /** True the first time only, and stops the timer: the caller then reports its outcome. */
  finish(): boolean {
    if (this.#finished) return false;
    this.#finished = true;
    this.#timeout?.cancel();
    this.#timeout = undefined;
    return true;
  }
}

export const reactorModel: Model = {
  name: 'reactor',
  title: 'Twisted-style reactor with callbacks',
  summary:
    'An explicit select-style loop calls protocols and factories; each poem ends in exactly one callback or errback. ' +
    'Timeouts are callLater, the concurrency limit is a counter and a queue, a retry is the errback starting the ' +
    'download again, cancelling is a flag — no Promise until the getPoems edge. Look for how much state the ' +
    'callbacks have to carry between them.',
  clientFiles: ['reactor/callback-client.ts'],
  runtimeFiles: ['reactor/reactor.ts', 'reactor/poller.ts', 'reactor/tcp.ts', 'reactor/clock.ts', 'reactor/errors.ts'],
  getPoems,
};
