/**
 * What the shared download does beyond what the conformance suite sees through both baselines: the
 * timeout also bounds the transform, a garbled transform reply falls back to the original, an abort
 * with a reason of the caller's own is still a cancel, a caller who has aborted connects nowhere,
 * no abort listener is left on the caller's signal, and a failure sends no final event (the caller's
 * retries decide which failure is the last).
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { World } from '../harness/conformance/world.ts';
import type { PoetryEvent } from '../poetry/contract.ts';
import { poems } from '../poetry/poems/index.ts';
import { fetchPoem } from './download.ts';

const kettle = poems.kettle.text;
const ferry = poems['night-ferry'].text;
let world = new World();
afterEach(async () => {
  await world.close();
  world = new World();
});

/** What `fetchPoem` resolved with, or the code it rejected with. */
async function outcome(fetching: Promise<{ poem: string }>): Promise<string> {
  try {
    return (await fetching).poem;
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe('the transform', () => {
  it('is bounded by the timeout too: a transform that never answers keeps the original poem', async () => {
    const server = await world.fast(kettle);
    // A stalling server as the "transform": it sends the start of a 999-byte netstring, then nothing.
    const stalling = await world.faulty({ mode: 'stall', poem: '999:the start of a reply\nthat never comes' });
    const fetched = await fetchPoem(server.address, 1, {
      timeoutMs: 200,
      transform: { address: stalling.address, name: 'cummingsify' },
    });
    expect(fetched.poem).toBe(kettle);
    expect(fetched.transformError?.message).toMatch(/no reply within 200 ms/);
  });

  it('falls back to the original poem when the reply is not a netstring', async () => {
    const server = await world.fast(kettle);
    const chatty = await world.fast('this is not a netstring\n');
    const fetched = await fetchPoem(server.address, 1, {
      transform: { address: chatty.address, name: 'cummingsify' },
    });
    expect(fetched.poem).toBe(kettle);
    expect(fetched.transformError?.code).toBe('TRANSFORM_FAILED');
  });
});

describe('the caller’s cancel', () => {
  it('is CANCELLED even when the caller aborts with a reason of its own', async () => {
    const slow = await world.slow({ poem: ferry, numBytes: 10, delay: 0.01 });
    const controller = new AbortController();
    const fetching = fetchPoem(slow.address, 1, {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'chunk') setImmediate(() => controller.abort(new Error('user went home')));
      },
    });
    expect(await outcome(fetching)).toBe('CANCELLED');
  });

  it('once the caller has aborted, opens no connection at all', async () => {
    const server = await world.fast(kettle);
    const controller = new AbortController();
    controller.abort();
    // Started from a macrotask, where Node's next-tick queue (which makes the connect) runs before
    // the microtasks (where an abort listener added to an aborted signal runs).
    const cancelled = await new Promise<Promise<string>>((resolve) =>
      setImmediate(() => resolve(outcome(fetchPoem(server.address, 1, { signal: controller.signal })))),
    );
    expect(await cancelled).toBe('CANCELLED');
    // A download after it, once done, has been accepted after any connection the first one made.
    expect(await outcome(fetchPoem(server.address, 2, {}))).toBe(kettle);
    expect(server.stats.connections).toBe(1);
  });

  it('leaves no abort listener on the caller’s signal, after twenty downloads, with and without a timeout', async () => {
    const server = await world.fast(kettle);
    const { signal } = new AbortController();
    const fetched = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        outcome(fetchPoem(server.address, index + 1, { signal, ...(index % 2 === 0 && { timeoutMs: 60_000 }) })),
      ),
    );
    expect(fetched).toEqual(Array(20).fill(kettle));
    expect(getEventListeners(signal, 'abort')).toEqual([]);
  });
});

describe('the events', () => {
  it('a success ends with done; a failure sends no final event, which is the retrying caller’s to send', async () => {
    const server = await world.fast(kettle);
    const events: PoetryEvent[] = [];
    const onEvent = (event: PoetryEvent) => events.push(event);
    await fetchPoem(server.address, 1, { onEvent });
    expect(await outcome(fetchPoem({ host: '127.0.0.1', port: 70000 }, 2, { onEvent }))).toBe('BAD_ADDRESS');
    expect(
      events.filter((event) => event.type === 'done' || event.type === 'failed').map((event) => event.task),
    ).toEqual([1]);
    expect(events.at(-1)).toMatchObject({ type: 'done', task: 1, bytes: Buffer.byteLength(kettle) });
  });
});
