/**
 * The `deferred` model: the poetry client of the series' clients 4–8, on our reactor and Deferreds.
 *
 * `getPoetry(reactor, address)` is the heart: it returns a Deferred at once and the protocol fires it
 * with the poem, or a Failure, when the connection ends. Everything else is built by hanging links
 * on such Deferreds: the transform (`TransformProxy.xform`, falling back to the original poem),
 * retries (an errback that returns a fresh attempt), the timeout (`addTimeout`), the limit
 * (`DeferredSemaphore.run`) and the collection (`DeferredList` with `consumeErrors`). Cancelling is
 * one `cancel()` on the list: it travels down the chains to whichever Deferred is waiting, whose
 * canceller closes the connection.
 *
 * Read it top to bottom: protocol, getPoetry, the transform, one task, then all of them.
 */
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
  type PoetryError,
  PoetryError as PoetryErrorClass,
  type PoetryEvent,
  type TransformOptions,
} from '../poetry/contract.ts';
import { PoemDecoder } from '../poetry/decode.ts';
import { poetryErrors, toPoetryError } from '../poetry/errors.ts';
import { encodeNetstring, NetstringDecoder } from '../poetry/netstring.ts';
import {
  CancelledError,
  Deferred,
  DeferredList,
  DeferredSemaphore,
  Failure,
  type ListEntry,
  maybeDeferred,
  TimeoutError,
} from './defer.ts';
import { ConnectionDone } from './errors.ts';
import type { ReactorTime } from './interfaces.ts';
import { Reactor } from './reactor.ts';
import { ClientFactory, type Connector, connectTCP, Protocol } from './tcp.ts';

/** A downloaded poem and how many bytes it took. */
export interface Download {
  readonly poem: string;
  readonly bytes: number;
}

type Report = (event: PoetryEvent) => void;

/** A task's outcome: the poem (maybe transformed, or not with the reason), and the bytes downloaded. */
interface Fetched {
  readonly poem: string;
  readonly transformError?: PoetryError;
  readonly bytes: number;
}

// #region receive
/** Reads one poem: every byte until the server closes, decoded as UTF-8 across reads. */
export class PoetryProtocol extends Protocol {
  declare factory: PoetryClientFactory;
  private decoder: PoemDecoder | undefined;
  private bytes = 0;

  override connectionMade(): void {
    this.decoder = new PoemDecoder(this.factory.address);
    this.factory.connected();
  }

  override dataReceived(data: Buffer): void {
    this.bytes += data.length;
    this.factory.chunkReceived(data.length);
    try {
      this.decoder?.push(data);
    } catch (error) {
      // Not UTF-8: no point reading the rest.
      this.factory.poemFailed(error);
      this.transport?.abortConnection();
    }
  }

  // #region finish
  override connectionLost(reason: Error): void {
    if (!(reason instanceof ConnectionDone)) {
      this.factory.poemFailed(reason);
      return;
    }
    try {
      this.factory.poemFinished({ poem: this.decoder?.end() ?? '', bytes: this.bytes });
    } catch (error) {
      this.factory.poemFailed(error);
    }
  }
  // #endregion
}
// #endregion

/** Makes the one PoetryProtocol of one download and fires its Deferred once, with the poem or the reason. */
export class PoetryClientFactory extends ClientFactory {
  static override protocol = PoetryProtocol;
  /** Cleared once fired (or cancelled), so late news from the connection is dropped. */
  deferred: Deferred<Download> | undefined;
  readonly address: Address;
  private readonly report: Report | undefined;
  private readonly task: number;

  constructor(address: Address, report: Report | undefined, task: number) {
    super();
    this.address = address;
    this.report = report;
    this.task = task;
  }

  // Progress events are built only for a caller who listens: 5,000 downloads would otherwise make
  // 10,000 event objects nobody reads.
  connected(): void {
    if (this.deferred && this.report) {
      this.report({ type: 'connected', task: this.task, address: formatAddress(this.address), at: performance.now() });
    }
  }

  chunkReceived(bytes: number): void {
    if (this.deferred && this.report) {
      const at = performance.now();
      this.report({ type: 'chunk', task: this.task, address: formatAddress(this.address), bytes, at });
    }
  }

