/**
 * Promise interop (spec section 9 as mapped to JavaScript in reactor/defer/README.md) and the
 * in-process parts of debug mode (U7, U9).
 */
import { describe, expect, it } from 'vitest';
import {
  AlreadyCalledError,
  CancelledError,
  Deferred,
  DeferredSemaphore,
  Failure,
  fail,
  getDebugging,
  setDebugging,
  succeed,
} from './defer.ts';

describe('9. interop with Promises and await', () => {
  it('A3/A4: awaiting a fired Deferred gives its result and leaves the result in place', async () => {
    const d = succeed('v7');
    expect(await d).toBe('v7');
    expect(d.result).toBe('v7');
  });

  it('A3/A4: awaiting a failed Deferred throws the wrapped error; the Failure stays in place', async () => {
    const error = new RangeError('value error');
    const d = fail(error);
    await expect(async () => await d).rejects.toBe(error);
    expect(d.result).toBeInstanceOf(Failure);
  });

  it('A4: awaiting an unfired Deferred gives its eventual result and consumes it (undefined afterwards)', async () => {
    const d = new Deferred<string>();
    const awaited = (async () => await d)();
    // `await` calls `then` one microtask later; let it attach before firing.
    await new Promise((resolve) => setTimeout(resolve, 0));
    d.callback('later');
    expect(await awaited).toBe('later');
    expect(d.result).toBeUndefined();
  });

  it('A4: awaiting a Deferred waiting on another gives the eventual result', async () => {
    const inner = new Deferred<string>();
    const outer = succeed(null).addCallback(() => inner);
    const awaited = (async () => await outer)();
    inner.callback('chained');
    expect(await awaited).toBe('chained');
  });

  it('A4 (different): await resumes in a microtask even when the Deferred already fired; the chain itself stays synchronous', async () => {
    const order: string[] = [];
    const d = succeed(1);
    const awaiting = (async () => {
      await d;
      order.push('after await');
    })();
    d.addCallback(() => order.push('callback'));
    order.push('sync end');
    await awaiting;
    expect(order).toEqual(['callback', 'sync end', 'after await']);
  });

  it('A5: awaiting 50,000 fired Deferreds in a row works', async () => {
    let total = 0;
    for (let i = 0; i < 50_000; i++) total += await succeed(1);
    expect(total).toBe(50_000);
  });

  it('A6: asPromise resolves with the result, rejects with the wrapped error, and consumes the result', async () => {
    const d = new Deferred<number>();
    const p = d.asPromise();
    d.callback(5);
    expect(d.result).toBeUndefined();
    expect(await p).toBe(5);
    const error = new Error('no');
    const e = fail<number>(error);
    await expect(e.asPromise()).rejects.toBe(error);
    expect(e.result).toBeUndefined();
  });

  it('A7: fromPromise fires when the Promise settles, with the value or a Failure of the reason', async () => {
    const ok = Deferred.fromPromise(Promise.resolve('value'));
    expect(ok.called).toBe(false);
    expect(await ok).toBe('value');
    const error = new Error('rejected');
    const bad = Deferred.fromPromise(Promise.reject(error));
    let seen: unknown;
    bad.addErrback((f) => {
      seen = f.value;
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen).toBe(error);
  });

  it('A7 (different): cancelling a fromPromise Deferred fails it with CancelledError at once and ignores the late result', async () => {
    let resolve!: (v: string) => void;
    const d = Deferred.fromPromise(new Promise<string>((r) => (resolve = r)));
    let seen: unknown;
    d.addBoth((r) => {
      seen = r instanceof Failure ? r.value : r;
    });
    d.cancel();
    expect(seen).toBeInstanceOf(CancelledError);
    resolve('late');
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toBeInstanceOf(CancelledError);
  });

  it('A8: semaphore.run accepts an async function and releases when its Promise settles', async () => {
    const sem = new DeferredSemaphore(1);
    let release!: () => void;
    const first = sem.run(async () => {
      await new Promise<void>((r) => (release = r));
      return 'first';
    });
    const second = sem.run(async () => 'second');
    expect(second.called).toBe(false);
    release();
    expect(await first).toBe('first');
    expect(await second).toBe('second');
    expect(sem.tokens).toBe(1);
  });
});

describe('5. debug mode, in process', () => {
  it('U6/U7: in debug mode AlreadyCalledError names the creator and the first invoker, not the second', () => {
    setDebugging(true);
    try {
      expect(getDebugging()).toBe(true);
      const createdHere = () => new Deferred<number>();
      const firstInvoker = (d: Deferred<number>) => d.callback(1);
      const secondInvoker = (d: Deferred<number>) => d.callback(2);
      const d = createdHere();
      firstInvoker(d);
      let message = '';
      try {
        secondInvoker(d);
      } catch (error) {
        expect(error).toBeInstanceOf(AlreadyCalledError);
        message = (error as Error).message;
      }
      expect(message).toMatch(/^\n C: Deferred was created:\n C:.*createdHere/s);
      expect(message).toMatch(/ I: First Invoker was:\n I:.*firstInvoker/s);
      expect(message).not.toContain('secondInvoker');
    } finally {
      setDebugging(false);
    }
  });

  it('U6: debug can be set on one Deferred only', () => {
    const d = new Deferred<number>();
    d.debug = true;
    d.callback(1);
    expect(() => d.callback(2)).toThrow(/First Invoker was/);
    const plain = succeed(1);
    expect(() => plain.callback(2)).toThrow(AlreadyCalledError);
    expect(getDebugging()).toBe(false);
  });

  it('U9: switching debug on or off between creating and firing does not break anything', () => {
    const a = new Deferred<number>();
    setDebugging(true);
    const b = new Deferred<number>();
    a.callback(1);
    setDebugging(false);
    b.callback(2);
    expect([a.result, b.result]).toEqual([1, 2]);
    expect(() => b.callback(3)).toThrow(AlreadyCalledError);
  });
});
