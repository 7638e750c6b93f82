/**
 * The library through its face (`index.ts`): each early-exit semantic and each known pitfall of
 * lazy iterator libraries (C2, C3 1–9 in lazy/README.md), as a test showing that ours does not have
 * it. Where the pitfall is a property of the language itself (an async generator's queued
 * `return()`), the test first shows it happening natively.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { poems } from '../poetry/poems/index.ts';
import { startFastServer, startFaultyServer, startSlowServer } from '../poetry/servers/index.ts';
import {
  buffer,
  cancelOn,
  concat,
  contents,
  filter,
  fork,
  from,
  lines,
  map,
  merge,
  naturals,
  take,
  timeout,
  toArray,
  zip,
} from './index.ts';
import { counting, eventually, pause, probe, serve } from './test-fixtures/helpers.ts';

const settles = <T>(promise: Promise<T>, withinMs = 500) =>
  Promise.race([promise.then(() => true), pause(withinMs).then(() => false)]);

describe('C2: early exit', () => {
  it('break out of a pipeline destroys the socket underneath (Node: readable.destroyed)', async () => {
    const server = await serve(startSlowServer({ poem: poems['night-ferry'].text, numBytes: 50, delay: 0.01 }));
    for await (const line of map((l: string) => l.toUpperCase(), lines(contents(server.address)))) {
      expect(line).toBe(line.toUpperCase());
      break;
    }
    await eventually(() => server.stats.closedByClient === 1, 'the server to see the hang-up');
  });
});

describe('C3.1: return() behind a pending next()', () => {
  it('natively, an async generator queues return() behind its running next() (the pitfall)', async () => {
    async function* parked() {
      await new Promise(() => {});
      yield 1;
    }
    const generator = parked();
    void generator.next();
    expect(await settles(generator.return(undefined))).toBe(false);
  });

  it('ours: return() during a pending read on a stalled socket resolves, the read ends done, the server sees the close', async () => {
    const stalled = await serve(startFaultyServer({ mode: 'stall' }));
    const iterator = lines(contents(stalled.address))[Symbol.asyncIterator]();
    await iterator.next();
    const pending = iterator.next();
    expect(await settles(iterator.return!())).toBe(true);
    expect(await pending).toEqual({ done: true, value: undefined });
    await eventually(() => stalled.stats.closedByClient === 1, 'the server to see the hang-up');
  });

  it('ours: return() over a foreign async generator parked mid-await does not hang the consumer', async () => {
    const { source } = probe([1, 2, 3], { parkAfter: 1 });
    const iterator = map((n: number) => n, from(source))[Symbol.asyncIterator]();
    await iterator.next();
    const pending = iterator.next();
    expect(await settles(iterator.return!())).toBe(true);
    expect((await pending).done).toBe(true);
  });
});

describe('C3.2: unhandled rejections from merge', () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', record);
  });
  afterEach(() => {
    process.off('unhandledRejection', record);
  });

  it('a source that fails after the consumer stopped listening raises no unhandled rejection', async () => {
    const failsLater = {
      [Symbol.asyncIterator]: () => ({
        next: () => pause(50).then(() => Promise.reject(new Error('late failure'))),
      }),
    };
    expect(await toArray(take(2, merge(naturals(), failsLater)))).toEqual([0, 1]);
    await pause(200);
    expect(unhandled).toEqual([]);
  });

  it('two sources failing at once: the first failure is thrown, the second handled quietly', async () => {
    const reset = await serve(startFaultyServer({ mode: 'reset' }));
    await expect(toArray(merge(contents(reset.address), contents(reset.address)))).rejects.toMatchObject({
      code: 'RESET',
    });
    await pause(200);
    expect(unhandled).toEqual([]);
  });
});

describe('C3.3: merge returns every source on early exit', () => {
  it('all sources’ finally blocks run, whether suspended at a yield or parked mid-await', async () => {
    const probes = [probe(counting()), probe(counting()), probe(counting()), probe([1, 2, 3], { parkAfter: 0 })];
    let taken = 0;
    for await (const _ of merge(...probes.map((p) => p.source))) {
      taken += 1;
      if (taken === 6) break;
    }
    expect(probes.slice(0, 3).map((p) => p.seen.finallyRan)).toEqual([true, true, true]);
    // The parked one cannot run its finally until its await settles; it was asked to stop, and did not block us.
  });

  it('over sockets: every server sees its connection closed', async () => {
    const servers = await Promise.all([1, 2, 3].map(() => serve(startFastServer({ poem: poems.kettle.text }))));
    for await (const _ of merge(...servers.map((s) => lines(contents(s.address))))) break;
    await eventually(() => servers.every((s) => s.stats.active === 0), 'every server to see its client gone');
  });
});

describe('C3.4: no unbounded buffering', () => {
  it('merge does not drain a fast endless source ahead of a consumer that stopped pulling', async () => {
    const fast = probe(counting());
    const iterator = merge(fast.source, from(probe([1], { parkAfter: 0 }).source))[Symbol.asyncIterator]();
    for (let n = 0; n < 5; n++) await iterator.next();
    await pause(100);
    // One pull in flight per source at most: it is at most one item ahead of the consumer.
    expect(fast.seen.produced).toBeLessThanOrEqual(6);
    await iterator.return?.();
  });

  it('buffer(n) over an endless source holds at most n waiting', async () => {
    const endless = probe(counting());
    const iterator = buffer(8, endless.source)[Symbol.asyncIterator]();
    await iterator.next();
    await pause(100);
    expect(endless.seen.produced).toBeLessThanOrEqual(8 + 8 + 1);
    await iterator.return?.();
    expect(endless.seen.finallyRan).toBe(true);
  });
});

describe('C3.5: zip leaves no pull running', () => {
  it('when one side ends, the other side’s in-flight pull is stopped (the socket closes)', async () => {
    const stalled = await serve(startFaultyServer({ mode: 'stall' }));
    const reading = contents(stalled.address);
    expect(await toArray(zip(['only one'], reading))).toHaveLength(1);
    await eventually(() => stalled.stats.closedByClient === 1, 'the stalled server to see the hang-up');
  });

  it('a consumer break returns every zipped source (IxJS’s zip does not)', async () => {
    const left = probe(counting());
    const right = probe(counting());
    for await (const _ of zip(left.source, right.source)) break;
    expect([left.seen.finallyRan, right.seen.finallyRan]).toEqual([true, true]);
  });
});

describe('C3.6: nothing lost between making a line reader and iterating it (readline’s pitfall)', () => {
  it('a lines() made before an await still gets every line: nothing is read before the first pull', async () => {
    const server = await serve(startFastServer({ poem: poems.kettle.text }));
    const poemLines = lines(contents(server.address));
    await pause(200);
    expect((await toArray(poemLines)).length).toBe(poems.kettle.text.trimEnd().split('\n').length);
  });

  it('a forked reader that started before the await keeps what it read until it is taken', async () => {
    const server = await serve(startFastServer({ poem: poems.kettle.text }));
    const poemLines = fork(lines(contents(server.address)));
    await eventually(() => server.stats.active === 0, 'the download to finish in the background');
    expect((await toArray(poemLines)).join('\n')).toBe(poems.kettle.text.trimEnd());
  });
});

describe('C3.7: a sync iterable of rejected promises is closed when the consumer throws', () => {
  it('the generator’s finally runs', async () => {
    let finallyRan = false;
    function* promises() {
      try {
        yield Promise.reject(new Error('first'));
        yield Promise.resolve(2);
      } finally {
        finallyRan = true;
      }
    }
    const consume = async () => {
      for await (const pending of from(promises())) await pending;
    };
    await expect(consume()).rejects.toThrow('first');
    expect(finallyRan).toBe(true);
  });
});

describe('C3.8: an idle source can always be stopped', () => {
  it('an abort reaches a read that is waiting for a server that never sends', async () => {
    const stalled = await serve(startFaultyServer({ mode: 'stall' }));
    const controller = new AbortController();
    const iterator = lines(cancelOn(controller.signal, contents(stalled.address)))[Symbol.asyncIterator]();
    await iterator.next();
    const pending = iterator.next();
    controller.abort(new Error('enough'));
    await expect(pending).rejects.toThrow('enough');
    await eventually(() => stalled.stats.closedByClient === 1, 'the server to see the hang-up');
  });

  it('from(asyncIterable) passes the stop to the wrapped iterable', async () => {
    let returned = false;
    const idle: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise(() => {}),
        return: () => {
          returned = true;
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    };
    const iterator = timeout(50, from(idle))[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toThrow();
    expect(returned).toBe(true);
  });
});

describe('C3.9: every wrapper forwards the stop', () => {
  const wrappers: [string, (source: AsyncIterable<number>) => AsyncIterable<unknown>][] = [
    ['map', (s) => map((n) => n + 1, s)],
    ['filter', (s) => filter((n) => n % 2 === 0, s)],
    ['take', (s) => take(100, s)],
    ['lines', (s) => lines(map((n) => `${n}\n`, s))],
    ['zip', (s) => zip(s, naturals())],
    ['merge', (s) => merge(s)],
    ['concat', (s) => concat(s, naturals())],
    ['buffer', (s) => buffer(4, s)],
    ['timeout', (s) => timeout(60_000, s)],
    ['cancelOn', (s) => cancelOn(new AbortController().signal, s)],
  ];
  for (const [name, wrap] of wrappers) {
    it(`${name}: break reaches the source (its finally runs)`, async () => {
      const { source, seen } = probe(counting());
      for await (const _ of wrap(source)) break;
      expect(seen.finallyRan).toBe(true);
    });
  }

  it('throw() on our iterator closes the source and rethrows', async () => {
    const { source, seen } = probe(counting());
    const iterator = map((n: number) => n, source)[Symbol.asyncIterator]();
    await iterator.next();
    await expect(iterator.throw!(new Error('from the consumer'))).rejects.toThrow('from the consumer');
    expect(seen.finallyRan).toBe(true);
  });
});
