/**
 * Chaining (a callback returns a Deferred) and the trampoline: spec section 2. Depth tests use
 * 100,000 levels, far past what recursion could survive on Node's default stack.
 */
import { describe, expect, it } from 'vitest';
import { AlreadyCalledError, Deferred, type Failure, fail, succeed } from './defer.ts';

describe('2. chaining and the trampoline', () => {
  it('C1: returning an unfired Deferred suspends the outer chain: paused, and its result is the inner Deferred', () => {
    const inner = new Deferred<string>();
    const outer = new Deferred<number>();
    const seen: unknown[] = [];
    outer.addCallback(() => inner).addCallback((r) => seen.push(r));
    outer.callback(1);
    expect(outer.paused).toBe(1);
    expect(outer.result).toBe(inner);
    expect(seen).toEqual([]);
  });

  it('C2: when the inner fires, the outer continues with its result and the inner is left holding undefined', () => {
    const inner = new Deferred<string>();
    const outer = new Deferred<number>();
    const seen: unknown[] = [];
    outer.addCallback(() => inner).addCallback((r) => seen.push(r));
    outer.callback(1);
    inner.callback('V');
    expect(seen).toEqual(['V']);
    expect(inner.result).toBeUndefined();
    expect(outer.paused).toBe(0);
  });

  it('C2: an inner failure continues the outer on its error path', () => {
    const inner = new Deferred<string>();
    const outer = new Deferred<number>();
    const seen: unknown[] = [];
    outer
      .addCallback(() => inner)
      .addCallback(() => seen.push('cb'))
      .addErrback((f) => seen.push(f.getErrorMessage()));
    outer.callback(1);
    inner.errback(new Error('inner failed'));
    expect(seen).toEqual(['inner failed']);
  });

  it('C3: an already-fired returned Deferred hands its result over in the same pass', () => {
    const inner = succeed('now');
    const outer = new Deferred<number>();
    const seen: unknown[] = [];
    outer.addCallback(() => inner).addCallback((r) => seen.push(r));
    outer.callback(1);
    expect(seen).toEqual(['now']);
    expect(outer.paused).toBe(0);
    expect(inner.result).toBeUndefined();
  });

  it('C4: a returned Deferred that has fired but is paused is waited on like an unfired one', () => {
    const inner = succeed('held');
    inner.pause();
    const outer = new Deferred<number>();
    const seen: unknown[] = [];
    outer.addCallback(() => inner).addCallback((r) => seen.push(r));
    outer.callback(1);
    expect(seen).toEqual([]);
    expect(outer.paused).toBe(1);
    inner.unpause();
    expect(seen).toEqual(['held']);
  });

  it('C5: links added to the inner before it was returned run first; links added after run after the outer and get undefined', () => {
    const out: string[] = [];
    const inner = new Deferred<string>();
    inner.addCallback((r) => `${r}+early`);
    const outer = new Deferred<null>();
    outer.addCallback(() => inner);
    outer.addCallback((r) => out.push(`A(${r})`));
    outer.callback(null);
    inner.addCallback((r) => out.push(`B(${r})`));
    inner.callback('V');
    expect(out).toEqual(['A(V+early)', 'B(undefined)']);
  });

  it('C6: a failure handed to the outer is cleared from the inner', () => {
    const inner = new Deferred();
    const outer = new Deferred<null>();
    outer.addCallback(() => inner).addErrback(() => 'handled');
    outer.callback(null);
    inner.errback(new Error('x'));
    expect(inner.result).toBeUndefined();
    expect(outer.result).toBe('handled');
  });

  it('C7: chaining is transitive: firing the first runs the second and then the third, synchronously', () => {
    const out: string[] = [];
    const first = new Deferred<string>();
    const second = new Deferred<null>();
    const third = new Deferred<null>();
    second.addCallback(() => first).addCallback((r) => out.push(`second:${r}`));
    third.addCallback(() => second).addCallback(() => out.push('third'));
    second.callback(null);
    third.callback(null);
    first.callback('x');
    expect(out).toEqual(['second:x', 'third']);
  });

  it('C8: an errback may return a Deferred, chained the same way', () => {
    const inner = new Deferred<string>();
    const outer = new Deferred<number>();
    const seen: unknown[] = [];
    outer.addErrback(() => inner).addCallback((r) => seen.push(r));
    outer.errback(new Error('x'));
    expect(outer.paused).toBe(1);
    inner.callback('recovered later');
    expect(seen).toEqual(['recovered later']);
  });

  it('C9: 100,000 Deferreds each waiting on the next propagate without growing the stack', () => {
    const first = new Deferred<number>();
    let last: Deferred<number> = first;
    for (let i = 0; i < 100_000; i++) {
      const waitingOn = last;
      const next = new Deferred<number>();
      next.addCallback(() => waitingOn);
      next.callback(0);
      last = next;
    }
    let seen: unknown;
    last.addCallback((r) => {
      seen = r;
    });
    first.callback(42);
    expect(seen).toBe(42);
  });

  it('C9: 100,000 callbacks each returning succeed(...) do not grow the stack', () => {
    const d = new Deferred<number>();
    for (let i = 0; i < 100_000; i++) d.addCallback((r) => succeed(r + 1));
    d.callback(0);
    expect(d.result).toBe(100_000);
  });

  it('C9: the final callback runs at the same stack depth for a chain of 1 and of 10,000', () => {
    const depthOfFinalCallback = (length: number): number => {
      const first = new Deferred<number>();
      let last: Deferred<number> = first;
      for (let i = 0; i < length; i++) {
        const waitingOn = last;
        const next = new Deferred<number>();
        next.addCallback(() => waitingOn);
        next.callback(0);
        last = next;
      }
      let depth = 0;
      last.addCallback(() => {
        depth = (new Error().stack ?? '').split('\n').length;
      });
      first.callback(1);
      return depth;
    };
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = Number.POSITIVE_INFINITY;
    try {
      expect(depthOfFinalCallback(10_000)).toBe(depthOfFinalCallback(1));
    } finally {
      Error.stackTraceLimit = limit;
    }
  });

  it('C10: the outer finishes its links before the inner continues with its own later links', () => {
    const out: string[] = [];
    const inner = new Deferred<string>();
    const outer = new Deferred<null>();
    outer
      .addCallback(() => inner)
      .addCallback(() => out.push('outer-1'))
      .addCallback(() => out.push('outer-2'));
    outer.callback(null);
    inner.addCallback(() => out.push('inner-late'));
    inner.callback('v');
    expect(out).toEqual(['outer-1', 'outer-2', 'inner-late']);
  });

  it('C11 (improved): 100,000 chainDeferred levels fire the tail without recursing', () => {
    const head = new Deferred<string>();
    let tail = head;
    for (let i = 0; i < 100_000; i++) {
      const next = new Deferred<string>();
      tail.chainDeferred(next);
      tail = next;
    }
    let seen: unknown;
    tail.addCallback((r) => {
      seen = r;
    });
    head.callback('through');
    expect(seen).toBe('through');
  });

  it('C11: chainDeferred into a Deferred that already fired fails this chain with AlreadyCalledError', () => {
    const d = new Deferred<number>();
    const other = succeed(1);
    d.chainDeferred(other);
    let seen: unknown;
    d.addErrback((f) => {
      seen = f.value;
    });
    d.callback(2);
    expect(seen).toBeInstanceOf(AlreadyCalledError);
    expect(other.result).toBe(1);
  });

  it('C12 (different): a callback returning its own Deferred fails the chain with TypeError instead of deadlocking', () => {
    const d = new Deferred<number>();
    let seen: unknown;
    d.addCallback(() => d);
    d.addErrback((f) => {
      seen = f.value;
    });
    d.callback(1);
    expect(seen).toBeInstanceOf(TypeError);
    expect(d.paused).toBe(0);
  });

  it('C13: the record of what a Deferred waits on is cleared once the chain resolves', () => {
    const inner = new Deferred<number>();
    const outer = new Deferred<null>();
    outer.addCallback(() => inner);
    outer.callback(null);
    expect(String(outer)).toBe('<Deferred waiting on Deferred>');
    inner.callback(3);
    expect(String(outer)).toBe('<Deferred current result: 3>');
  });

  it('C14 (same as Twisted): if the outer is also user-paused at hand-off, the inner’s later links wait until the inner is triggered again', () => {
    const out: string[] = [];
    const inner = new Deferred<string>();
    const outer = new Deferred<null>();
    outer.addCallback(() => inner).addCallback((r) => out.push(`outer(${r})`));
    outer.callback(null);
    outer.pause();
    inner.addCallback(() => out.push('inner-late'));
    inner.callback('V');
    expect(out).toEqual([]);
    outer.unpause();
    expect(out).toEqual(['outer(V)']);
    inner.addCallback(() => out.push('inner-trigger'));
    expect(out).toEqual(['outer(V)', 'inner-late', 'inner-trigger']);
  });

  it('C2/C3: a failed returned Deferred that already fired is taken over on the error path', () => {
    const outer = new Deferred<null>();
    const inner = fail(new Error('early'));
    const seen: unknown[] = [];
    outer.addCallback(() => inner).addErrback((f: Failure) => seen.push(f.getErrorMessage()));
    outer.callback(null);
    expect(seen).toEqual(['early']);
    expect(inner.result).toBeUndefined();
  });
});
