/**
 * The channel rules, one by one, with processes and no I/O: every test is deterministic (the
 * scheduler is a FIFO, select's choice is seeded, timers are vitest's fake ones).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
// `after` renamed: the linter takes a bare `after(…)` in a test file for a test hook.
import {
  after as afterMs,
  type Channel,
  CLOSED,
  ClosedChannelError,
  chan,
  close,
  never,
  put,
  putAsync,
  seedSelect,
  select,
  take,
  takeAsync,
} from './channels.ts';
import { go, run } from './process.ts';

beforeEach(() => seedSelect(1));

/** Everything `channel` still gives until it is closed and drained, taken by a process of its own. */
function drain<T>(channel: Channel<T>): Promise<T[]> {
  return run(function* () {
    const values: T[] = [];
    for (let value = yield* take(channel); value !== CLOSED; value = yield* take(channel)) values.push(value);
    return values;
  });
}

describe('put and take', () => {
  it('unbuffered: a put parks until a take meets it', async () => {
    const ch = chan<number>();
    const log: string[] = [];
    go(function* () {
      log.push('putting');
      yield* put(ch, 1);
      log.push('put done');
    });
    expect(log).toEqual(['putting']);
    const value = await run(function* () {
      return yield* take(ch);
    });
    expect(value).toBe(1);
    expect(log).toEqual(['putting', 'put done']);
  });

  it('buffered: puts complete at once until the buffer is full', () => {
    const ch = chan<number>(2);
    const log: number[] = [];
    go(function* () {
      for (let i = 1; i <= 3; i++) {
        yield* put(ch, i);
        log.push(i);
      }
    });
    expect(log).toEqual([1, 2]);
    expect(ch.buffered).toBe(2);
    expect(ch.pollTake()).toBe(1);
    // The parked putter's value moved into the buffer as soon as there was room.
    expect(log).toEqual([1, 2, 3]);
    expect(ch.buffered).toBe(2);
  });

  it('is FIFO: values in the order put, parked takers and parked putters in the order they parked', async () => {
    const ch = chan<string>();
    const taken: string[] = [];
    for (const name of ['a', 'b', 'c'])
      go(function* () {
        taken.push(`${name}:${String(yield* take(ch))}`);
      });
    for (const value of [1, 2, 3]) ch.offer(String(value));
    expect(taken).toEqual(['a:1', 'b:2', 'c:3']);

    const buffered = chan<number>(1);
    for (const value of [10, 20, 30, 40])
      go(function* () {
        yield* put(buffered, value);
      });
    const got = await run(function* () {
      const values: number[] = [];
      for (let i = 0; i < 4; i++) values.push((yield* take(buffered)) as number);
      return values;
    });
    expect(got).toEqual([10, 20, 30, 40]);
  });

  it('a rendezvous between two processes a hundred thousand times over uses no stack', async () => {
    const ping = chan<number>();
    const pong = chan<number>();
    go(function* () {
      for (let n = yield* take(ping); n !== CLOSED; n = yield* take(ping)) yield* put(pong, n + 1);
    });
    const last = await run(function* () {
      let n = 0;
      for (let i = 0; i < 100_000; i++) {
        yield* put(ping, n);
        n = (yield* take(pong)) as number;
      }
      close(ping);
      return n;
    });
    expect(last).toBe(100_000);
  });
});

describe('close', () => {
  it('takes drain what is buffered, then say CLOSED, again and again', async () => {
    const ch = chan<number>(3);
    ch.offer(1);
    ch.offer(2);
    close(ch);
    expect(await drain(ch)).toEqual([1, 2]);
    expect(await takeAsync(ch)).toBe(CLOSED);
    expect(await takeAsync(ch)).toBe(CLOSED);
  });

  it('wakes every parked taker with CLOSED', async () => {
    const ch = chan<number>();
    const all = Promise.all([drain(ch), drain(ch), drain(ch)]);
    close(ch);
    expect(await all).toEqual([[], [], []]);
  });

  it('a put on a closed channel throws, and so does a put parked when it closes', async () => {
    const ch = chan<number>();
    const parked = run(function* () {
      yield* put(ch, 1);
    });
    close(ch);
    await expect(parked).rejects.toBeInstanceOf(ClosedChannelError);
    expect(() => ch.offer(2)).toThrow(ClosedChannelError);
    await expect(putAsync(ch, 3)).rejects.toBeInstanceOf(ClosedChannelError);
    expect(() => close(ch)).toThrow(/closed channel/);
  });
});

