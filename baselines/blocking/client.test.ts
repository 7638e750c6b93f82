/**
 * What `blocking` does beyond the conformance suite, which it passes in full: it really is one
 * download at a time, in input order, whatever `concurrency` allows.
 */
import { afterEach, expect, it } from 'vitest';
import { fetchPoems, World } from '../../harness/conformance/world.ts';
import { poems } from '../../poetry/poems/index.ts';
import { blockingModel } from './client.ts';

const kettle = poems.kettle.text;
let world = new World();
afterEach(async () => {
  await world.close();
  world = new World();
});

it('runs one download at a time, in input order, whatever concurrency allows', async () => {
  const shared = await world.gauge(kettle, 0.01);
  const addresses = Array.from({ length: 4 }, () => shared.address);
  const { results, events } = await fetchPoems(blockingModel, addresses, { concurrency: 4 });
  expect(results.every((result) => result.ok && result.poem === kettle)).toBe(true);
  expect(shared.maxServing).toBe(1);
  // Task k has ended before task k + 1 connects.
  expect(events.map((event) => event.task)).toEqual([...events.map((event) => event.task)].sort());
});
