/**
 * The `lazy` model's own behaviour, beyond the conformance suite: the first poem is printed line by
 * line while the other downloads run, and the subtlety it exists to show — demand-driven reading
 * alone would not touch server 2 until poem 1 is done.
 */
import { describe, expect, it } from 'vitest';
import type { PoetryEvent } from '../poetry/contract.ts';
import { poems } from '../poetry/poems/index.ts';
import { startFaultyServer, startSlowServer } from '../poetry/servers/index.ts';
import { lazyPoems } from './client.ts';
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

  it('with a reader forked per server, poem 1 prints line by line while poem 2 downloads', async () => {
    const one = await serve(startSlowServer({ poem: first, numBytes: 60, delay: 0.01 }));
    const two = await serve(startSlowServer({ poem: second, numBytes: 60, delay: 0.01 }));
    const log: string[] = [];
    const results = await lazyPoems([one.address, two.address], {
      onLine: (task, line) => log.push(`line ${task}: ${line}`),
      onEvent: (event: PoetryEvent) => {
        if (event.type !== 'chunk') log.push(`${event.type} ${event.task}`);
      },
    });
    expect(results.map((r) => r.ok && r.poem)).toEqual([first, second]);
    // Server 2 is connected before poem 1 has printed its last line…
    expect(log.indexOf('connected 2')).toBeLessThan(log.lastIndexOf(`line 1: ${first.trimEnd().split('\n').at(-1)}`));
    // …and every line of poem 1 comes before any line of poem 2: printed in order, read concurrently.
    expect(log.filter((l) => l.startsWith('line')).map((l) => l.slice(0, 6))).toEqual([
      ...first
        .trimEnd()
        .split('\n')
        .map(() => 'line 1'),
      ...second
        .trimEnd()
        .split('\n')
        .map(() => 'line 2'),
    ]);
  });

  it('a serial server serves the forked readers one after another without stalling the printer', async () => {
    const serial = await serve(startSlowServer({ poem: first, numBytes: 200, delay: 0.01, serial: true }));
    const results = await lazyPoems([serial.address, serial.address, serial.address]);
    expect(results.every((r) => r.ok && r.poem === first)).toBe(true);
  });

  it('a retry after a mid-poem reset does not print the lines already printed again', async () => {
    const reset = await serve(startFaultyServer({ mode: 'reset', poem: first }));
    const printed: string[] = [];
    const [result] = await lazyPoems([reset.address], { retries: 2, onLine: (_, line) => printed.push(line) });
    expect(result).toMatchObject({ ok: false, error: { code: 'RESET' } });
    expect(reset.stats.connections).toBe(3);
    // Each attempt sends the first half; the lines it completes are printed once, in order.
    expect(printed.length).toBeGreaterThan(0);
    expect(printed).toEqual(first.split('\n').slice(0, printed.length));
  });

  it('cancelling while poem 1 prints stops every download and every server sees the hang-up', async () => {
    const one = await serve(startSlowServer({ poem: first, numBytes: 20, delay: 0.05 }));
    const two = await serve(startSlowServer({ poem: second, numBytes: 20, delay: 0.05 }));
    const controller = new AbortController();
    const results = await lazyPoems([one.address, two.address], {
      signal: controller.signal,
      onLine: () => controller.abort(),
    });
    expect(results.map((r) => !r.ok && r.error.code)).toEqual(['CANCELLED', 'CANCELLED']);
    await eventually(() => one.stats.active === 0 && two.stats.active === 0, 'both servers to see the hang-up');
    expect(one.stats.closedByClient + two.stats.closedByClient).toBe(2);
  });
});