  poemFinished(download: Download): void {
    const d = this.deferred;
    this.deferred = undefined;
    d?.callback(download);
  }

  // #region fail
  poemFailed(reason: unknown): void {
    const d = this.deferred;
    this.deferred = undefined;
    d?.errback(toPoetryFailure(reason, this.address));
  }

  connectFailed(reason: unknown): void {
    this.poemFailed(reason);
  }

  override clientConnectionFailed(_connector: Connector, reason: Error): void {
    this.poemFailed(reason);
  }
  // #endregion
}

/**
 * What went wrong, as the contract's typed error. The reactor's reasons keep the operating system's
 * error as their `cause`, which is what the shared mapping understands.
 */
export function toPoetryFailure(reason: unknown, address: Address): PoetryError {
  if (reason instanceof PoetryErrorClass) return reason;
  if (reason instanceof CancelledError) return poetryErrors.cancelled(address);
  if (reason instanceof Error && reason.cause !== undefined) return toPoetryError(reason.cause, address);
  if (reason instanceof ConnectionDone) return poetryErrors.reset(address);
  if (reason instanceof Error && reason.name === 'ConnectionLost') return poetryErrors.reset(address);
  return toPoetryError(reason, address);
}

// #region connect
/**
 * Downloads one poem. The Deferred fires with the poem (and its size) or a Failure of a
 * `PoetryError`. Cancelling it closes the connection, or gives up the connect in progress.
 */
export function getPoetry(reactor: Reactor, address: Address, report?: Report, task = 0): Deferred<Download> {
  return connectForDeferred(reactor, address, new PoetryClientFactory(address, report, task));
}

/**
 * Connects `factory` and hands back the Deferred it will fire, made cancellable. Twisted's
 * cancellation: the canceller forgets the Deferred (so `cancel()` errbacks it with CancelledError
 * and late news from the connection is dropped), then closes the connection or stops the connect.
 */
function connectForDeferred<T>(
  reactor: Reactor,
  address: Address,
  factory: ClientFactory & { deferred: Deferred<T> | undefined; connectFailed(reason: unknown): void },
): Deferred<T> {
  let connector: Connector | undefined;
  // #region cancel
  const d = new Deferred<T>(() => {
    factory.deferred = undefined;
    if (connector?.state === 'connected') connector.transport?.abortConnection();
    else if (connector?.state === 'connecting') connector.stopConnecting();
  });
  // #endregion
  factory.deferred = d;
  try {
    connector = connectTCP(reactor, address.host, address.port, factory);
  } catch (error) {
    // An address Node refuses outright (a port out of range) fails here, synchronously.
    factory.connectFailed(error);
  }
  return d;
}
// #endregion

// #region transform
/** Reads one netstring reply to one request, then hangs up. */
class TransformClientProtocol extends Protocol {
  declare factory: TransformClientFactory;
  private readonly replies = new NetstringDecoder();
  private readonly raw: Buffer[] = [];

  override connectionMade(): void {
    const { poem, options } = this.factory;
    if (options.protocol === 'raw') {
      this.transport?.write(poem);
      this.transport?.loseWriteConnection();
    } else {
      this.transport?.write(encodeNetstring(`${options.name}.${poem}`));
    }
  }

  override dataReceived(data: Buffer): void {
    if (this.factory.options.protocol === 'raw') {
      this.raw.push(data);
      return;
    }
    try {
      const [reply] = this.replies.push(data);
      if (reply !== undefined) {
        this.factory.replyReceived(reply);
        this.transport?.loseConnection();
      }
    } catch (error) {
      this.factory.transformFailed(error);
      this.transport?.abortConnection();
    }
  }

  override connectionLost(reason: Error): void {
    if (this.factory.options.protocol === 'raw' && reason instanceof ConnectionDone) {
      this.factory.replyReceived(Buffer.concat(this.raw));
    }
    this.factory.transformFailed(new Error('the transform server closed without a reply', { cause: reason }));
  }
}

class TransformClientFactory extends ClientFactory {
  static override protocol = TransformClientProtocol;
  deferred: Deferred<string> | undefined;

