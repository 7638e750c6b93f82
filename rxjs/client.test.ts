/**
 * The rxjs model at its RxJS edges, against real servers on loopback: the socket Observable is
 * cold (subscribing connects, each subscription is a connection of its own), its teardown reaches
 * the socket however the subscription ends (complete, error, unsubscribe), an unsubscribe from the
 * whole fetch goes through every operator to every socket and timer, `describe` runs the fetch
 * again, and a consumer that holds back does not slow the socket: push buffers in the process.
 * Every wait is bounded and names what it waits for; nothing asserts on milliseconds.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, tap, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { PoetryError } from '../poetry/contract.ts';
import { activeResources, leaksSince } from '../poetry/leaks.ts';
import { generatePoem, poems } from '../poetry/poems/index.ts';
import { type PoetryServer, startFastServer, startSlowServer } from '../poetry/servers/index.ts';
import { type Figures, holdBack } from './backpressure-probe.ts';
import { fromSocket, model, poems$ } from './index.ts';

const running: PoetryServer[] = [];
async function serve<S extends PoetryServer>(starting: Promise<S>): Promise<S> {
  const server = await starting;
  running.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
async function eventually(condition: () => boolean, what: string, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await pause(10);
  }
}

const kettle = poems.kettle.text;
const ferry = poems['night-ferry'].text;

describe('fromSocket: a socket as a cold Observable of chunks', () => {
  it('connects only when subscribed, and once per subscription', async () => {
    const server = await serve(startFastServer({ poem: kettle }));
    const chunks = fromSocket(server.address);
    await pause(50);
    expect(server.stats.connections).toBe(0);
    const [first, second] = await Promise.all([
      firstValueFrom(chunks.pipe(toArray())),
      firstValueFrom(chunks.pipe(toArray())),
    ]);
    expect(Buffer.concat(first).toString()).toBe(kettle);
    expect(Buffer.concat(second).toString()).toBe(kettle);
    expect(server.stats.connections).toBe(2);
  });

  it('unsubscribing mid-poem runs the teardown: the server sees the client hang up', async () => {
    const server = await serve(startFastServer({ poem: generatePoem(8 * 2 ** 20) }));
    // Unsubscribed on the first chunk itself: a consumer that keeps up could read 8 MiB before a poll saw it.
    const subscription = fromSocket(server.address).subscribe(() => subscription.unsubscribe());
    await eventually(() => server.stats.closedByClient === 1, 'the server to see the close');
    expect(server.stats.active).toBe(0);
  });

  it('an error downstream (an operator throwing) runs the teardown too', async () => {
    const server = await serve(startFastServer({ poem: generatePoem(8 * 2 ** 20) }));
    const failing = fromSocket(server.address).pipe(
      tap(() => {
        throw new Error('the consumer gave up');
      }),
    );
    await expect(firstValueFrom(failing)).rejects.toThrow('the consumer gave up');
    await eventually(() => server.stats.closedByClient === 1, 'the server to see the close');
  });

  it('a refused connection errors the Observable with a typed REFUSED', async () => {
    const server = await startFastServer({ poem: kettle });
    const { address } = server;
    await server.close();
    const error = await firstValueFrom(fromSocket(address)).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(PoetryError);
    expect((error as PoetryError).code).toBe('REFUSED');
  });
});

describe('cancellation propagates by unsubscribing', () => {
  it('unsubscribing from the whole fetch reaches every socket through mergeMap, retry, timeout and reduce', async () => {
    const before = activeResources();
    const servers = await Promise.all(
      [1, 2, 3].map(() => serve(startSlowServer({ poem: ferry, numBytes: 10, delay: 0.01 }))),
    );
    let chunks = 0;
    const subscription = poems$(
      servers.map((server) => server.address),
      {
        retries: 2,
        timeoutMs: 60_000,
        concurrency: 2,
        onEvent: (event) => {
          if (event.type === 'chunk') chunks += 1;
        },
      },
    ).subscribe();
    await eventually(() => chunks > 0 && servers.filter((s) => s.stats.active > 0).length === 2, 'two downloads');
    subscription.unsubscribe();
    // The third was waiting for a place and never connected; the two running ones were hung up on.
    for (const server of servers) {
      await eventually(() => server.stats.active === 0, 'every connection closed');
      expect(server.stats.closedByClient).toBe(server.stats.connections);
    }
    expect(servers.map((server) => server.stats.connections).sort()).toEqual([0, 1, 1]);
    await Promise.all(running.splice(0).map((server) => server.close()));
    // The deadlines' timers went with the subscriptions.
    expect(await leaksSince(before)).toEqual([]);
  });

  it('an abort through getPoems: CANCELLED for each unfinished poem, a finished one kept', async () => {
    const fast = await serve(startFastServer({ poem: kettle }));
    const slow = await serve(startSlowServer({ poem: ferry, numBytes: 10, delay: 0.01 }));
    const controller = new AbortController();
    let firstDone = false;
    const results = await model.getPoems([fast.address, slow.address], {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'done' && event.task === 1) firstDone = true;
        // Synchronously, inside the socket's 'data' handler: the unsubscribe reaches it from within.
        if (event.type === 'chunk' && event.task === 2 && firstDone) controller.abort();
      },
    });
    expect(results.map((result) => (result.ok ? result.poem : result.error.code))).toEqual([kettle, 'CANCELLED']);
    await eventually(() => slow.stats.active === 0, 'the slow server to see the close');
    expect(slow.stats.closedByClient).toBe(1);
  });
});

describe('describe: the Observable is the description', () => {
  it('connects nowhere until run, and fetches again when run again', async () => {
    const server = await serve(startFastServer({ poem: kettle }));
    const request = model.describe?.([server.address]);
    await pause(50);
    expect(server.stats.connections).toBe(0);
    const first = await request?.run();
    const second = await request?.run();
    expect([first, second].map((results) => results?.[0]?.ok && results[0].poem)).toEqual([kettle, kettle]);
    expect(server.stats.connections).toBe(2);
  });
});

describe('push: a consumer that holds back does not slow the socket', () => {
  it('the whole poem comes into the process while the consumer has taken one chunk', async () => {
    const poem = generatePoem(16 * 2 ** 20);
    const server = await serve(startFastServer({ poem }));
    const reading = await holdBack('push', server.address);
    await eventually(() => server.stats.bytesSent === poem.length, 'the server to send the whole poem', 30_000);
    // Everything but the first chunk (at most 64 KiB) waits in concatMap's queue.
    await eventually(() => (reading.buffered() ?? 0) >= poem.length - 64 * 1024, 'every byte to arrive');
    console.log(`rxjs push: ${reading.buffered()} of ${poem.length} bytes buffered in the process`);
    reading.release();
  });

  it('the probe, each mode in a fresh process: push buffers the poem, pull stalls the server', () => {
    const probe = path.join(path.dirname(fileURLToPath(import.meta.url)), 'backpressure-probe.ts');
    const run = (mode: string): Figures =>
      JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', probe, mode, '32'], { encoding: 'utf8' }));
    const push = run('push');
    const pull = run('pull');
    console.log(`backpressure probe, 32 MB poem:\n  ${JSON.stringify(push)}\n  ${JSON.stringify(pull)}`);
    expect(push.serverSent).toBe(push.poemBytes);
    expect(push.bufferedBytes).toBeGreaterThan(push.poemBytes * 0.9);
    expect(pull.serverSent).toBeLessThan(pull.poemBytes / 4);
    expect(push.rssGrowthMB).toBeGreaterThan(pull.rssGrowthMB);
  });
});
