/**
 * The TCP layer against real loopback servers: our own `listenTCP` ports and the shared poetry
 * servers. Half-close, refused connects, abort, reset, pause/resume, fairness under a flood,
 * and more descriptors than `select` could ever watch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PoetryServer } from '../poetry/servers/index.ts';
import {
  refusingAddress,
  startFastServer,
  startFaultyServer,
  startSlowServer,
  startTransformServer,
} from '../poetry/servers/index.ts';
import { Clock } from './clock.ts';
import {
  ConnectionAborted,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  ReactorNotRunning,
  UserError,
} from './errors.ts';
import { Reactor } from './reactor.ts';
import { ClientFactory, type Connector, Factory, Protocol, readLimit } from './tcp.ts';

const servers: PoetryServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(server: Promise<PoetryServer>): Promise<PoetryServer> {
  const started = await server;
  servers.push(started);
  return started;
}

/** Collects everything a connection receives and how it ended. */
class Collector extends Protocol {
  readonly chunks: Buffer[] = [];
  reason: Error | undefined;
  onLost: (() => void) | undefined;

  override dataReceived(data: Buffer): void {
    this.chunks.push(data);
  }
  override connectionLost(reason: Error): void {
    this.reason = reason;
    this.onLost?.();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** A client factory that records what happened and lets each test shape its protocol. */
class RecordingFactory extends ClientFactory {
  readonly built: Collector[] = [];
  readonly failures: Error[] = [];
  readonly lost: Error[] = [];
  readonly #make: () => Collector;
  readonly #onEnd: () => void;

  constructor(make: () => Collector, onEnd: () => void) {
    super();
    this.#make = make;
    this.#onEnd = onEnd;
  }
  override buildProtocol(): Collector {
    const protocol = this.#make();
    this.built.push(protocol);
    return protocol;
  }
  override clientConnectionFailed(_connector: Connector, reason: Error): void {
    this.failures.push(reason);
    this.#onEnd();
  }
  override clientConnectionLost(_connector: Connector, reason: Error): void {
    this.lost.push(reason);
    this.#onEnd();
  }
}

describe('TCP layer', () => {
  it('a factory with no protocol fails at construction, naming the factory', () => {
    class ForgetfulFactory extends ClientFactory {}
    expect(() => new ForgetfulFactory()).toThrow(/ForgetfulFactory: no protocol/);
  });

  it('listenTCP echo: both sides see the data and a clean close', async () => {
    const reactor = new Reactor();
    const serverSide: Collector[] = [];
    class Echo extends Collector {
      override dataReceived(data: Buffer): void {
        super.dataReceived(data);
        this.transport?.write(data);
      }
      readConnectionLost(): void {
        this.transport?.loseConnection();
      }
    }
    class EchoFactory extends Factory {
      override buildProtocol(): Protocol {
        const echo = new Echo();
        serverSide.push(echo);
        return echo;
      }
    }
    class Hello extends Collector {
      override connectionMade(): void {
        this.transport?.write('hello, ');
        this.transport?.write('echo');
        this.transport?.loseWriteConnection();
      }
    }
    const client = new RecordingFactory(
      () => new Hello(),
      () => reactor.stop(),
    );
    reactor.listenTCP(0, new EchoFactory(), {
      onListening: (port) => reactor.connectTCP('127.0.0.1', port.getHost().port, client),
    });
    await reactor.run();
    expect(client.built[0]?.text()).toBe('hello, echo');
    expect(client.built[0]?.reason).toBeInstanceOf(ConnectionDone);
    expect(client.lost[0]).toBeInstanceOf(ConnectionDone);
    expect(serverSide[0]?.text()).toBe('hello, echo');
  });

  it('half-close against the raw transform server: write, loseWriteConnection, read the answer', async () => {
    const server = await serve(startTransformServer({ raw: 'cummingsify' }));
    const reactor = new Reactor();
    class RawTransform extends Collector {
      override connectionMade(): void {
        this.transport?.write('The Kettle SINGS');
        this.transport?.loseWriteConnection();
      }
    }
    const factory = new RecordingFactory(
      () => new RawTransform(),
      () => reactor.stop(),
    );
    reactor.connectTCP(server.address.host, server.address.port, factory);
    await reactor.run();
    expect(factory.built[0]?.text()).toBe('the kettle sings');
    expect(factory.built[0]?.reason).toBeInstanceOf(ConnectionDone);
  });

  it('a connect slower than its timeout fails with TimeoutError, in deadline order, leaving no delayed call', async () => {
    const server = await serve(startFastServer({ poem: 'never read' }));
    // The fake clock is advanced before the loop ever hears from the sockets, so both connects are
    // still in progress when their deadlines pass, whatever the machine's speed.
    const clock = new Clock();
    const reactor = new Reactor({ clock });
    const failed: string[] = [];
    const factoryFor = (name: string) =>
      new (class extends ClientFactory {
        static override protocol = Collector;
        override clientConnectionFailed(_connector: Connector, reason: Error): void {
          failed.push(`${name}: ${reason.constructor.name}`);
        }
      })();
    const { host, port } = server.address;
    reactor.connectTCP(host, port, factoryFor('slow'), { timeout: 10 });
    reactor.connectTCP(host, port, factoryFor('quick'), { timeout: 2 });
    expect(reactor.getDelayedCalls()).toHaveLength(2);
    clock.advance(2);
    expect(failed).toEqual(['quick: TimeoutError']);
    clock.advance(8);
    expect(failed).toEqual(['quick: TimeoutError', 'slow: TimeoutError']);
    expect(reactor.getDelayedCalls()).toHaveLength(0);
  });

  it('connection refused → clientConnectionFailed with ConnectionRefusedError, no protocol built', async () => {
    const address = await refusingAddress();
    const reactor = new Reactor();
    const factory = new RecordingFactory(
      () => new Collector(),
      () => reactor.stop(),
    );
    reactor.connectTCP(address.host, address.port, factory);
    await reactor.run();
    expect(factory.failures).toHaveLength(1);
    expect(factory.failures[0]).toBeInstanceOf(ConnectionRefusedError);
    expect(factory.built).toEqual([]);
  });

  it('stopConnecting → clientConnectionFailed with UserError', async () => {
    const server = await serve(startFastServer({ poem: 'never read' }));
    const reactor = new Reactor();
    const factory = new RecordingFactory(
      () => new Collector(),
      () => reactor.stop(),
    );
    const connector = reactor.connectTCP(server.address.host, server.address.port, factory);
    reactor.callWhenRunning(() => connector.stopConnecting());
    await reactor.run();
    expect(factory.failures[0]).toBeInstanceOf(UserError);
    expect(factory.built).toEqual([]);
  });

  it('abortConnection drops the connection at once with ConnectionAborted', async () => {
    const server = await serve(startSlowServer({ poem: 'x'.repeat(1000), numBytes: 10, delay: 0.01 }));
    const reactor = new Reactor();
    class AbortOnFirstChunk extends Collector {
      override dataReceived(data: Buffer): void {
        super.dataReceived(data);
        this.transport?.abortConnection();
      }
    }
    const factory = new RecordingFactory(
      () => new AbortOnFirstChunk(),
      () => reactor.stop(),
    );
    reactor.connectTCP(server.address.host, server.address.port, factory);
    await reactor.run();
    const protocol = factory.built[0];
    expect(protocol?.chunks).toHaveLength(1);
    expect(protocol?.reason).toBeInstanceOf(ConnectionAborted);
    await expect.poll(() => server.stats.active, { timeout: 10_000 }).toBe(0);
  });

  it('a reset by the peer is ConnectionLost, not ConnectionDone', async () => {
    const server = await serve(startFaultyServer({ mode: 'reset' }));
    const reactor = new Reactor();
    const factory = new RecordingFactory(
      () => new Collector(),
      () => reactor.stop(),
    );
    reactor.connectTCP(server.address.host, server.address.port, factory);
    await reactor.run();
    expect(factory.built[0]?.reason).toBeInstanceOf(ConnectionLost);
    expect(factory.built[0]?.reason).not.toBeInstanceOf(ConnectionDone);
  });

  it('pauseProducing stops deliveries until resumeProducing', async () => {
    const poem = 'y'.repeat(200_000);
    const server = await serve(startFastServer({ poem }));
    const reactor = new Reactor();
    let paused = false;
    let chunksWhilePaused = 0;
    class PauseOnce extends Collector {
      override dataReceived(data: Buffer): void {
        super.dataReceived(data);
        if (paused) chunksWhilePaused += 1;
        if (this.chunks.length === 1) {
          paused = true;
          this.transport?.pauseProducing();
          reactor.callLater(0.05, () => {
            paused = false;
            this.transport?.resumeProducing();
          });
        }
      }
    }
    const factory = new RecordingFactory(
      () => new PauseOnce(),
      () => reactor.stop(),
    );
    reactor.connectTCP(server.address.host, server.address.port, factory);
    await reactor.run();
    expect(chunksWhilePaused).toBe(0);
    expect(factory.built[0]?.text()).toBe(poem);
    expect(factory.built[0]?.chunks.length).toBeGreaterThan(1);
  });

  it('fair under a flood: each slow chunk arrives within a few turns of being sent', async () => {
    const reactor = new Reactor();
    const flood = Buffer.alloc(32 * 1024 * 1024, 'f');
    const slowChunks = 40;
    const sentAtTurn: number[] = [];
    const receivedAtTurn: number[] = [];
    const floodReadsPerTurn = new Map<number, number>();
    let largestFloodRead = 0;
    let floodDone = false;
    let receivedDuringFlood = 0;
    let finished = 0;
    const finish = () => {
      finished += 1;
      if (finished === 2) reactor.stop();
    };

    class FloodServer extends Protocol {
      override connectionMade(): void {
        this.transport?.write(flood);
        this.transport?.loseConnection();
      }
    }
    class SlowServer extends Protocol {
      override connectionMade(): void {
        const tick = (left: number) => {
          if (left === 0) return this.transport?.loseConnection();
          sentAtTurn.push(reactor.turns);
          this.transport?.write('0123456789');
          reactor.callLater(0.005, tick, left - 1);
        };
        tick(slowChunks);
      }
    }
    class FloodClient extends Collector {
      override dataReceived(data: Buffer): void {
        largestFloodRead = Math.max(largestFloodRead, data.length);
        floodReadsPerTurn.set(reactor.turns, (floodReadsPerTurn.get(reactor.turns) ?? 0) + 1);
      }
      override connectionLost(): void {
        floodDone = true;
        finish();
      }
    }
    class SlowClient extends Collector {
      override dataReceived(data: Buffer): void {
        // Chunks may coalesce on the wire; count each 10-byte piece as one arrival.
        for (let i = 0; i < data.length; i += 10) receivedAtTurn.push(reactor.turns);
        if (!floodDone) receivedDuringFlood += data.length / 10;
      }
      override connectionLost(): void {
        finish();
      }
    }
    const serverFor = (kind: typeof Protocol) =>
      new (class extends Factory {
        override buildProtocol(): Protocol {
          return new kind();
        }
      })();
    const clientFor = (kind: typeof Collector) =>
      new RecordingFactory(
        () => new kind(),
        () => {},
      );
    reactor.listenTCP(0, serverFor(FloodServer), {
      onListening: (port) => reactor.connectTCP('127.0.0.1', port.getHost().port, clientFor(FloodClient)),
    });
    reactor.listenTCP(0, serverFor(SlowServer), {
      onListening: (port) => reactor.connectTCP('127.0.0.1', port.getHost().port, clientFor(SlowClient)),
    });
    await reactor.run();

    expect(largestFloodRead).toBeLessThanOrEqual(readLimit);
    expect(Math.max(...floodReadsPerTurn.values())).toBe(1);
    expect(receivedAtTurn).toHaveLength(slowChunks);
    // The flood was still going while slow chunks came in, and none of them waited behind it.
    expect(receivedDuringFlood).toBeGreaterThan(0);
    const lags = receivedAtTurn.map((turn, i) => turn - (sentAtTurn[i] as number));
    expect(Math.max(...lags)).toBeLessThanOrEqual(4);
  });

  it('holds more than 1,024 descriptors at once', async () => {
    const reactor = new Reactor();
    const count = 1200;
    let made = 0;
    class Held extends Protocol {}
    class Counting extends Collector {
      override connectionMade(): void {
        made += 1;
        if (made === count) reactor.stop();
      }
    }
    reactor.listenTCP(
      0,
      new (class extends Factory {
        static override protocol = Held;
      })(),
      {
        onListening: (port) => {
          for (let i = 0; i < count; i++) {
            reactor.connectTCP(
              '127.0.0.1',
              port.getHost().port,
              new RecordingFactory(
                () => new Counting(),
                () => {},
              ),
            );
          }
        },
      },
    );
    await reactor.run();
    // Every client socket was open at the same moment: 1,200 descriptors, plus the accepted ones.
    expect(made).toBe(count);
    expect(() => reactor.stop()).toThrow(ReactorNotRunning);
  });
});
