/**
 * The raw baseline's own tests. It is not a registered model, so the conformance suite does not run
 * it; these are the suite's cases that apply to what the bench asks of it (no retries, no
 * transform), against real servers on loopback, plus the two paths only it has: a poem decoded once
 * at the end, and one past `streamPastBytes` decoded as it comes. Every case also checks, through
 * `fetchPoems`, that its events keep the contract when `onEvent` is given, and afterwards that it
 * left no socket or timer open. No assertion is about speed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fetchPoems, World } from '../harness/conformance/world.ts';
import { formatAddress, type PoemResult } from '../poetry/contract.ts';
import { activeResources, leaksSince } from '../poetry/leaks.ts';
import { poems } from '../poetry/poems/index.ts';
import { refusingAddress } from '../poetry/servers/index.ts';
import { startServer } from '../poetry/servers/server.ts';
import { rawClient, streamPastBytes } from './raw-client.ts';

const ferry = poems['night-ferry'].text;
const semaphore = poems.semaphore.text;
const kettle = poems.kettle.text;
const cafe = poems['border-cafe'].text;

const poemsOf = (results: readonly PoemResult[]) => results.map((result) => (result.ok ? result.poem : undefined));
const codesOf = (results: readonly PoemResult[]) =>
  results.map((result) => (result.ok ? undefined : result.error.code));

describe('the raw baseline', () => {
  let world: World;
  let before: Map<string, number>;
  beforeEach(() => {
    before = activeResources();
    world = new World();
  });
  afterEach(async () => {
    await world.close();
    expect(await leaksSince(before), 'left open by the raw client').toEqual([]);
  });

  it('hands back each poem intact, in input order, without onEvent (the bench’s path)', async () => {
    // The first is the slowest, so completion order differs from input order; the third splits characters.
    const servers = [
      await world.slow({ poem: ferry, numBytes: 300, delay: 0.01 }),
      await world.fast(semaphore),
      await world.slow({ poem: cafe, numBytes: 3, delay: 0.001 }),
    ];
    const results = await rawClient.getPoems(servers.map((server) => server.address));
    expect(poemsOf(results)).toEqual([ferry, semaphore, cafe]);
    expect(results.map((result) => result.address)).toEqual(servers.map((server) => formatAddress(server.address)));
  });

  it('types each failure (refused, reset, stalled past the timeout, bad UTF-8) and keeps the good poems', async () => {
    const good = await world.slow({ poem: kettle, numBytes: 100, delay: 0.005 });
    const reset = await world.faulty({ mode: 'reset' });
    const stall = await world.faulty({ mode: 'stall' });
    const bad = await world.faulty({ mode: 'bad-utf8' });
    const last = await world.fast(semaphore);
    const addresses = [good.address, await refusingAddress(), reset.address, stall.address, bad.address, last.address];
    const { results } = await fetchPoems(rawClient, addresses, { timeoutMs: 500 });
    expect(codesOf(results)).toEqual([undefined, 'REFUSED', 'RESET', 'TIMEOUT', 'BAD_ENCODING', undefined]);
    expect(poemsOf(results)).toEqual([kettle, undefined, undefined, undefined, undefined, semaphore]);
    // The timeout hung up on the stalled server.
    await vi.waitFor(() => expect(stall.stats.closedByClient).toBe(1), { timeout: 2000 });
  });

  it('types an address net will not even try (a port out of range) as BAD_ADDRESS, without rejecting', async () => {
    const good = await world.fast(semaphore);
    const { results } = await fetchPoems(rawClient, [{ host: '127.0.0.1', port: 70_000 }, good.address], {
      timeoutMs: 5000,
    });
    expect(codesOf(results)).toEqual(['BAD_ADDRESS', undefined]);
    expect(poemsOf(results)).toEqual([undefined, semaphore]);
  });

  it('decodes a poem past the streaming threshold intact, a character split where it passes', async () => {
    // All 4-byte characters; the server sends the first part, ending inside one, and sends the rest
    // only once the client has read all of it: one read surely ends mid-character, past the threshold.
    const poem = Buffer.from('🌊'.repeat(Math.ceil(streamPastBytes / 4) + 1000));
    const firstPart = streamPastBytes + 2;
    let received = 0;
    let resolve = () => {};
    const readFirstPart = new Promise<void>((settle) => {
      resolve = settle;
    });
    const server = await startServer({
      kind: 'fast',
      serve: (connection) =>
        connection.sendAll(poem.subarray(0, firstPart), () =>
          readFirstPart.then(() => connection.sendAll(poem.subarray(firstPart), () => connection.finish())),
        ),
    });
    try {
      const { results } = await fetchPoems(rawClient, [server.address], {
        onEvent: (event) => {
          if (event.type !== 'chunk') return;
          received += event.bytes;
          if (received === firstPart) resolve();
        },
      });
      expect(poemsOf(results)).toEqual([poem.toString()]);
    } finally {
      await server.close();
    }
  });

  it('fails a poem past the threshold that is not UTF-8 with BAD_ENCODING, mid-stream', async () => {
    // The faulty server spoils the middle of the poem it is given: 1.5 MB in, past the threshold.
    const big = Buffer.alloc(3 * streamPastBytes, 'kettle letter ferry\n');
    const bad = await world.faulty({ mode: 'bad-utf8', poem: big });
    const { results } = await fetchPoems(rawClient, [bad.address]);
    expect(codesOf(results)).toEqual(['BAD_ENCODING']);
  });

  it('never has more than the limit in flight, and keeps it full (seen at the server)', async () => {
    // Each connection is held 0.2 s, time enough for a loaded machine to open the others.
    const shared = await world.gauge(kettle, 0.2);
    const addresses = Array.from({ length: 9 }, () => shared.address);
    const { results } = await fetchPoems(rawClient, addresses, { concurrency: 3 });
    expect(poemsOf(results)).toEqual(addresses.map(() => kettle));
    expect(shared.stats.connections).toBe(9);
    expect(shared.maxServing).toBe(3);
  });

  it('cancels every poem mid-download, started or waiting for the limit, and hangs up on each', async () => {
    const servers = [
      await world.slow({ poem: ferry, numBytes: 10, delay: 0.01 }),
      await world.slow({ poem: ferry, numBytes: 10, delay: 0.01 }),
    ];
    const controller = new AbortController();
    const { results } = await fetchPoems(
      rawClient,
      [...servers, ...servers].map((server) => server.address),
      {
        concurrency: 2,
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'chunk' && !controller.signal.aborted) setImmediate(() => controller.abort());
        },
      },
    );
    expect(codesOf(results)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED', 'CANCELLED']);
    // Only the two downloads within the limit ever connected, and the client hung up on both.
    for (const server of servers) {
      await vi.waitFor(() => expect([server.stats.connections, server.stats.closedByClient]).toEqual([1, 1]), {
        timeout: 2000,
      });
    }
  });

  it('connects nowhere for a signal aborted before the call', async () => {
    const server = await world.fast(kettle);
    const { results } = await fetchPoems(rawClient, [server.address, server.address], {
      signal: AbortSignal.abort(),
    });
    expect(codesOf(results)).toEqual(['CANCELLED', 'CANCELLED']);
    // A later download is accepted after any connection made before it: so only it was ever made.
    const later = await rawClient.getPoems([server.address]);
    expect(poemsOf(later)).toEqual([kettle]);
    expect(server.stats.connections).toBe(1);
  });

  it("waits out a timeout beyond setTimeout's range (2^31 ms) instead of firing at once", async () => {
    const slow = await world.slow({ poem: kettle, numBytes: 50, delay: 0.002 });
    const { results } = await fetchPoems(rawClient, [slow.address], { timeoutMs: 2 ** 31 });
    expect(poemsOf(results)).toEqual([kettle]);
  });
});
