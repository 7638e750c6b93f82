/**
 * The `lazy` model's own behaviour, beyond the conformance suite: the subtlety it exists to show —
 * demand-driven reading alone would not touch server 2 until poem 1 is done — and the forked
 * readers that get round it, retried from the start after a reset and all stopped by one cancel.
 */
import { describe, expect, it } from 'vitest';
import type { PoetryEvent } from '../poetry/contract.ts';
import { poems } from '../poetry/poems/index.ts';
import { startFastServer, startFaultyServer, startSlowServer } from '../poetry/servers/index.ts';
import { getPoems, lazyModel } from './client.ts';
import { concat, contents, lines } from './index.ts';
import { eventually, serve } from './test-fixtures/helpers.ts';

const first = poems.kettle.text;
const second = poems.semaphore.text;

describe('lazy model', () => {
  it('without a fork, demand-driven reading leaves server 2 untouched until poem 1 is done', async () => {
    const one = await serve(startSlowServer({ poem: first, numBytes: 60, delay: 0.01 }));
    const two = await serve(startSlowServer({ poem: second, numBytes: 60, delay: 0.01 }));
    let linesOfPoemOne = 0;
    let connectionsSeenDuringPoemOne = 0;
    for await (const _ of lines(concat(contents(one.address), contents(two.address)))) {
      if (linesOfPoemOne < first.trimEnd().split('\n').length) {
        linesOfPoemOne += 1;
        connectionsSeenDuringPoemOne = Math.max(connectionsSeenDuringPoemOne, two.stats.connections);
      }
    }
    expect(connectionsSeenDuringPoemOne).toBe(0);
  });

  it('described, the fetch connects nowhere until forced; forced twice, it is the same poems from one fetch', async () => {
    const server = await serve(startFastServer({ poem: first }));
    const request = lazyModel.describe?.([server.address, server.address]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.stats.connections).toBe(0);
    const once = await request?.run();
    const twice = await request?.run();
    expect(once?.map((r) => r.ok && r.poem)).toEqual([first, first]);
    expect(twice).toBe(once);
    expect(server.stats.connections).toBe(2);
  });

  it('with a reader forked per server, server 2 is read while poem 1 is still arriving', async () => {
    const one = await serve(startSlowServer({ poem: first, numBytes: 60, delay: 0.01 }));
    const two = await serve(startSlowServer({ poem: second, numBytes: 60, delay: 0.01 }));
    const log: string[] = [];
    const results = await getPoems([one.address, two.address], {
      onEvent: (event: PoetryEvent) => log.push(`${event.type} ${event.task}`),
    });
    expect(results.map((r) => r.ok && r.poem)).toEqual([first, second]);
    // Server 2 sends a chunk before poem 1 is done: the two are read at once, not one after another.
    expect(log.indexOf('chunk 2')).toBeGreaterThan(-1);
    expect(log.indexOf('chunk 2')).toBeLessThan(log.indexOf('done 1'));
  });

  it('a serial server serves the forked readers one after another without stalling the printer', async () => {
    const serial = await serve(startSlowServer({ poem: first, numBytes: 200, delay: 0.01, serial: true }));
    const results = await getPoems([serial.address, serial.address, serial.address]);
    expect(results.every((r) => r.ok && r.poem === first)).toBe(true);
  });

  it('a poem reset mid-way is downloaded again from the start, up to the retries asked for', async () => {
    const reset = await serve(startFaultyServer({ mode: 'reset', poem: first }));
    const events: PoetryEvent[] = [];
    const [result] = await getPoems([reset.address], { retries: 2, onEvent: (event) => events.push(event) });
    expect(result).toMatchObject({ ok: false, error: { code: 'RESET' } });
    expect(reset.stats.connections).toBe(3);
    expect(events.filter((event) => event.type === 'connected')).toHaveLength(3);
    expect(events.filter((event) => event.type === 'failed')).toHaveLength(1);
  });

  it('cancelling while poem 1 arrives stops every download and every server sees the hang-up', async () => {
    const one = await serve(startSlowServer({ poem: first, numBytes: 20, delay: 0.05 }));
    const two = await serve(startSlowServer({ poem: second, numBytes: 20, delay: 0.05 }));
    const controller = new AbortController();
    const results = await getPoems([one.address, two.address], {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'chunk' && event.task === 1) controller.abort();
      },
    });
    expect(results.map((r) => !r.ok && r.error.code)).toEqual(['CANCELLED', 'CANCELLED']);
    await eventually(() => one.stats.active === 0 && two.stats.active === 0, 'both servers to see the hang-up');
    expect(one.stats.closedByClient + two.stats.closedByClient).toBe(2);
  });
});