describe('select', () => {
  it('picks among ready cases at random, not always the first', async () => {
    const a = chan<string>(1000);
    const b = chan<string>(1000);
    for (let i = 0; i < 1000; i++) {
      a.offer('a');
      b.offer('b');
    }
    const picks = await run(function* () {
      const keys: string[] = [];
      for (let i = 0; i < 1000; i++) keys.push((yield* select({ a: take(a), b: take(b) })).key);
      return keys;
    });
    const fromA = picks.filter((key) => key === 'a').length;
    expect(fromA).toBeGreaterThan(400);
    expect(fromA).toBeLessThan(600);
    // Neither case waits long for its turn.
    expect(picks.join('')).not.toMatch(/a{20}|b{20}/);
  });

  it('is reproducible: the same seed makes the same choices', async () => {
    const choices = async () => {
      seedSelect(42);
      const a = chan<number>(100);
      const b = chan<number>(100);
      for (let i = 0; i < 100; i++) {
        a.offer(i);
        b.offer(i);
      }
      return run(function* () {
        let keys = '';
        for (let i = 0; i < 100; i++) keys += (yield* select({ a: take(a), b: take(b) })).key;
        return keys;
      });
    };
    expect(await choices()).toBe(await choices());
  });

  it('with a default never parks, and says default when nothing is ready', async () => {
    const ch = chan<number>();
    const got = await run(function* () {
      return yield* select({ value: take(ch) }, { default: true });
    });
    expect(got).toEqual({ key: 'default', value: undefined });
    const ready = chan<number>(1);
    ready.offer(7);
    const taken = await run(function* () {
      return yield* select({ value: take(ready) }, { default: true });
    });
    expect(taken).toEqual({ key: 'value', value: 7 });
  });

  it('parked, completes one case and withdraws the others', async () => {
    const a = chan<number>();
    const b = chan<number>();
    const chosen = run(function* () {
      return yield* select({ a: take(a), b: take(b) });
    });
    expect(b.offer(2)).toBe(true);
    expect(await chosen).toEqual({ key: 'b', value: 2 });
    // The select no longer waits on a: a put there finds no taker.
    expect(a.offer(1)).toBe(false);
  });

  it('puts as well as takes, and says CLOSED for a closed channel', async () => {
    const out = chan<string>();
    const shut = chan<number>();
    const putter = run(function* () {
      return yield* select({ sent: put(out, 'x'), shut: take(shut) });
    });
    expect(await takeAsync(out)).toBe('x');
    expect(await putter).toEqual({ key: 'sent', value: undefined });

    close(shut);
    const closed = await run(function* () {
      return yield* select({ sent: put(out, 'y'), shut: take(shut) });
    });
    expect(closed).toEqual({ key: 'shut', value: CLOSED });
  });

  it('never chooses a case on the nil channel', async () => {
    const ch = chan<number>();
    const got = run(function* () {
      return yield* select({ none: take(never), value: take(ch) });
    });
    ch.offer(5);
    expect(await got).toEqual({ key: 'value', value: 5 });
    expect(never.offer(undefined as never)).toBe(false);
  });
});

describe('cancellation: a done channel', () => {
  it('releases every process parked on it when it closes', async () => {
    const done = chan<never>();
    const work = chan<number>();
    const workers = Array.from({ length: 5 }, () =>
      run(function* () {
        const got = yield* select({ work: take(work), cancel: take(done) });
        return got.key;
      }),
    );
    close(done);
    expect(await Promise.all(workers)).toEqual(['cancel', 'cancel', 'cancel', 'cancel', 'cancel']);
    // Nobody is left waiting on work.
    expect(work.offer(1)).toBe(false);
  });
});

