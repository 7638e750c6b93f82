/**
 * The series' poetry proxy 3.0, on our reactor and Deferreds: a server that, for each client,
 * fetches the poem from an upstream poetry server and passes it on.
 *
 * Two things make it worth reading. The first download is cached, so later clients get the poem at
 * once: `ProxyService.getPoem()` returns a Deferred either way, already fired or not, and the
 * protocol does not care which. And when a client's connection breaks before its poem is ready,
 * the protocol cancels the Deferred, whose canceller (in `getPoetry`) closes the upstream
 * connection: no download runs on for nobody.
 *
 * Like the project's other servers it never makes a broken download look whole. A failed upstream
 * download resets the client's connection (the client sees RESET, not an empty poem) and is not
 * cached, so the next client tries upstream again; `close()` resets the clients still waiting. A
 * client's FIN only means it has nothing more to say, so the proxy keeps the connection half-open
 * and still sends the poem. The price: a client that closes with a FIN rather than a reset is
 * indistinguishable from one that half-closes, so its upstream download runs until the poem comes.
 */
import type { Address } from '../poetry/contract.ts';
import { connectionLine, type ListenOptions } from '../poetry/servers/index.ts';
import { type Deferred, succeed } from './defer.ts';
import { type Download, getPoetry } from './get-poetry.ts';
import { Reactor } from './reactor.ts';
import { Factory, type HalfCloseableProtocol, listenTCP, type Port, Protocol } from './tcp.ts';

/** Fetches the upstream poem once and remembers it; a failure is not remembered. */
export class ProxyService {
  poem: string | undefined;
  readonly #reactor: Reactor;
  readonly #upstream: Address;

  constructor(reactor: Reactor, upstream: Address) {
    this.#reactor = reactor;
    this.#upstream = upstream;
  }

  /** The poem: fired at once from the cache, or when a fresh download from upstream is in. */
  getPoem(): Deferred<string> {
    if (this.poem !== undefined) return succeed(this.poem);
    return getPoetry(this.#reactor, this.#upstream).addCallback(({ poem }: Download) => {
      this.poem = poem;
      return poem;
    });
  }
}

/**
 * Serves one client: asks the service, writes the poem, hangs up; resets the client if upstream
 * failed; cancels the download if the client's connection breaks first.
 */
class PoetryProxyProtocol extends Protocol implements HalfCloseableProtocol {
  declare factory: PoetryProxyFactory;
  #deferred: Deferred<string> | undefined;

  override connectionMade(): void {
    const factory = this.factory;
    const stats = factory.stats;
    stats.connections++;
    stats.active++;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    factory.waiting.add(this);
    if (this.transport !== undefined && factory.address !== undefined) {
      factory.log?.(connectionLine('proxy', factory.address, stats.connections, this.transport.getPeer()));
    }
    const d = factory.service.getPoem();
    this.#deferred = d;
    d.addCallbacks(
      (poem) => {
        this.#answered();
        this.transport?.write(poem);
        stats.bytesSent += Buffer.byteLength(poem);
        this.transport?.loseConnection();
      },
      () => {
        // Upstream failed (or was cancelled): a clean close would pass for an empty poem.
        this.#answered();
        this.transport?.abortConnection();
      },
    );
  }

  /** The client has nothing more to say; it still gets its poem. */
  readConnectionLost(): void {}

  override connectionLost(): void {
    this.factory.stats.active--;
    this.factory.waiting.delete(this);
    if (this.#deferred !== undefined) {
      this.factory.stats.closedByClient++;
      this.#deferred.cancel();
    }
  }

  /** Resets a client still waiting for its poem (the proxy is shutting down). */
  abandon(): void {
    this.transport?.abortConnection();
  }

  #answered(): void {
    this.#deferred = undefined;
    this.factory.waiting.delete(this);
  }
}

class PoetryProxyFactory extends Factory {
  static override protocol = PoetryProxyProtocol;
  readonly stats = { connections: 0, active: 0, maxActive: 0, bytesSent: 0, closedByClient: 0 };
  /** Clients whose poem has not been written yet: the ones `close()` must reset. */
  readonly waiting = new Set<PoetryProxyProtocol>();
  /** Where the proxy listens, once it does; for the log line. */
  address: Address | undefined;

  constructor(
    readonly service: ProxyService,
    readonly log: ((line: string) => void) | undefined,
  ) {
    super();
  }
}

/** The running proxy: the same shape as the other poetry servers. */
export interface ProxyServer {
  readonly kind: 'proxy';
  readonly address: Address;
  readonly stats: Readonly<PoetryProxyFactory['stats']>;
  /** The cache, for the curious: the poem once the first download finished. */
  readonly service: ProxyService;
  close(): Promise<void>;
}

/** Starts a proxy for `upstream` on its own reactor; resolves once it listens. */
export async function startProxyServer(options: ListenOptions & { readonly upstream: Address }): Promise<ProxyServer> {
  const reactor = new Reactor();
  const service = new ProxyService(reactor, options.upstream);
  const factory = new PoetryProxyFactory(service, options.log);
  const running = reactor.run();
  const port = await new Promise<Port>((resolve, reject) => {
    listenTCP(reactor, options.port ?? 0, factory, {
      iface: options.iface ?? '127.0.0.1',
      onListening: resolve,
      onListenFailed: reject,
    });
  }).catch(async (error: unknown) => {
    reactor.stop();
    await running;
    throw error;
  });
  factory.address = port.getHost();
  return {
    kind: 'proxy',
    address: factory.address,
    stats: factory.stats,
    service,
    async close() {
      port.stopListening();
      for (const client of [...factory.waiting]) client.abandon();
      if (reactor.running) reactor.stop();
      await running;
    },
  };
}
