/**
 * Failure (spec section 4) and cancellation (section 6). Each test names the statement it checks.
 */
import { describe, expect, it } from 'vitest';
import {
  AlreadyCalledError,
  CancelledError,
  Deferred,
  Failure,
  fail,
  NoCurrentExceptionError,
  succeed,
} from './defer.ts';

class BaseError extends Error {}
class SubError extends BaseError {}

describe('4. Failure', () => {
  it('F1: a Failure needs something to wrap: with no argument it throws NoCurrentExceptionError', () => {
    expect(() => new Failure()).toThrow(NoCurrentExceptionError);
  });

  it('F2: Failure(error) keeps the error, its class, and where it came from', () => {
    const error = new SubError('m');
    const f = new Failure(error);
    expect(f.value).toBe(error);
    expect(f.type).toBe(SubError);
    expect(f.stack).toBe(error.stack);
  });

  it('F3: any thrown value can be wrapped: a string, a number, undefined', () => {
    const s = new Failure('a string');
    expect(s.value).toBe('a string');
    expect(s.type).toBe(String);
    expect(new Failure(42).type).toBe(Number);
    const u = new Failure(undefined);
    expect(u.value).toBeUndefined();
    expect(u.type).toBeUndefined();
    expect(u.getErrorMessage()).toBe('undefined');
  });

  it('F4: Failure(otherFailure) copies it: same value, same type, same stack', () => {
    const original = new Failure(new SubError('x'));
    const copy = new Failure(original);
    expect(copy.value).toBe(original.value);
    expect(copy.type).toBe(original.type);
    expect(copy.stack).toBe(original.stack);
  });

  it('F5: check returns the first argument that matches, by class (with subclassing) or by class name', () => {
    const f = new Failure(new SubError('x'));
    expect(f.check(RangeError, BaseError)).toBe(BaseError);
    expect(f.check(Error)).toBe(Error);
    expect(f.check('BaseError')).toBe('BaseError');
    expect(f.check(RangeError, 'TypeError')).toBeUndefined();
    expect(f.parents.slice(0, 3)).toEqual(['SubError', 'BaseError', 'Error']);
  });

  it('F6: trap returns the match, or rethrows the wrapped value itself (not the Failure)', () => {
    const error = new SubError('x');
    const f = new Failure(error);
    expect(f.trap(BaseError)).toBe(BaseError);
    let thrown: unknown;
    try {
      f.trap(RangeError);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(error);
  });

  it('F7: getErrorMessage is the message, delegates to a wrapped Failure, and survives a throwing toString', () => {
    expect(new Failure(new SubError('msg')).getErrorMessage()).toBe('msg');
    expect(new Failure(new Failure(new Error('inner'))).getErrorMessage()).toBe('inner');
    const hostile = {
      toString() {
        throw new Error('no');
      },
    };
    expect(() => new Failure(hostile).getErrorMessage()).not.toThrow();
  });

  it('F8: raiseException throws the wrapped value; value, type, stack and parents are public', () => {
    const error = new RangeError('r');
    expect(() => new Failure(error).raiseException()).toThrow(error);
  });

  it('F9: toString and getTraceback describe the failure', () => {
    const f = new Failure(new SubError('boom'));
    expect(String(f)).toBe('[Failure instance: SubError: boom]');
    expect(f.getTraceback().startsWith('Traceback (most recent call last):\n')).toBe(true);
    expect(f.getTraceback()).toContain('boom');
  });

  it('F10: errback() with nothing throws and leaves the Deferred unfired; a Failure is used as is; anything else is wrapped', () => {
    const d = new Deferred();
    expect(() => (d.errback as () => void)()).toThrow(NoCurrentExceptionError);
    expect(d.called).toBe(false);
    const f = new Failure(new Error('x'));
    const seen: unknown[] = [];
    const e = new Deferred();
    e.addErrback((g) => seen.push(g));
    e.errback(f);
    const s = new Deferred();
    s.addErrback((g) => seen.push([g.type, g.value]));
    s.errback('a string');
    expect(seen).toEqual([f, [String, 'a string']]);
  });

  it('F11: fail(x) is a Deferred errbacked with x, with the same rules', () => {
    const seen: unknown[] = [];
    fail('text').addErrback((f) => seen.push(f.value));
    expect(seen).toEqual(['text']);
    expect(() => (fail as () => Deferred)()).toThrow(NoCurrentExceptionError);
  });

  it('F12: a callback that throws gives a Failure built from the thrown value, stack included', () => {
    const d = new Deferred<number>();
    let f: Failure | undefined;
    d.addCallback(() => {
      throw new RangeError('deep');
    });
    d.addErrback((failure) => {
      f = failure;
    });
    d.callback(0);
    expect(f?.check(RangeError)).toBe(RangeError);
    expect(f?.stack).toContain('deep');
  });
});

describe('6. cancellation', () => {
  it('X1: cancel() without a canceller errbacks with CancelledError at once', () => {
    const d = new Deferred();
    let seen: unknown;
    d.addErrback((f) => {
      seen = f.value;
    });
    d.cancel();
    expect(seen).toBeInstanceOf(CancelledError);
  });

  it('X2: a canceller runs once with the Deferred; if it does not fire it, CancelledError follows', () => {
    const calls: unknown[] = [];
    const d: Deferred = new Deferred((x) => calls.push(x));
    let seen: unknown;
    d.addErrback((f) => {
      seen = f.value;
    });
    d.cancel();
    d.cancel();
    expect(calls).toEqual([d]);
    expect(seen).toBeInstanceOf(CancelledError);
  });

  it('X2: a canceller that fires the Deferred itself decides the result', () => {
    const byCallback = new Deferred<string>((d) => d.callback('from canceller'));
    byCallback.cancel();
    expect(byCallback.result).toBe('from canceller');
    const byErrback = new Deferred<string>((d) => d.errback(new RangeError('own')));
    const seen: unknown[] = [];
    byErrback.addErrback((f) => seen.push(f.type));
    byErrback.cancel();
    expect(seen).toEqual([RangeError]);
  });

  it('X3: cancelling a fired Deferred does nothing: no canceller, result unchanged', () => {
    let cancellerRuns = 0;
    const d = new Deferred<string>(() => cancellerRuns++);
    d.callback('kept');
    d.cancel();
    expect(cancellerRuns).toBe(0);
    expect(d.result).toBe('kept');
  });

  it('X4: cancelling a fired Deferred waiting on an inner one cancels the inner one, whose failure reaches the outer', () => {
    let cancellerRuns = 0;
    const b = new Deferred<string>(() => cancellerRuns++);
    const a = new Deferred<null>();
    a.callback(null);
    a.addCallback(() => b);
    let seen: unknown;
    a.addErrback((f) => {
      seen = f.value;
    });
    a.cancel();
    expect(cancellerRuns).toBe(1);
    expect(seen).toBeInstanceOf(CancelledError);
  });

  it('X5: a canceller is not run after the Deferred fired (it is dropped)', () => {
    let cancellerRuns = 0;
    const d = new Deferred<number>(() => cancellerRuns++);
    d.errback(new Error('x'));
    d.addErrback(() => {});
    d.cancel();
    expect(cancellerRuns).toBe(0);
  });

  it('X6: without a canceller, exactly one late callback or errback is swallowed; the next one throws', () => {
    const d = new Deferred<number>();
    d.addErrback(() => 'cancelled');
    d.cancel();
    d.cancel();
    expect(() => d.callback(1)).not.toThrow();
    expect(d.result).toBe('cancelled');
    expect(() => d.errback(new Error('late'))).toThrow(AlreadyCalledError);
    const e = new Deferred<number>();
    e.addErrback(() => {});
    e.cancel();
    expect(() => e.errback(new Error('late'))).not.toThrow();
  });

  it('X6: with a canceller, even one that does nothing, a late callback throws AlreadyCalledError', () => {
    const d = new Deferred<number>(() => {});
    d.addErrback(() => {});
    d.cancel();
    expect(() => d.callback(1)).toThrow(AlreadyCalledError);
  });

  it('X6: when cancellation is forwarded to an inner Deferred without a canceller, the inner swallows the late call', () => {
    const inner = new Deferred<string>();
    const outer = succeed(null);
    outer.addCallback(() => inner).addErrback(() => 'outer handled');
    outer.cancel();
    expect(outer.result).toBe('outer handled');
    expect(() => inner.callback('late')).not.toThrow();
    expect(() => inner.callback('later')).toThrow(AlreadyCalledError);
  });

  it('X7: a canceller that fires later hits AlreadyCalledError then', () => {
    let later: (() => void) | undefined;
    const d = new Deferred<string>((self) => {
      later = () => self.callback('too late');
    });
    d.addErrback(() => {});
    d.cancel();
    expect(later).toThrow(AlreadyCalledError);
  });

  it('X8: a canceller that throws makes cancel() throw, and the Deferred stays unfired', () => {
    const d = new Deferred(() => {
      throw new RangeError('canceller broke');
    });
    expect(() => d.cancel()).toThrow(RangeError);
    expect(d.called).toBe(false);
  });

  it('X9: cancelling a user-paused unfired Deferred fires it, but its errbacks wait for unpause', () => {
    const seen: unknown[] = [];
    const d = new Deferred();
    d.pause();
    d.addErrback((f) => seen.push(f.type));
    d.cancel();
    expect(d.called).toBe(true);
    expect(seen).toEqual([]);
    d.unpause();
    expect(seen).toEqual([CancelledError]);
  });

  it('X10: cancel() from inside its own callback does nothing', () => {
    const d = new Deferred<number>();
    const seen: unknown[] = [];
    d.addCallback((r) => {
      d.cancel();
      return r + 1;
    });
    d.addBoth((r) => seen.push(r));
    d.callback(1);
    expect(seen).toEqual([2]);
  });
});
