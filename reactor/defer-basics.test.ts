/**
 * Deferred basics and pause/unpause: checklist sections 1 and 3 (see reactor/defer/README.md), one test
 * per numbered statement, named by its number. Everything here is synchronous: no awaits.
 */
import { describe, expect, it } from 'vitest';
import { AlreadyCalledError, Deferred, Failure, succeed } from './defer.ts';

describe('1. Deferred basics', () => {
  it('B1: a new Deferred is not called, not paused, and has no result property at all', () => {
    const d = new Deferred();
    expect(d.called).toBe(false);
    expect(d.paused).toBe(0);
    expect('result' in d).toBe(false);
  });

  it('B2: callback sets called and result and runs the chain before returning; errback likewise', () => {
    const seen: unknown[] = [];
    const d = new Deferred<string>();
    d.addCallback((r) => seen.push(r));
    d.callback('v');
    expect(d.called).toBe(true);
    expect(seen).toEqual(['v']);
    const e = new Deferred();
    const error = new Error('x');
    e.addErrback((f) => seen.push(f.value));
    e.errback(error);
    expect(e.called).toBe(true);
    expect(seen).toEqual(['v', error]);
  });

  it('B3: each link runs its callback half for a value and its errback half for a Failure, in order', () => {
    const order: string[] = [];
    const d = new Deferred<number>();
    d.addCallbacks(
      () => {
        order.push('cb1');
        throw new Error('boom');
      },
      () => order.push('eb1'),
    );
    d.addCallbacks(
      () => order.push('cb2'),
      () => {
        order.push('eb2');
        return 7;
      },
    );
    d.addCallbacks(
      (r) => order.push(`cb3:${r}`),
      () => order.push('eb3'),
    );
    d.callback(0);
    expect(order).toEqual(['cb1', 'eb2', 'cb3:7']);
  });

  it('B4: addCallback, addErrback, addBoth and addCallbacks all return the same Deferred; null args count as none', () => {
    const d = new Deferred<number>();
    expect(d.addCallback((r) => r)).toBe(d);
    expect(d.addErrback((f) => f)).toBe(d);
    expect(d.addBoth((r) => r)).toBe(d);
    const seen: unknown[][] = [];
    expect(d.addCallbacks((...args: unknown[]) => seen.push(args), null, null, null)).toBe(d);
    d.callback(1);
    expect(seen).toEqual([[1]]);
  });

  it('B4: addBoth runs the same function on either path; addErrback passes values by', () => {
    const seen: unknown[] = [];
    const d = new Deferred<number>();
    d.addErrback(() => seen.push('eb'));
    d.addBoth((r) => {
      seen.push(r);
      throw new Error('now failing');
    });
    d.addBoth((r) => seen.push(r instanceof Failure ? 'failure' : r));
    d.callback(3);
    expect(seen).toEqual([3, 'failure']);
  });

  it('B5: extra arguments come after the result, for callbacks, errbacks and addCallbacks', () => {
    const seen: unknown[][] = [];
    const d = new Deferred<number>();
    d.addCallback((r, a: number, b: string) => seen.push([r, a, b]), 1, 'b');
    d.callback(0);
    const e = new Deferred();
    e.addErrback((f, x: string) => seen.push([f.getErrorMessage(), x]), 'x');
    e.errback(new Error('oops'));
    const g = new Deferred<number>();
    g.addCallbacks((r, y: number) => seen.push([r, y]), null, [9]);
    g.callback(5);
    const h = new Deferred<number>();
    h.addCallbacks(
      () => 0,
      (f, z: string) => seen.push([f.getErrorMessage(), z]),
      null,
      ['z'],
    );
    h.errback(new Error('bad'));
    expect(seen).toEqual([
      [0, 1, 'b'],
      ['oops', 'x'],
      [5, 9],
      ['bad', 'z'],
    ]);
  });

  it('B6: results thread through the chain; a callback returning nothing passes undefined on', () => {
    const d = new Deferred<number>();
    d.addCallback((r) => r + 1).addCallback((r) => r * 2);
    d.callback(1);
    expect(d.result).toBe(4);
    const seen: unknown[] = [];
    const e = new Deferred<number>();
    e.addCallback(() => {}).addCallback((r) => seen.push(r));
    e.callback(1);
    expect(seen).toEqual([undefined]);
  });

  it('B7: a callback that throws, or returns a Failure, switches to the error path', () => {
    const seen: unknown[] = [];
    const error = new RangeError('thrown');
    const d = new Deferred<number>();
    d.addCallback(() => {
      throw error;
    });
    d.addCallback(() => seen.push('skipped'));
    d.addErrback((f) => seen.push(f.value));
    d.callback(1);
    const returned = new Failure(new Error('returned'));
    const e = new Deferred<number>();
    e.addCallback(() => returned);
    e.addCallback(() => seen.push('skipped'));
    e.addErrback((f) => seen.push(f));
    e.callback(1);
    expect(seen).toEqual([error, returned]);
  });

  it('B8: an errback that returns any non-Failure (even undefined) recovers', () => {
    const seen: unknown[] = [];
    const d = new Deferred<number>();
    d.addCallback(() => {
      throw new Error('x');
    })
      .addCallback(() => seen.push('X'))
      .addErrback(() => 'recovered')
      .addCallback((r) => seen.push(`Y:${r}`));
    d.callback(1);
    const e = new Deferred();
    e.addErrback(() => undefined).addCallback((r) => seen.push(r));
    e.errback(new Error('y'));
    expect(seen).toEqual(['Y:recovered', undefined]);
  });

  it('B9: an errback that rethrows keeps the error path with a new Failure of the same value', () => {
    const error = new TypeError('t');
    const failures: Failure[] = [];
    const d = new Deferred();
    d.addErrback((f) => {
      failures.push(f);
      f.trap(RangeError);
    });
    d.addErrback((f) => {
      failures.push(f);
      return f;
    });
    d.addErrback((f) => failures.push(f));
    d.errback(error);
    expect(failures).toHaveLength(3);
    expect(failures[1]).not.toBe(failures[0]);
    expect(failures[1]!.value).toBe(error);
    expect(failures[2]).toBe(failures[1]);
  });

  it('B10: the errback paired in addCallbacks does not see its own callback throw; a separate addErrback does', () => {
    const seen: string[] = [];
    const boom = () => {
      throw new Error('boom');
    };
    const paired = new Deferred<number>();
    paired.addCallbacks(boom, () => seen.push('paired eb'));
    paired.addErrback(() => seen.push('next eb'));
    paired.callback(1);
    const separate = new Deferred<number>();
    separate.addCallback(boom).addErrback(() => seen.push('separate eb'));
    separate.callback(1);
    expect(seen).toEqual(['next eb', 'separate eb']);
  });

  it('B11: callback(aFailure) takes the error path, like errback', () => {
    const seen: string[] = [];
    const d = new Deferred<number>();
    d.addCallbacks(
      () => seen.push('cb'),
      () => seen.push('eb'),
    );
    d.callback(new Failure(new Error('x')));
    expect(seen).toEqual(['eb']);
  });

  it('B12: firing twice in any combination throws AlreadyCalledError (no message) and keeps the first result', () => {
    const fire = (d: Deferred<number>, how: 'c' | 'e', v: number) =>
      how === 'c' ? d.callback(v) : d.errback(new Error(String(v)));
    for (const [first, second] of [
      ['c', 'c'],
      ['c', 'e'],
      ['e', 'c'],
      ['e', 'e'],
    ] as const) {
      const d = new Deferred<number>();
      fire(d, first, 1);
      const before = d.result;
      let thrown: unknown;
      try {
        fire(d, second, 2);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AlreadyCalledError);
      expect((thrown as Error).message).toBe('');
      expect(d.result).toBe(before);
      if (first === 'e') d.addErrback(() => {});
    }
  });

  it('B13: callback() on itself from inside its own chain becomes a Failure(AlreadyCalledError) on the chain', () => {
    const d = new Deferred<number>();
    let seen: unknown;
    d.addCallback(() => d.callback(2));
    d.addErrback((f) => {
      seen = f.value;
    });
    d.callback(1);
    expect(seen).toBeInstanceOf(AlreadyCalledError);
  });

  it('B14: a callback added after firing runs at once, and its return value becomes the result', () => {
    const d = succeed(1);
    const seen: number[] = [];
    d.addCallback((r) => {
      seen.push(r);
    });
    expect(seen).toEqual([1]);
    expect(d.result).toBeUndefined();
  });

  it('B15: a link added by a running callback runs after it in the same pass, never nested', () => {
    const out: string[] = [];
    const d = new Deferred<number>();
    d.addCallback(() => {
      d.addCallback(() => out.push('c3'));
      out.push('c1-end');
    });
    d.addCallback(() => out.push('c2'));
    d.callback(0);
    expect(out).toEqual(['c1-end', 'c2', 'c3']);
  });

  it('B16: every link runs at most once; with no links the result stays as it is', () => {
    let runs = 0;
    const d = new Deferred<number>();
    d.addCallback((r) => {
      runs++;
      return r;
    });
    d.callback(5);
    d.addCallback((r) => r);
    d.pause();
    d.unpause();
    expect(runs).toBe(1);
    const e = new Deferred<number>();
    e.callback(9);
    expect(e.result).toBe(9);
  });

  it('B17: a non-function link is accepted when added and fails with TypeError when it runs', () => {
    const d = new Deferred<number>();
    d.addCallback(42 as unknown as (r: number) => number);
    let seen: unknown;
    d.addErrback((f) => {
      seen = f.value;
    });
    d.callback(1);
    expect(seen).toBeInstanceOf(TypeError);
  });

  it('B18: callback(aDeferred) hands the Deferred object itself to the first callback', () => {
    const inner = new Deferred<number>();
    const d = new Deferred<Deferred<number>>();
    let seen: unknown;
    d.addCallback((r) => {
      seen = r;
    });
    d.callback(inner);
    expect(seen).toBe(inner);
  });

  it('B19: chainDeferred fires the other Deferred and leaves undefined behind; firing the other does not touch this one', () => {
    const d = new Deferred<string>();
    const d2 = new Deferred<string>();
    const seen: unknown[] = [];
    d2.addCallback((r) => seen.push(r));
    expect(d.chainDeferred(d2)).toBe(d);
    d.callback('x');
    expect(seen).toEqual(['x']);
    expect(d.result).toBeUndefined();
    const e = new Deferred<string>();
    const e2 = new Deferred<string>();
    e.chainDeferred(e2);
    e2.callback('other');
    expect(e.called).toBe(false);
  });

  it('B20: toString shows the state: unfired, current result, or waiting on another Deferred', () => {
    const d = new Deferred<string>();
    expect(String(d)).toBe('<Deferred>');
    d.callback('orange');
    expect(String(d)).toBe("<Deferred current result: 'orange'>");
    const outer = succeed(1);
    outer.addCallback(() => new Deferred());
    expect(String(outer)).toBe('<Deferred waiting on Deferred>');
  });
});

