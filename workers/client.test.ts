/**
 * The `workers` model seen from outside, with explicit thread counts: the limit holds across every
 * thread together (counted at a real server on loopback), the threads keep it full, and after every
 * call — poems, failures or a cancel — the process has no more threads than before.
 */
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { World } from '../harness/conformance/world.ts';
import type { PoemResult } from '../poetry/contract.ts';
import { activeResources, leaksSince } from '../poetry/leaks.ts';
import { poems } from '../poetry/poems/index.ts';
import { refusingAddress } from '../poetry/servers/index.ts';
import { workersModel } from './client.ts';

const kettle = poems.kettle.text;
const osThreads = () => readdirSync('/proc/self/task').length;

let world = new World();
afterEach(async () => {
  await world.close();
  world = new World();
});

const poemsOf = (results: readonly PoemResult[]) =>
  results.map((result) => (result.ok ? result.poem : result.error.code));

describe('the limit across threads', () => {
  it.each([
    { threads: 3, concurrency: 2 },
    { threads: 2, concurrency: 3 },
    { threads: 4, concurrency: 1 },
  ])(
    '$threads threads, at most $concurrency in flight: never more, and the limit kept full',
    async ({ threads, concurrency }) => {
      // Counted at the server, from accept to its last byte sent (the conformance suite's gauge).
      const shared = await world.gauge(kettle, 0.15);
      const addresses = Array.from({ length: 7 }, () => shared.address);
      const results = await workersModel({ threads }).getPoems(addresses, { concurrency });
      expect(poemsOf(results)).toEqual(addresses.map(() => kettle));
      expect(shared.maxServing).toBe(concurrency);
    },
  );
});

describe('no thread outlives a call', () => {
  it('after poems, after failures and after a cancel, the process has the threads it had before', async () => {
    const model = workersModel({ threads: 2 });
    const slow = await world.slow({ poem: poems['night-ferry'].text, numBytes: 10, delay: 0.01 });
    const refused = await refusingAddress();
    // A first call warms up whatever Node starts once per process and keeps.
    await model.getPoems([refused]);
    const threads = osThreads();
    const before = activeResources();

    const done = await model.getPoems([slow.address, refused], { timeoutMs: 60 });
    expect(poemsOf(done)).toEqual(['TIMEOUT', 'REFUSED']);
    expect(osThreads()).toBe(threads);

    const controller = new AbortController();
    const cancelled = model.getPoems([slow.address, slow.address, slow.address], {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'chunk') controller.abort();
      },
    });
    expect(poemsOf(await cancelled)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    expect(osThreads()).toBe(threads);
    expect(await leaksSince(before)).toEqual([]);
  });
});