  constructor(
    readonly options: TransformOptions,
    readonly poem: string,
  ) {
    super();
  }

  replyReceived(reply: Uint8Array): void {
    const d = this.deferred;
    this.deferred = undefined;
    if (d === undefined) return;
    const decoder = new PoemDecoder(this.options.address);
    try {
      decoder.push(reply);
      d.callback(decoder.end());
    } catch (error) {
      d.errback(error);
    }
  }

  transformFailed(reason: unknown): void {
    const d = this.deferred;
    this.deferred = undefined;
    d?.errback(reason);
  }

  connectFailed(reason: unknown): void {
    this.transformFailed(reason);
  }

  override clientConnectionFailed(_connector: Connector, reason: Error): void {
    this.transformFailed(reason);
  }
}

/** The series' TransformProxy: a transform server, seen as "give me a poem, get a Deferred". */
export class TransformProxy {
  constructor(
    private readonly reactor: Reactor,
    private readonly options: TransformOptions,
  ) {}

  /** The poem after transform `name`; a Failure if the server fails. Cancelling closes the connection. */
  xform(name: string, poem: string): Deferred<string> {
    return connectForDeferred(
      this.reactor,
      this.options.address,
      new TransformClientFactory({ ...this.options, name }, poem),
    );
  }
}

/** The transformed poem, or the original with the reason when the transform fails; a cancel still cancels. */
function transformed(
  proxy: TransformProxy,
  options: TransformOptions,
  poem: string,
  clock: ReactorTime,
  timeoutMs: number | undefined,
): Deferred<{ poem: string; transformError?: PoetryError }> {
  const d = proxy.xform(options.name, poem);
  if (timeoutMs !== undefined) d.addTimeout(timeoutMs / 1000, clock);
  return d.addCallbacks(
    (result) => ({ poem: result }),
    (failure) => {
      if (failure.check(CancelledError)) return failure;
      const why = failure.check(TimeoutError)
        ? poetryErrors.noReplyWithin(timeoutMs)
        : toPoetryError(
            failure.value instanceof Error ? (failure.value.cause ?? failure.value) : failure.value,
            options.address,
          ).message;
      const transformError = poetryErrors.transformFailed(options.address, why, failure.value);
      return { poem, transformError };
    },
  );
}
// #endregion

// #region limit
/**
 * One attempt at one poem, with its timeout. Retries by chaining: while retries are left, the
 * errback returns a fresh attempt, which the chain then waits on. (A function of its own rather than
 * a named closure made per task: under tsx, whose keepNames renames every named closure, each such
 * closure would carry a dictionary of properties — 5,000 downloads, 5,000 dictionaries.)
 */
function attempt(
  reactor: Reactor,
  address: Address,
  task: number,
  options: GetPoemsOptions,
  retriesLeft: number,
): Deferred<Download> {
  const d = getPoetry(reactor, address, options.onEvent, task);
  // #region timeout
  if (options.timeoutMs !== undefined) d.addTimeout(options.timeoutMs / 1000, reactor);
  // #endregion
  return d.addErrback((failure) => {
    const error = failureToPoetryError(failure, address, options);
    if (error.code === 'CANCELLED' || retriesLeft === 0) return new Failure(error);
    return attempt(reactor, address, task, options, retriesLeft - 1);
  });
}
// #endregion

/** One task: download (with timeout and retries), then transform. */
function poemTask(
  reactor: Reactor,
  address: Address,
  task: number,
  options: GetPoemsOptions,
  proxy: TransformProxy | undefined,
): Deferred<Fetched> {
  const downloaded = attempt(reactor, address, task, options, options.retries ?? 0);
  const { transform } = options;
  // A download (the poem and its bytes) is already all a task fetches when there is no transform.
  if (transform === undefined || proxy === undefined) return downloaded;
  return downloaded.addCallback((download) =>
    transformed(proxy, transform, download.poem, reactor, options.timeoutMs).addCallback((result) => ({
      ...result,
      bytes: download.bytes,
    })),
  );
}

