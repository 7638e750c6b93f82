/**
 * The series' poetry proxy 3.0, on our reactor and Deferreds: a server that, for each client,
 * fetches the poem from an upstream poetry server and passes it on.
 *
 * Two things make it worth reading. The first download is cached, so later clients get the poem at
 * once: `ProxyService.getPoem()` returns a Deferred either way, already fired or not, and the
 * protocol does not care which. And when a client hangs up before its poem is ready, the protocol
 * cancels the Deferred, whose canceller (in `getPoetry`) closes the upstream connection: no
 * download runs on for nobody.
 */
import { parseAddress } from '../poetry/address.ts';
import { type Address, formatAddress } from '../poetry/contract.ts';
import { type ServeKind, UsageError } from '../poetry/servers/serve-kind.ts';
import { type Deferred, succeed } from './defer.ts';
import { type Download, getPoetry } from './deferred-client.ts';
import { Reactor } from './reactor.ts';
import { Factory, listenTCP, type Port, Protocol } from './tcp.ts';

/** Fetches the upstream poem once and remembers it. */
export class ProxyService {
  poem: string | undefined;

  constructor(
    private readonly reactor: Reactor,
    private readonly upstream: Address,
  ) {}

  /** The poem: fired at once from the cache, or when a fresh download from upstream is in. */
  getPoem(): Deferred<string> {
    if (this.poem !== undefined) return succeed(this.poem);
    return getPoetry(this.reactor, this.upstream).addCallback(({ poem }: Download) => {
      this.poem = poem;
      return poem;
    });
  }
}

/** Serves one client: asks the service, writes the poem, hangs up; cancels if the client leaves first. */
class PoetryProxyProtocol extends Protocol {
  declare factory: PoetryProxyFactory;
  private deferred: Deferred<string> | undefined;

  override connectionMade(): void {
    const stats = this.factory.stats;
    stats.connections++;
    stats.active++;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    const d = this.factory.service.getPoem();
    this.deferred = d;
    d.addCallbacks(
      (poem) => {
        this.deferred = undefined;
        this.transport?.write(poem);
        this.factory.stats.bytesSent += Buffer.byteLength(poem);
        this.transport?.loseConnection();
      },
      () => {
        // Upstream failed (or we cancelled it): the client gets nothing, as in the series.
        this.deferred = undefined;
        this.transport?.loseConnection();
      },
    );
  }

  override connectionLost(): void {
    this.factory.stats.active--;
    if (this.deferred !== undefined) {
      this.factory.stats.closedByClient++;
      this.deferred.cancel();
    }
  }
}

class PoetryProxyFactory extends Factory {
  static override protocol = PoetryProxyProtocol;
  readonly stats = { connections: 0, active: 0, maxActive: 0, bytesSent: 0, closedByClient: 0 };

  constructor(readonly service: ProxyService) {
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
export async function startProxyServer(options: {
  readonly upstream: Address;
  readonly port?: number;
  readonly iface?: string;
}): Promise<ProxyServer> {
  const reactor = new Reactor();
  const service = new ProxyService(reactor, options.upstream);
  const factory = new PoetryProxyFactory(service);
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
  return {
    kind: 'proxy',
    address: port.getHost(),
    stats: factory.stats,
    service,
    async close() {
      port.stopListening();
      if (reactor.running) reactor.stop();
      await running;
    },
  };
}

/** `npm run serve -- proxy --upstream host:port`: the entry for serve.ts's table of kinds. */
export const proxyServeKind: ServeKind = {
  summary: 'caching poetry proxy 3.0 on the reactor: fetches --upstream once, cancels it if the client leaves',
  help: ['--upstream <host:port>  the poetry server to fetch the poem from (required)'],
  options: { upstream: { type: 'string' } },
  async start(values, listen) {
    if (typeof values.upstream !== 'string') throw new UsageError('proxy needs --upstream <host:port>');
    const upstream = parseAddress(values.upstream);
    const server = await startProxyServer({ upstream, port: listen.port, iface: listen.iface });
    return {
      banner: [`proxy on ${formatAddress(server.address)} for ${formatAddress(upstream)} (first download cached)`],
      close: server.close,
    };
  },
};
