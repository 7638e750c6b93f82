/**
 * The effect model's own promises, beyond the conformance suite: a download is a description that
 * connects only when run; its failures arrive as tagged errors; and structured concurrency — an
 * interrupted fiber's scope closes its socket, a failed child takes its siblings down with it, and
 * the caller's signal reaches every socket — seen from the server's side.
 */
import { Effect, Either, Exit, Fiber } from 'effect';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PoetryEvent } from '../poetry/contract.ts';
import { poems } from '../poetry/poems/index.ts';
import {
  type PoetryServer,
  refusingAddress,
  startFastServer,
  startFaultyServer,
  startSlowServer,
} from '../poetry/servers/index.ts';
import { download } from './client.ts';
import { model } from './index.ts';

const kettle = poems.kettle.text;
const ferry = poems['night-ferry'].text;

const servers: PoetryServer[] = [];
async function serve<T extends PoetryServer>(starting: Promise<T>): Promise<T> {
  const server = await starting;
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A slow server: about 2.9 s for the whole poem, ten bytes every 10 ms. */
const slowly = () => serve(startSlowServer({ poem: ferry, numBytes: 10, delay: 0.01 }));

describe('download, one attempt as an Effect', () => {
  it('connects nowhere until it is run, and again each time it is run', async () => {
    const server = await serve(startFastServer({ poem: kettle }));
    const attempt = download(server.address, 1, undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.stats.connections).toBe(0);
    const first = await Effect.runPromise(attempt);
    const second = await Effect.runPromise(attempt);
    expect([first.poem, second.poem]).toEqual([kettle, kettle]);
    expect(first.bytes).toBe(Buffer.byteLength(kettle));
    expect(server.stats.connections).toBe(2);
  });

  it('the whole fetch, described, connects nowhere until run; each run fetches anew into results of its own', async () => {
    const server = await serve(startFastServer({ poem: kettle }));
    const request = model.describe?.([server.address, server.address], { concurrency: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.stats.connections).toBe(0);
    const first = await request?.run();
    const second = await request?.run();
    expect(first?.map((r) => r.ok && r.poem)).toEqual([kettle, kettle]);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    expect(server.stats.connections).toBe(4);
  });

  it('fails with tagged errors: SocketError for a refused port, BadEncoding for bytes that are not UTF-8', async () => {
    const refused = await refusingAddress();
    const badUtf8 = await serve(startFaultyServer({ mode: 'bad-utf8' }));
    const [noServer, garbled] = await Promise.all(
      [refused, badUtf8.address].map((address) => Effect.runPromise(Effect.either(download(address, 1, undefined)))),
    );
    expect(Either.isLeft(noServer) && noServer.left._tag).toBe('SocketError');
    expect(Either.isLeft(noServer) && noServer.left._tag === 'SocketError' && noServer.left.cause).toMatchObject({
      code: 'ECONNREFUSED',
    });
    expect(Either.isLeft(garbled) && garbled.left._tag === 'BadEncoding' && garbled.left.error.code).toBe(
      'BAD_ENCODING',
    );
  });

  it('interrupting the fiber that runs it closes the socket: its scope releases it', async () => {
    const server = await slowly();
    const fiber = Effect.runFork(download(server.address, 1, undefined));
    await vi.waitFor(() => expect(server.stats.bytesSent).toBeGreaterThan(0), { timeout: 2000 });
    const exit = await Effect.runPromise(Fiber.interrupt(fiber));
    expect(Exit.isInterrupted(exit)).toBe(true);
    await vi.waitFor(() => expect(server.stats.active).toBe(0), { timeout: 2000 });
    expect(server.stats.closedByClient).toBe(1);
  });

  it('a child that fails interrupts its siblings, whose sockets are closed before forEach returns', async () => {
    const slow = await slowly();
    const refused = await refusingAddress();
    const bothAtOnce = Effect.forEach([slow.address, refused], (address) => download(address, 1, undefined), {
      concurrency: 'unbounded',
    });
    const outcome = await Effect.runPromise(Effect.either(bothAtOnce));
    expect(Either.isLeft(outcome) && outcome.left._tag).toBe('SocketError');
    // The slow download did not run on after its sibling failed: the client hung up on it.
    await vi.waitFor(() => expect(slow.stats.active).toBe(0), { timeout: 2000 });
    expect(slow.stats.closedByClient).toBe(1);
    expect(slow.stats.bytesSent).toBeLessThan(Buffer.byteLength(ferry));
  });
});

describe('getPoems, the edge', () => {
  it('a signal aborted before the call reaches no server at all', async () => {
    const server = await serve(startFastServer({ poem: kettle }));
    const controller = new AbortController();
    controller.abort();
    const results = await model.getPoems([server.address, server.address], { signal: controller.signal });
    expect(results.map((result) => !result.ok && result.error.code)).toEqual(['CANCELLED', 'CANCELLED']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.stats.connections).toBe(0);
  });

  it('a cancel mid-download: every socket is closed by the client, the finished poem stands, none rejects', async () => {
    const fast = await serve(startFastServer({ poem: kettle }));
    const slow = [await slowly(), await slowly()];
    const controller = new AbortController();
    // Abort once the fast poem is done and both slow downloads are under way.
    const seen = new Set<string>();
    const onEvent = (event: PoetryEvent) => {
      seen.add(`${event.type} ${event.task}`);
      if (['done 1', 'chunk 2', 'chunk 3'].every((what) => seen.has(what)) && !controller.signal.aborted)
        controller.abort();
    };
    const results = await model.getPoems([fast.address, ...slow.map((server) => server.address)], {
      signal: controller.signal,
      onEvent,
    });
    expect(results.map((result) => (result.ok ? result.poem : result.error.code))).toEqual([
      kettle,
      'CANCELLED',
      'CANCELLED',
    ]);
    for (const server of slow) {
      await vi.waitFor(() => expect(server.stats.active).toBe(0), { timeout: 2000 });
      expect(server.stats.closedByClient).toBe(1);
    }
  });
});