/** The contract's error for a failure; anything after the caller aborted counts as cancelled. */
function failureToPoetryError(failure: Failure, address: Address, options: GetPoemsOptions): PoetryError {
  if (options.signal?.aborted) return poetryErrors.cancelled(address);
  if (failure.check(TimeoutError)) return poetryErrors.timeout(address, options.timeoutMs ?? 0);
  return toPoetryFailure(failure.value, address);
}

/** Every poem, as one Deferred of the contract's results in input order. */
export function getPoems(
  reactor: Reactor,
  addresses: readonly Address[],
  options: GetPoemsOptions = {},
): Deferred<PoemResult[]> {
  const proxy = options.transform === undefined ? undefined : new TransformProxy(reactor, options.transform);
  // #region limit
  // With no limit there is no semaphore: it would only add a Deferred and two links to every task.
  const semaphore = options.concurrency === undefined ? undefined : new DeferredSemaphore(options.concurrency);
  const report = options.onEvent;
  const tasks = addresses.map((address, index) => {
    const task = index + 1;
    // Reported outside the semaphore, so a task cancelled while still waiting for its turn reports too.
    const fetching = semaphore
      ? semaphore.run(poemTask, reactor, address, task, options, proxy)
      : poemTask(reactor, address, task, options, proxy);
    return fetching.addCallbacks(
      (fetched) => {
        report?.({ type: 'done', task, address: formatAddress(address), bytes: fetched.bytes, at: performance.now() });
        return fetched;
      },
      (failure) => {
        const error = failureToPoetryError(failure, address, options);
        report?.({ type: 'failed', task, address: formatAddress(address), error, at: performance.now() });
        return new Failure(error);
      },
    );
  });
  // #endregion
  // #region collect
  const list = new DeferredList(tasks, { consumeErrors: true });
  const results = list.addCallback((entries: ListEntry<Fetched>[]) =>
    entries.map((entry, index): PoemResult => {
      const address = addresses[index] as Address;
      const where = formatAddress(address);
      if (!entry[0]) return { ok: false, address: where, error: failureToPoetryError(entry[1], address, options) };
      const { poem, transformError } = entry[1];
      return transformError === undefined
        ? { ok: true, address: where, poem }
        : { ok: true, address: where, poem, transformError };
    }),
  );
  // #endregion
  // #region cancel
  const abort = () => reactor.callLater(0, () => list.cancel());
  if (options.signal?.aborted) list.cancel();
  else options.signal?.addEventListener('abort', abort, { once: true });
  results.addBoth((result) => {
    options.signal?.removeEventListener('abort', abort);
    return result;
  });
  // #endregion
  return results;
}

/**
 * The edge of a Deferred-based model: a fresh reactor runs until the Deferred that `start` returns
 * fires, then stops (disconnecting anything still open); the Promise settles with its result.
 * One reactor per call, so several calls can overlap. The generators model shares this edge.
 */
export async function runOnReactor<T>(start: (reactor: Reactor) => Deferred<T>): Promise<T> {
  const reactor = new Reactor();
  let outcome: Promise<T> | undefined;
  reactor.callWhenRunning(() => {
    const finished = maybeDeferred(start, reactor);
    finished.addBoth((result) => {
      reactor.stop();
      return result;
    });
    outcome = finished.asPromise();
  });
  await reactor.run();
  return outcome as Promise<T>;
}

export const deferredModel: Model = {
  name: 'deferred',
  title: 'Twisted-style Deferreds on the reactor',
  summary:
    'The series’ clients 4–8: getPoetry returns a Deferred at once, and the protocol fires it when the poem ' +
    'is in. The rest of the client is links hung on Deferreds: a TransformProxy whose xform returns a Deferred ' +
    '(falling back to the original poem), retries as an errback returning a fresh attempt, addTimeout, a ' +
    'DeferredSemaphore for the limit and a DeferredList for the collection. Look at how cancel() travels: one ' +
    'call on the list reaches whichever Deferred is waiting, and its canceller closes the socket.',
  clientFiles: ['reactor/deferred-client.ts'],
  runtimeFiles: ['reactor/defer.ts', 'reactor/defer/deferred.ts', 'reactor/tcp.ts'],
  getPoems: (addresses, options = {}) => runOnReactor((reactor) => getPoems(reactor, addresses, options)),
};
