/**
 * The combinators: what each computes, that each stays lazy (pulls only what is asked for), and
 * that each passes a stop on to its sources — over in-memory sources and over real sockets.
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { poems } from '../poetry/poems/index.ts';
import { startFastServer, startFaultyServer, startSlowServer } from '../poetry/servers/index.ts';
import {
  buffer,
  cancelOn,
  concat,
  concatMap,
  contents,
  drop,
  filter,
  from,
  lines,
  map,
  mapConcurrent,
  merge,
  naturals,
  retry,
  TimeoutError,
  take,
  timeout,
  toArray,
  zip,
} from './index.ts';
import { counting, eventually, pause, probe, serve } from './test-fixtures/helpers.ts';

describe('infinite sources', () => {
  it('take(3, naturals()) is [0, 1, 2]', async () => {
    expect(await toArray(take(3, naturals()))).toEqual([0, 1, 2]);
  });

  it('map and filter over an infinite source evaluate only what take asks for', async () => {
    const mapped: number[] = [];
    const square = (n: number) => {
      mapped.push(n);
      return n * n;
    };
    const evens = filter((n: number) => n % 2 === 0, map(square, naturals()));
    expect(await toArray(take(3, evens))).toEqual([0, 4, 16]);
    expect(mapped).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('lines', () => {
  it('splits across chunk boundaries, drops \\r of \\r\\n even when split, keeps a last line without \\n', async () => {
    const chunks = ['one\r', '\ntw', 'o\n\nthr', 'ee'];
    expect(await toArray(lines(chunks))).toEqual(['one', 'two', '', 'three']);
    expect(await toArray(lines(['a\n']))).toEqual(['a']);
    expect(await toArray(lines([]))).toEqual([]);
  });

  it('gives back the poem, line for line, from a server sending 7 bytes at a time', async () => {
    const text = poems['border-cafe'].text;
    const server = await serve(startSlowServer({ poem: text, numBytes: 7, delay: 0.0005 }));
    expect(await toArray(lines(contents(server.address)))).toEqual(text.replace(/\n$/, '').split('\n'));
  });
});

describe('zip', () => {
  it('pairs items in step and ends with the shortest', async () => {
    expect(await toArray(zip(naturals(), ['a', 'b']))).toEqual([
      [0, 'a'],
      [1, 'b'],
    ]);
  });

  it('stops every source when one ends — including a socket whose read is still pending', async () => {
    const short = await serve(startFastServer({ poem: 'one line\n' }));
    const stalled = await serve(startFaultyServer({ mode: 'stall' }));
    const pairs = await toArray(zip(lines(contents(short.address)), lines(contents(stalled.address))));
    expect(pairs).toHaveLength(1);
    await eventually(() => stalled.stats.closedByClient === 1, 'the stalled server to see the hang-up');
  });
});

describe('merge', () => {
  it('yields the fast source’s items before the slow one’s', async () => {
    const slow = await serve(startSlowServer({ poem: 'slow 1\nslow 2\n', numBytes: 3, delay: 0.2 }));
    const fast = await serve(startFastServer({ poem: 'fast 1\nfast 2\nfast 3\n' }));
    const order = await toArray(merge(lines(contents(slow.address)), lines(contents(fast.address))));
    expect(order).toEqual(['fast 1', 'fast 2', 'fast 3', 'slow 1', 'slow 2']);
  });

  it('ends when every source has ended and fails with the first failure, closing the rest', async () => {
    expect((await toArray(merge([1, 2], [3]))).sort()).toEqual([1, 2, 3]);
    const stalled = await serve(startFaultyServer({ mode: 'stall' }));
    const reset = await serve(startFaultyServer({ mode: 'reset' }));
    await expect(toArray(merge(contents(stalled.address), contents(reset.address)))).rejects.toMatchObject({
      code: 'RESET',
    });
    await eventually(() => stalled.stats.closedByClient === 1, 'the stalled server to see the hang-up');
  });
});

describe('concat', () => {
  it('opens each source only when the previous one has ended', async () => {
    const first = await serve(startSlowServer({ poem: poems.kettle.text, numBytes: 100, delay: 0.02 }));
    const second = await serve(startFastServer({ poem: poems.semaphore.text }));
    const iterator = concat(contents(first.address), contents(second.address))[Symbol.asyncIterator]();
    let text = '';
    for (let item = await iterator.next(); !item.done; item = await iterator.next()) {
      if (text.length < poems.kettle.text.length) expect(second.stats.connections).toBe(0);
      text += item.value;
    }
    expect(text).toBe(poems.kettle.text + poems.semaphore.text);
  });
});

describe('buffer (read-ahead)', () => {
  it('reads ahead up to its size, no further, before anything is taken', async () => {
    const seen = { produced: 0 };
    const source = map((n: number) => {
      seen.produced += 1;
      return n;
    }, from(counting()));
    // A synchronous iterable is one endless run: the buffer must take from it piecemeal.
    const iterator = buffer(5, source)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe(0);
    await pause(50);
    // Five handed to the consumer's run, at most five more waiting in the buffer.
    expect(seen.produced).toBeLessThanOrEqual(10);
    await iterator.return?.();
  });

  it('reads ahead in the background: chunks arrive while the consumer is not pulling', async () => {
    const server = await serve(startFastServer({ poem: poems['night-ferry'].text }));
    const iterator = buffer(1000, contents(server.address))[Symbol.asyncIterator]();
    await iterator.next();
    await eventually(() => server.stats.bytesSent === Buffer.byteLength(poems['night-ferry'].text), 'read-ahead');
    await iterator.return?.();
  });
});

describe('timeout and cancelOn', () => {
  it('timeout fails a stalled read with its error and hangs up; the timer does not outlive it', async () => {
    const stalled = await serve(startFaultyServer({ mode: 'stall' }));
    await expect(toArray(timeout(100, contents(stalled.address)))).rejects.toBeInstanceOf(TimeoutError);
    await eventually(() => stalled.stats.closedByClient === 1, 'the stalled server to see the hang-up');
  });

  it('timeout lets a sequence that finishes in time through', async () => {
    expect(await toArray(timeout(10_000, take(3, naturals())))).toEqual([0, 1, 2]);
  });

  it('cancelOn rejects the pending read when the signal aborts and hangs up', async () => {
    const stalled = await serve(startFaultyServer({ mode: 'stall' }));
    const controller = new AbortController();
    const reading = toArray(cancelOn(controller.signal, contents(stalled.address)));
    await eventually(() => stalled.stats.connections === 1, 'the connection');
    controller.abort(new Error('stop'));
    await expect(reading).rejects.toThrow('stop');
    await eventually(() => stalled.stats.closedByClient === 1, 'the stalled server to see the hang-up');
  });

  /** A source whose first read never answers. */
  const stalled = () => from<number>({ [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }) });

  it('cancelOn: a thousand sequences under one signal share one listener, and aborting stops them all', async () => {
    const controller = new AbortController();
    const readings = Array.from({ length: 1000 }, () => toArray(cancelOn(controller.signal, stalled())));
    await eventually(() => getEventListeners(controller.signal, 'abort').length > 0, 'the sequences to be armed');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('stop'));
    const outcomes = await Promise.allSettled(readings);
    expect(
      outcomes.filter((outcome) => outcome.status === 'rejected' && outcome.reason.message === 'stop'),
    ).toHaveLength(1000);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('cancelOn: the listener goes with the last sequence that ends without an abort', async () => {
    const { signal } = new AbortController();
    expect(await toArray(cancelOn(signal, take(3, naturals())))).toEqual([0, 1, 2]);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  describe('on the fake clock', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it.each([2 ** 31, 3e9])('timeout(%d) fails a stalled read then, not before setTimeout gives up', async (ms) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      let outcome: unknown = 'reading';
      const reading = toArray(timeout(ms, stalled())).catch((error: unknown) => {
        outcome = error;
      });
      while (vi.getTimerCount() === 0) await new Promise((resolve) => setImmediate(resolve));
      await vi.advanceTimersByTimeAsync(ms - 1);
      expect(outcome).toBe('reading');
      await vi.advanceTimersByTimeAsync(1);
      await reading;
      expect(outcome).toBeInstanceOf(TimeoutError);
    });
  });
});