describe('3. pause / unpause', () => {
  it('P1/P2: a paused Deferred stores its result and runs links only on the matching last unpause', () => {
    const seen: number[] = [];
    const d = new Deferred<number>();
    d.pause();
    d.pause();
    d.addCallback((r) => seen.push(r));
    d.callback(5);
    expect(d.called).toBe(true);
    expect(seen).toEqual([]);
    d.unpause();
    expect(seen).toEqual([]);
    d.unpause();
    expect(seen).toEqual([5]);
  });

  it('P3: pause works the same on a failed Deferred', () => {
    const seen: unknown[] = [];
    const d = new Deferred();
    d.pause();
    d.addErrback((f) => seen.push(f.getErrorMessage()));
    d.errback(new Error('later'));
    expect(seen).toEqual([]);
    d.unpause();
    expect(seen).toEqual(['later']);
  });

  it('P4: pause() inside a running callback does not stop the links already queued, only later ones', () => {
    const out: string[] = [];
    const d = new Deferred<number>();
    d.addCallback(() => {
      d.pause();
      out.push('a');
    });
    d.addCallback(() => out.push('b'));
    d.callback(0);
    d.addCallback(() => out.push('c'));
    expect(out).toEqual(['a', 'b']);
    d.unpause();
    expect(out).toEqual(['a', 'b', 'c']);
  });

  it('P5: waiting on a returned Deferred uses the same counter', () => {
    const inner = new Deferred<number>();
    const outer = new Deferred<number>();
    outer.addCallback(() => inner);
    outer.callback(0);
    expect(outer.paused).toBe(1);
    inner.callback(1);
    expect(outer.paused).toBe(0);
  });

  it('P6: over-unpausing is a caller bug, but does not throw', () => {
    const d = new Deferred<number>();
    expect(() => d.unpause()).not.toThrow();
    expect(d.paused).toBe(-1);
    const outer = new Deferred<number>();
    outer.addCallback(() => new Deferred<number>());
    outer.callback(0);
    expect(() => outer.unpause()).not.toThrow();
  });

  it('P7: unpause before firing only moves the counter', () => {
    const seen: number[] = [];
    const d = new Deferred<number>();
    d.addCallback((r) => seen.push(r));
    d.pause();
    d.unpause();
    expect(seen).toEqual([]);
    expect(d.paused).toBe(0);
    d.callback(3);
    expect(seen).toEqual([3]);
  });
});
