/**
 * The Deferred-returning building blocks of the series' clients 4–7, shared by the `deferred` and
 * `generators` models and the caching proxy (`reactor/proxy.ts`). No model's client: each client
 * that takes a part from here whole says so with a `#uses` line, and composes these blocks its own
 * way (the deferred model with callbacks and errbacks, the generators model with `yield`).
 *
 * - `getPoetry(reactor, address)` returns a Deferred at once; the protocol fires it with the poem
 *   (and its size), or a Failure of a `PoetryError`, when the connection ends. Cancelling it closes
 *   the connection, or gives up the connect in progress.
 * - `TransformProxy.xform(name, poem)` is the same for one request to a transform server.
 * - `runOnReactor` is the edge of a Deferred-based model: a fresh reactor per `getPoems` call.
 *
 * The reactor's reasons become the contract's errors through `toPoetryFailure` (reactor/errors.ts),
 * the one mapping every reactor-based client uses.
 */
import { type Address, formatAddress, type PoetryEvent, type TransformOptions } from '../poetry/contract.ts';
import { PoemDecoder } from '../poetry/decode.ts';
import { encodeNetstring, NetstringDecoder } from '../poetry/netstring.ts';
import { Deferred, maybeDeferred } from './defer.ts';
import { ConnectionDone, toPoetryFailure } from './errors.ts';
import { Reactor } from './reactor.ts';
import { ClientFactory, type Connector, connectTCP, Protocol } from './tcp.ts';

/** A downloaded poem and how many bytes it took. */
export interface Download {
  readonly poem: string;
  readonly bytes: number;
}

type Report = (event: PoetryEvent) => void;

/** Reads one poem: every byte until the server closes, decoded as UTF-8 across reads. */
export class PoetryProtocol extends Protocol {
  declare factory: PoetryClientFactory;
  #decoder: PoemDecoder | undefined;
  #bytes = 0;

  override connectionMade(): void {
    this.#decoder = new PoemDecoder(this.factory.address);
    this.factory.connected();
  }

  override dataReceived(data: Buffer): void {
    this.#bytes += data.length;
    this.factory.chunkReceived(data.length);
    try {
      this.#decoder?.push(data);
    } catch (error) {
      // Not UTF-8: no point reading the rest.
      this.factory.poemFailed(error);
      this.transport?.abortConnection();
    }
  }

  /** A clean close is the end of the poem; any other end is its failure. */
  override connectionLost(reason: Error): void {
    if (!(reason instanceof ConnectionDone)) {
      this.factory.poemFailed(reason);
      return;
    }
    try {
      this.factory.poemFinished({ poem: this.#decoder?.end() ?? '', bytes: this.#bytes });
    } catch (error) {
      this.factory.poemFailed(error);
    }
  }
}

/** Makes the one PoetryProtocol of one download and fires its Deferred once, with the poem or the reason. */
export class PoetryClientFactory extends ClientFactory {
  static override protocol = PoetryProtocol;
  /** Cleared once fired (or cancelled), so late news from the connection is dropped. */
  deferred: Deferred<Download> | undefined;
  readonly address: Address;
  readonly #report: Report | undefined;
  readonly #task: number;

  constructor(address: Address, report: Report | undefined, task: number) {
    super();
    this.address = address;
    this.#report = report;
    this.#task = task;
  }

  // Progress events are built only for a caller who listens: 5,000 downloads would otherwise make
  // 10,000 event objects nobody reads.
  connected(): void {
    if (this.deferred && this.#report) {
      this.#report({
        type: 'connected',
        task: this.#task,
        address: formatAddress(this.address),
        at: performance.now(),
      });
    }
  }

  chunkReceived(bytes: number): void {
    if (this.deferred && this.#report) {
      const at = performance.now();
      this.#report({ type: 'chunk', task: this.#task, address: formatAddress(this.address), bytes, at });
    }
  }

  poemFinished(download: Download): void {
    const d = this.deferred;
    this.deferred = undefined;
    d?.callback(download);
  }

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
}

/**
 * Downloads one poem. The Deferred fires with the poem (and its size) or a Failure of a
 * `PoetryError`. Cancelling it closes the connection, or gives up the connect in progress.
 * `report` and `task` are only for progress events.
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
  const d = new Deferred<T>(() => {
    factory.deferred = undefined;
    if (connector?.state === 'connected') connector.transport?.abortConnection();
    else if (connector?.state === 'connecting') connector.stopConnecting();
  });
  factory.deferred = d;
  try {
    connector = connectTCP(reactor, address.host, address.port, factory);
  } catch (error) {
    // An address Node refuses outright (a port out of range) fails here, synchronously.
    factory.connectFailed(error);
  }
  return d;
}

/** Reads one netstring reply to one request (or, raw, everything until the server closes), then hangs up. */
class TransformClientProtocol extends Protocol {
  declare factory: TransformClientFactory;
  readonly #replies = new NetstringDecoder();
  readonly #raw: Buffer[] = [];

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
      this.#raw.push(data);
      return;
    }
    try {
      const [reply] = this.#replies.push(data);
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
      this.factory.replyReceived(Buffer.concat(this.#raw));
    }
    this.factory.transformFailed(new Error('the transform server closed without a reply', { cause: reason }));
  }
}

/** Makes the one TransformClientProtocol of one request and fires its Deferred once. */
class TransformClientFactory extends ClientFactory {
  static override protocol = TransformClientProtocol;
  deferred: Deferred<string> | undefined;
  readonly options: TransformOptions;
  readonly poem: string;

  constructor(options: TransformOptions, poem: string) {
    super();
    this.options = options;
    this.poem = poem;
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
  readonly #reactor: Reactor;
  readonly #options: TransformOptions;

  constructor(reactor: Reactor, options: TransformOptions) {
    this.#reactor = reactor;
    this.#options = options;
  }

  /** The poem after transform `name`; a Failure if the server fails. Cancelling closes the connection. */
  xform(name: string, poem: string): Deferred<string> {
    return connectForDeferred(
      this.#reactor,
      this.#options.address,
      new TransformClientFactory({ ...this.#options, name }, poem),
    );
  }
}

/**
 * The edge of a Deferred-based model: a fresh reactor runs until the Deferred that `start` returns
 * fires, then stops (disconnecting anything still open); the Promise settles with its result.
 * One reactor per call, so several calls can overlap.
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
