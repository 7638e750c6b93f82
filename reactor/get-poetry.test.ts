/**
 * `getPoetry` and `TransformProxy` over real loopback sockets, on a real reactor: a poem arrives,
 * a refused address fails with a typed error, and cancelling closes the connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PoetryError } from '../poetry/contract.ts';
import { poems } from '../poetry/poems/index.ts';
import { refusingAddress, startFastServer, startSlowServer, startTransformServer } from '../poetry/servers/index.ts';
import { CancelledError, type Deferred, Failure } from './defer.ts';
import { getPoetry, TransformProxy } from './get-poetry.ts';
import { Reactor } from './reactor.ts';

const poem = poems.kettle.text;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Runs a reactor until `start`'s Deferred fires; resolves with its result (a Failure stays a Failure). */
async function runUntilFired<T>(start: (reactor: Reactor) => Deferred<T>): Promise<T | Failure> {
  const reactor = new Reactor();
  let outcome: T | Failure | undefined;
  reactor.callWhenRunning(() => {
    start(reactor).addBoth((result) => {
      outcome = result;
      reactor.stop();
    });
  });
  await reactor.run();
  return outcome as T | Failure;
}

describe('getPoetry', () => {
  it('fires with the poem and its size', async () => {
    const server = await startFastServer({ poem });
    closers.push(server.close);
    const result = await runUntilFired((reactor) => getPoetry(reactor, server.address));
    expect(result).toEqual({ poem, bytes: Buffer.byteLength(poem) });
  });

  it('fails with REFUSED for a port nobody listens on', async () => {
    const address = await refusingAddress();
    const result = await runUntilFired((reactor) => getPoetry(reactor, address));
    expect(result).toBeInstanceOf(Failure);
    const error = (result as Failure).value as PoetryError;
    expect(error).toBeInstanceOf(PoetryError);
    expect(error.code).toBe('REFUSED');
  });

  it('cancelling it mid-poem fails it with CancelledError and closes the connection', async () => {
    const server = await startSlowServer({ poem, numBytes: 10, delay: 0.2 });
    closers.push(server.close);
    const result = await runUntilFired((reactor) => {
      const d = getPoetry(reactor, server.address, (event) => {
        if (event.type === 'chunk') d.cancel();
      });
      return d;
    });
    expect((result as Failure).check(CancelledError)).toBe(CancelledError);
    for (let i = 0; i < 500 && server.stats.closedByClient === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.stats.closedByClient).toBe(1);
  });
});

describe('TransformProxy', () => {
  it('xform returns a Deferred of the transformed poem', async () => {
    const server = await startTransformServer({});
    closers.push(server.close);
    const result = await runUntilFired((reactor) =>
      new TransformProxy(reactor, { address: server.address, name: 'cummingsify' }).xform('cummingsify', 'Hello World'),
    );
    expect(result).toBe('hello world');
  });

  it('xform fails (for the caller to fall back) when the transform server fails on purpose', async () => {
    const server = await startTransformServer({});
    closers.push(server.close);
    const result = await runUntilFired((reactor) =>
      new TransformProxy(reactor, { address: server.address, name: 'fail' }).xform('fail', 'Hello'),
    );
    expect(result).toBeInstanceOf(Failure);
  });
});
