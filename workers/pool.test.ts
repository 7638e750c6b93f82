/**
 * The pool on its own: each thread's session downloads on its own from real slow servers on
 * loopback, a `cancel` to every session reaches every thread (each hangs up, each task fails
 * CANCELLED), and closing the pool leaves no thread, port or timer behind.
 */
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { activeResources, leaksSince } from '../poetry/leaks.ts';
import { poems } from '../poetry/poems/index.ts';
import { type SlowPoetryServer, startSlowServer } from '../poetry/servers/index.ts';
import type { FromWorker, SessionOptions } from './messages.ts';
import { openPool, type Pool } from './pool.ts';

/** The threads of this process, as the operating system counts them. */
const osThreads = () => readdirSync('/proc/self/task').length;

const quiet: SessionOptions = {
  retries: 0,
  timeoutMs: undefined,
  transform: undefined,
  analyse: undefined,
  events: true,
  cancelled: new Int32Array(new SharedArrayBuffer(4)),
};

let servers: SlowPoetryServer[] = [];
let pool: Pool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

/** Every message a session sends, flattened out of its batches. */
function heard(port: Pool['sessions'][number]['port']): FromWorker[] {
  const messages: FromWorker[] = [];
  port.on('message', (batch: FromWorker[]) => messages.push(...batch));
  return messages;
}

describe('openPool', () => {
  it('refuses a thread count that is not a whole number from 1', () => {
    expect(() => openPool(0, quiet)).toThrow(/threads must be a whole number from 1, got 0/);
    expect(() => openPool(1.5, quiet)).toThrow(/got 1.5/);
  });

  it('a cancel to every session reaches every thread: each hangs up and fails its task CANCELLED', async () => {
    // Each poem takes about 2.9 s in full; the cancel comes once both threads have a chunk.
    servers = [
      await startSlowServer({ poem: poems['night-ferry'].text, numBytes: 10, delay: 0.01 }),
      await startSlowServer({ poem: poems['night-ferry'].text, numBytes: 10, delay: 0.01 }),
    ];
    const before = activeResources();
    pool = openPool(2, quiet);
    const { sessions } = pool;
    const messages = sessions.map((session) => heard(session.port));
    sessions.forEach((session, index) => {
      session.send({ type: 'task', task: index + 1, address: servers[index]!.address });
    });
    await vi.waitFor(
      () => {
        for (const [index, own] of messages.entries())
          expect(own.some((message) => message.type === 'chunk' && message.task === index + 1)).toBe(true);
      },
      { timeout: 10_000 },
    );
    for (const session of sessions) session.send({ type: 'cancel' });
    await vi.waitFor(() => {
      for (const own of messages) expect(own.some((message) => message.type === 'failure')).toBe(true);
    });
    for (const [index, own] of messages.entries()) {
      const failure = own.find((message) => message.type === 'failure');
      expect(failure?.type === 'failure' && [failure.task, failure.error.code]).toEqual([index + 1, 'CANCELLED']);
      // The session said it listens, then its progress came before its result, in the order sent.
      expect(own.map((message) => message.type).slice(0, 3)).toEqual(['ready', 'connected', 'chunk']);
      expect(own.at(-2)?.type).toBe('failed');
    }
    for (const server of servers) {
      await vi.waitFor(() => expect(server.stats.active).toBe(0));
      expect([server.stats.connections, server.stats.closedByClient]).toEqual([1, 1]);
    }
    await pool.close();
    pool = undefined;
    expect(await leaksSince(before)).toEqual([]);
  });

  it('a task that comes after the shared flag is set connects nowhere, before any cancel message', async () => {
    servers = [await startSlowServer({ poem: poems.kettle.text, numBytes: 50, delay: 0.01 })];
    const cancelled = new Int32Array(new SharedArrayBuffer(4));
    pool = openPool(1, { ...quiet, cancelled });
    const [session] = pool.sessions;
    const messages = heard(session!.port);
    await pool.ready;
    Atomics.store(cancelled, 0, 1);
    session!.send({ type: 'task', task: 1, address: servers[0]!.address });
    await vi.waitFor(() => expect(messages.some((message) => message.type === 'failure')).toBe(true));
    expect(messages.map((message) => message.type)).toEqual(['ready', 'failed', 'failure']);
    expect(messages.at(-1)).toMatchObject({ task: 1, error: { code: 'CANCELLED' } });
    expect(servers[0]!.stats.connections).toBe(0);
  });

  it('close ends every thread: the process has as many threads as before, and no port is left', async () => {
    // A first pool warms up whatever Node starts once per process and keeps.
    await openPool(1, quiet).close();
    const threads = osThreads();
    const before = activeResources();
    pool = openPool(3, quiet);
    await vi.waitFor(() => expect(osThreads()).toBeGreaterThanOrEqual(threads + 3), { timeout: 10_000 });
    await pool.close();
    pool = undefined;
    await vi.waitFor(() => expect(osThreads()).toBe(threads));
    expect(await leaksSince(before)).toEqual([]);
  });
});