describe('retry', () => {
  it('runs the source again after a failure before anything was handed on', async () => {
    const flaky = await serve(startFaultyServer({ mode: 'flaky', failFirst: 2, poem: poems.kettle.text }));
    expect((await toArray(retry(2, contents(flaky.address)))).join('')).toBe(poems.kettle.text);
    expect(flaky.stats.connections).toBe(3);
  });

  it('does not run it again once items have gone downstream (they would be handed out twice)', async () => {
    const { source, seen } = probe([1, 2]);
    let attempts = 0;
    const failing = concat(
      from({
        [Symbol.asyncIterator]: () => {
          attempts += 1;
          return source[Symbol.asyncIterator]();
        },
      }),
      from({
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('broken')) }),
      }),
    );
    await expect(toArray(retry(3, failing))).rejects.toThrow('broken');
    expect(attempts).toBe(1);
    expect(seen.finallyRan).toBe(true);
  });
});

describe('drop and concatMap', () => {
  it('drop skips the first items; concatMap replaces each item by zero, one or many', async () => {
    expect(await toArray(drop(2, [1, 2, 3, 4]))).toEqual([3, 4]);
    expect(await toArray(concatMap((n: number) => Array.from({ length: n }, () => n), [0, 1, 2]))).toEqual([1, 2, 2]);
  });
});