describe('under contention', () => {
  it('many producers and consumers: every value taken exactly once, each producer’s in order', async () => {
    const ch = chan<{ producer: number; n: number }>(3);
    const producers = 10;
    const each = 500;
    // Started from one process, so all of them are queued before any runs (from outside a process,
    // the first start would run the whole exchange before the next was even made).
    let producing: Promise<void>[] = [];
    let consumers: Promise<{ producer: number; n: number }[]>[] = [];
    await run(function* () {
      producing = Array.from({ length: producers }, (_, producer) =>
        run(function* () {
          for (let n = 0; n < each; n++) {
            // Some producers go through select, so parked selects and parked puts mix in one queue.
            if (n % 3 === 0) yield* select({ sent: put(ch, { producer, n }) });
            else yield* put(ch, { producer, n });
          }
        }),
      );
      consumers = Array.from({ length: 7 }, () => drain(ch));
    });
    await Promise.all(producing);
    close(ch);
    const byConsumer = await Promise.all(consumers);
    const taken = byConsumer.flat();
    expect(taken).toHaveLength(producers * each);
    const seen = new Set(taken.map(({ producer, n }) => `${producer}:${n}`));
    expect(seen.size).toBe(producers * each);
    // Every consumer takes from one FIFO, so what one consumer got of one producer is in order.
    for (const values of byConsumer)
      for (let producer = 0; producer < producers; producer++) {
        const mine = values.filter((value) => value.producer === producer).map(({ n }) => n);
        expect(mine).toEqual([...mine].sort((x, y) => x - y));
      }
    // And the work was shared: no consumer took everything.
    expect(byConsumer.every((values) => values.length < taken.length)).toBe(true);
  });

  it('one consumer sees each producer’s values in the order that producer put them', async () => {
    const ch = chan<[number, number]>();
    for (let producer = 0; producer < 4; producer++)
      go(function* () {
        for (let n = 0; n < 100; n++) yield* put(ch, [producer, n]);
      });
    const got = await run(function* () {
      const values: [number, number][] = [];
      for (let i = 0; i < 400; i++) values.push((yield* take(ch)) as [number, number]);
      return values;
    });
    for (let producer = 0; producer < 4; producer++) {
      const mine = got.filter(([p]) => p === producer).map(([, n]) => n);
      expect(mine).toEqual(Array.from({ length: 100 }, (_, n) => n));
    }
  });
});

describe('after', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('delivers once, ms after it was made, to a select waiting on it', async () => {
    const timer = afterMs(100);
    const ch = chan<number>();
    let got: string | undefined;
    go(function* () {
      got = (yield* select({ value: take(ch), timeout: take(timer) })).key;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(got).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(got).toBe('timeout');
    expect(vi.getTimerCount()).toBe(0);
    // One value only: a second wait on it waits for good.
    expect(timer.pollTake()).not.toBeTypeOf('number');
  });

  it('counts from when it was made, not from when someone waits', async () => {
    const timer = afterMs(100);
    await vi.advanceTimersByTimeAsync(60);
    let fired = false;
    go(function* () {
      yield* take(timer);
      fired = true;
    });
    await vi.advanceTimersByTimeAsync(39);
    expect(fired).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toBe(true);
  });

  it('is ready at once when its time has passed before anyone waits', async () => {
    const timer = afterMs(10);
    await vi.advanceTimersByTimeAsync(10);
    const got = await run(function* () {
      return (yield* select({ timeout: take(timer) }, { default: true })).key;
    });
    expect(got).toBe('timeout');
  });

  it('leaves no timer behind a select that ended through another case', async () => {
    const timer = afterMs(60_000);
    const ch = chan<number>();
    const chosen = run(function* () {
      return (yield* select({ value: take(ch), timeout: take(timer) })).key;
    });
    expect(vi.getTimerCount()).toBe(1);
    ch.offer(1);
    expect(await chosen).toBe('value');
    expect(vi.getTimerCount()).toBe(0);
    // Waited on again, it still fires on time.
    let fired = false;
    go(function* () {
      yield* take(timer);
      fired = true;
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fired).toBe(true);
  });

  it('keeps the timers’ clock, not the wall clock: re-armed, it fires on time under a clock that fakes only timers and performance.now', async () => {
    vi.useRealTimers();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const timer = afterMs(100);
    const ch = chan<number>();
    const first = run(function* () {
      return (yield* select({ value: take(ch), timeout: take(timer) })).key;
    });
    await vi.advanceTimersByTimeAsync(50);
    ch.offer(1);
    expect(await first).toBe('value');
    let fired = false;
    go(function* () {
      yield* take(timer);
      fired = true;
    });
    await vi.advanceTimersByTimeAsync(49);
    expect(fired).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toBe(true);
  });

  it('Infinity never fires and holds no timer', () => {
    const timer = afterMs(Number.POSITIVE_INFINITY);
    go(function* () {
      yield* take(timer);
    });
    expect(vi.getTimerCount()).toBe(0);
    expect(() => afterMs(-1)).toThrow(RangeError);
  });
});

describe('from outside a process', () => {
  it('putAsync and takeAsync meet processes and each other', async () => {
    const ch = chan<number>();
    const putting = putAsync(ch, 1);
    expect(await takeAsync(ch)).toBe(1);
    await putting;
  });

  it('a parking operation outside every process is refused', () => {
    const ch = chan<number>();
    expect(() => [...(take(ch) as unknown as Iterable<unknown>)]).toThrow(/needs a process/);
  });
});
