/**
 * What the baselines do beyond the conformance suite, which both pass in full: `blocking` really is
 * one download at a time, the timeout also bounds the transform, a garbled transform reply falls back
 * to the original, and an abort with a reason of the caller's own is still a cancel.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fetchPoems, World } from '../harness/conformance/world.ts';
import { poems } from '../poetry/poems/index.ts';
import { blockingModel, promisesModel } from './index.ts';

const kettle = poems.kettle.text;
const ferry = poems['night-ferry'].text;
let world = new World();
afterEach(async () => {
  await world.close();
  world = new World();
});

describe('blocking', () => {
  it('runs one download at a time, in input order, whatever concurrency allows', async () => {
    const shared = await world.gauge(kettle, 0.01);
    const addresses = Array.from({ length: 4 }, () => shared.address);
    const { results, events } = await fetchPoems(blockingModel, addresses, { concurrency: 4 });
    expect(results.every((result) => result.ok && result.poem === kettle)).toBe(true);
    expect(shared.maxServing).toBe(1);
    // Task k has ended before task k + 1 connects.
    expect(events.map((event) => event.task)).toEqual([...events.map((event) => event.task)].sort());
  });
});

describe.each([blockingModel, promisesModel])('$name', (model) => {
  it('the timeout also bounds a transform that never answers: the original poem is kept', async () => {
    const server = await world.fast(kettle);
    // A stalling server as the "transform": it sends the start of a 999-byte netstring, then nothing.
    const stalling = await world.faulty({ mode: 'stall', poem: '999:the start of a reply\nthat never comes' });
    const { results } = await fetchPoems(model, [server.address], {
      timeoutMs: 200,
      transform: { address: stalling.address, name: 'cummingsify' },
    });
    const [result] = results;
    expect(result?.ok && result.poem).toBe(kettle);
    expect(result?.ok && result.transformError?.message).toMatch(/no reply within 200 ms/);
  });

  it('a transform reply that is not a netstring falls back to the original poem', async () => {
    const server = await world.fast(kettle);
    const chatty = await world.fast('this is not a netstring\n');
    const { results } = await fetchPoems(model, [server.address], {
      transform: { address: chatty.address, name: 'cummingsify' },
    });
    const [result] = results;
    expect(result?.ok && result.poem).toBe(kettle);
    expect(result?.ok && result.transformError?.code).toBe('TRANSFORM_FAILED');
  });

  it('an abort with the caller’s own reason is still CANCELLED', async () => {
    const slow = await world.slow({ poem: ferry, numBytes: 10, delay: 0.01 });
    const controller = new AbortController();
    const { results } = await fetchPoems(model, [slow.address], {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'chunk') setImmediate(() => controller.abort(new Error('user went home')));
      },
    });
    expect(results.map((result) => !result.ok && result.error.code)).toEqual(['CANCELLED']);
  });

  it('an unusable address is BAD_ADDRESS and does not stop the others', async () => {
    const server = await world.fast(kettle);
    const { results } = await fetchPoems(model, [{ host: '127.0.0.1', port: 70000 }, server.address]);
    expect(results.map((result) => (result.ok ? result.poem : result.error.code))).toEqual(['BAD_ADDRESS', kettle]);
  });
});
