/**
 * The deferred client's own promises (the conformance suite checks the rest through the contract):
 * `getPoems` on a reactor is one Deferred, and a `cancel()` on it travels down every task's chain
 * — past the semaphore's line and into the attempt in flight — to the canceller that closes the
 * connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PoemResult, PoetryEvent } from '../poetry/contract.ts';
import { poems } from '../poetry/poems/index.ts';
import { startSlowServer } from '../poetry/servers/index.ts';
import { Reactor } from '../reactor/reactor.ts';
import { getPoems } from './client.ts';

const poem = poems.kettle.text;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('getPoems (Deferred)', () => {
  it('cancelling its Deferred cancels the download in flight and the task waiting for a place', async () => {
    const server = await startSlowServer({ poem, numBytes: 10, delay: 0.2 });
    closers.push(server.close);
    const reactor = new Reactor();
    const events: PoetryEvent[] = [];
    let results: PoemResult[] = [];
    reactor.callWhenRunning(() => {
      const d = getPoems(reactor, [server.address, server.address], {
        concurrency: 1,
        onEvent: (event) => {
          events.push(event);
          if (event.type === 'chunk' && event.task === 1) d.cancel();
        },
      });
      d.addCallback((all) => {
        results = all;
        reactor.stop();
      });
    });
    await reactor.run();
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['CANCELLED', 'CANCELLED']);
    // Task 2 never got a place, yet it ends with its own `failed` event.
    expect(events.filter((e) => e.type === 'failed').map((e) => e.task)).toEqual([1, 2]);
    expect(events.some((e) => e.type === 'connected' && e.task === 2)).toBe(false);
    for (let i = 0; i < 500 && server.stats.closedByClient === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.stats.closedByClient).toBe(1);
  });
});