/** A promise with its settle functions outside, so a test decides when each call ends. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Calls that end only when the test settles them; records which started and with what signal. */
function controlledCalls<T>() {
  const calls: { item: T; index: number; signal: AbortSignal; end: ReturnType<typeof deferred<T>> }[] = [];
  let running = 0;
  let maxRunning = 0;
  const fn = (item: T, index: number, signal: AbortSignal) => {
    const end = deferred<T>();
    calls.push({ item, index, signal, end });
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    const done = () => {
      running -= 1;
    };
    end.promise.then(done, done);
    return end.promise;
  };
  return { calls, fn, maxRunning: () => maxRunning };
}

describe('mapConcurrent', () => {
  it('hands the results out in the source order, whatever order the calls end in', async () => {
    const { calls, fn } = controlledCalls<string>();
    const results = toArray(mapConcurrent(3, fn, ['a', 'b', 'c']));
    await eventually(() => calls.length === 3, 'all three calls to start');
    for (const call of [...calls].reverse()) call.end.resolve(call.item.toUpperCase());
    expect(await results).toEqual(['A', 'B', 'C']);
    expect(calls.map((call) => call.index)).toEqual([0, 1, 2]);
  });

  it('runs at most `limit` calls at once, and a call that ends frees its place before its result is taken', async () => {
    const { calls, fn, maxRunning } = controlledCalls<number>();
    const results = toArray(mapConcurrent(2, fn, [0, 1, 2, 3]));
    await eventually(() => calls.length === 2, 'two calls to start');
    await pause(20);
    expect(calls).toHaveLength(2);
    // The second ends while the first still runs: its result must wait, its place must not.
    calls[1]!.end.resolve(1);
    await eventually(() => calls.length === 3, 'the third call to start');
    expect(calls).toHaveLength(3);
    calls[0]!.end.resolve(0);
    await eventually(() => calls.length === 4, 'the fourth call to start');
    calls[2]!.end.resolve(2);
    calls[3]!.end.resolve(3);
    expect(await results).toEqual([0, 1, 2, 3]);
    expect(maxRunning()).toBe(2);
  });

  it('over an endless source, `take` ends it, and no call starts after the stop', async () => {
    const calls: number[] = [];
    const squares = mapConcurrent(
      2,
      async (n: number) => {
        calls.push(n);
        return n * n;
      },
      counting(),
    );
    expect(await toArray(take(3, squares))).toEqual([0, 1, 4]);
    const startedByTheStop = calls.length;
    await pause(20);
    expect(calls).toHaveLength(startedByTheStop);
  });

  it('a stop (break, take) starts nothing more and aborts the signal of every call still running', async () => {
    const { calls, fn } = controlledCalls<number>();
    const iterator = mapConcurrent(2, fn, [0, 1, 2, 3])[Symbol.asyncIterator]();
    const first = iterator.next();
    await eventually(() => calls.length === 2, 'two calls to start');
    calls[0]!.end.resolve(0);
    expect(await first).toEqual({ done: false, value: 0 });
    await eventually(() => calls.length === 3, 'the third call to start');
    await iterator.return?.();
    expect(calls.map((call) => call.signal.aborted)).toEqual([true, true, true]);
    calls[1]!.end.resolve(1);
    calls[2]!.end.resolve(2);
    await pause(20);
    expect(calls).toHaveLength(3);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('the first failure rejects the sequence, aborts the calls still running and starts no more', async () => {
    const { calls, fn } = controlledCalls<number>();
    const results = toArray(mapConcurrent(2, fn, [0, 1, 2, 3]));
    await eventually(() => calls.length === 2, 'two calls to start');
    calls[1]!.end.reject(new Error('call 1 failed'));
    await expect(results).rejects.toThrow('call 1 failed');
    expect(calls[0]!.signal.aborted).toBe(true);
    await pause(20);
    expect(calls).toHaveLength(2);
  });

  it('a call that throws at once, or a failing source, rejects it too; a limit below 1 is refused', async () => {
    const throwing = () => {
      throw new Error('thrown, not rejected');
    };
    await expect(toArray(mapConcurrent(1, throwing, [1]))).rejects.toThrow('thrown, not rejected');
    async function* breaking() {
      yield 1;
      throw new Error('source broke');
    }
    await expect(toArray(mapConcurrent(1, async (n: number) => n, breaking()))).rejects.toThrow('source broke');
    expect(() => mapConcurrent(0, async (n: number) => n, [1])).toThrow(RangeError);
  });

  it('over sockets: every poem, in order, with at most `limit` connections open at a time', async () => {
    const servers = await Promise.all(
      [poems.kettle.text, poems.semaphore.text, poems['night-ferry'].text].map((poem) =>
        serve(startSlowServer({ poem, numBytes: 200, delay: 0.005 })),
      ),
    );
    const read = async (server: (typeof servers)[number]) => (await toArray(contents(server.address))).join('');
    expect(await toArray(mapConcurrent(1, read, servers))).toEqual([
      poems.kettle.text,
      poems.semaphore.text,
      poems['night-ferry'].text,
    ]);
    expect(servers.map((server) => server.stats.connections)).toEqual([1, 1, 1]);
  });
});
