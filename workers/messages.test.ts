/**
 * What crosses between main and a worker: a `PoetryError` through a real `MessageChannel` (the
 * structured clone drops its class and its code; the record keeps them), and the outbox's batches.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PoetryError } from '../poetry/contract.ts';
import { poetryErrors, toPoetryError } from '../poetry/errors.ts';
import { type FromWorker, Outbox, receiveError, sendError, sharedNow } from './messages.ts';

const ports: MessagePort[] = [];
afterEach(() => {
  for (const port of ports.splice(0)) port.close();
});

/** Both ends of a fresh channel, closed after the test. */
function channel(): { port1: MessagePort; port2: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  return { port1, port2 };
}

/** What `value` is once it has crossed a channel. */
function crossed<T>(value: T): Promise<T> {
  const { port1, port2 } = channel();
  return new Promise((resolve) => {
    port2.once('message', resolve);
    port1.postMessage(value);
  });
}

describe('errors across a thread boundary', () => {
  it('a PoetryError posted as it is arrives without its code or class', async () => {
    const arrived = await crossed(poetryErrors.timeout({ host: '127.0.0.1', port: 7 }, 150));
    expect(arrived).not.toBeInstanceOf(PoetryError);
    expect((arrived as { code?: unknown }).code).toBeUndefined();
  });

  it('sent as a record it comes back whole: class, code, address, message and the cause’s code', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7'), { code: 'ECONNREFUSED' });
    for (const error of [
      toPoetryError(refused, { host: '127.0.0.1', port: 7 }),
      poetryErrors.cancelled('[::1]:8'),
      poetryErrors.transformFailed('127.0.0.1:9', 'no reply within 5 ms'),
    ]) {
      const back = receiveError(await crossed(sendError(error)));
      expect(back).toBeInstanceOf(PoetryError);
      expect([back.code, back.address, back.message]).toEqual([error.code, error.address, error.message]);
      if (error.cause === undefined) expect(back.cause).toBeUndefined();
      else expect(back.cause).toMatchObject({ message: refused.message, code: 'ECONNREFUSED' });
    }
  });
});

describe('the clock every thread shares', () => {
  it('a time taken in a worker thread is never later than main’s when it arrives', async () => {
    // Each thread's performance.now() counts from its own start; timeOrigin + now() is one clock.
    const code =
      "const { parentPort } = require('node:worker_threads');" +
      'const times = [];' +
      'const tick = () => { times.push(performance.timeOrigin + performance.now());' +
      ' if (times.length < 20) setTimeout(tick, 5); else parentPort.postMessage(times); };' +
      'tick();';
    const thread = new Worker(code, { eval: true });
    // Listened for before anything is awaited: the thread may end as soon as it has posted.
    const exited = new Promise((resolve) => thread.once('exit', resolve));
    const times = await new Promise<number[]>((resolve) => thread.once('message', resolve));
    const arrived = sharedNow();
    await exited;
    expect(times).toHaveLength(20);
    for (const time of times) expect(time).toBeLessThanOrEqual(arrived);
    // And they go forward, as one clock does.
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});

describe('Outbox', () => {
  it('sends what one turn gathered as one batch, in order, on the next turn', async () => {
    const { port1, port2 } = channel();
    const batches: FromWorker[][] = [];
    port2.on('message', (batch: FromWorker[]) => batches.push(batch));
    const outbox = new Outbox(port1);
    outbox.send({ type: 'connected', task: 1, at: 1 });
    outbox.send({ type: 'chunk', task: 1, bytes: 10, at: 2 });
    outbox.send({ type: 'chunk', task: 2, bytes: 20, at: 3 });
    // The first batch went out in the turn after the sends, so this one is a batch of its own.
    await new Promise((resolve) => setImmediate(resolve));
    outbox.send({ type: 'done', task: 1, bytes: 10, at: 4 });
    await vi.waitFor(() => expect(batches.length).toBe(2));
    expect(batches).toEqual([
      [
        { type: 'connected', task: 1, at: 1 },
        { type: 'chunk', task: 1, bytes: 10, at: 2 },
        { type: 'chunk', task: 2, bytes: 20, at: 3 },
      ],
      [{ type: 'done', task: 1, bytes: 10, at: 4 }],
    ]);
  });

  it('flush sends at once and leaves nothing scheduled; an empty flush sends nothing', async () => {
    const { port1, port2 } = channel();
    const batches: FromWorker[][] = [];
    port2.on('message', (batch: FromWorker[]) => batches.push(batch));
    const outbox = new Outbox(port1);
    outbox.send({ type: 'connected', task: 3, at: 5 });
    outbox.flush();
    expect(process.getActiveResourcesInfo()).not.toContain('Immediate');
    outbox.flush();
    outbox.send({ type: 'connected', task: 4, at: 6 });
    await vi.waitFor(() => expect(batches.length).toBe(2));
    expect(batches).toEqual([[{ type: 'connected', task: 3, at: 5 }], [{ type: 'connected', task: 4, at: 6 }]]);
  });
});
