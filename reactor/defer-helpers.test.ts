/**
 * Helpers, lists, lock/semaphore/queue, addTimeout and deferLater: spec section 7. Timers run on
 * the reactor's test `Clock`, the same scheduler the real reactor uses.
 */
import { describe, expect, it } from 'vitest';
import { Clock } from './clock.ts';
import {
  CancelledError,
  Deferred,
  DeferredList,
  DeferredLock,
  DeferredQueue,
  DeferredSemaphore,
  deferLater,
  execute,
  Failure,
  FailureGroup,
  FirstError,
  fail,
  gatherResults,
  type ListEntry,
  maybeDeferred,
  QueueOverflow,
  QueueUnderflow,
  race,
  succeed,
  TimeoutError,
} from './defer.ts';

/** The outcome a Deferred holds now, as a short description (and handles a failure). */
function outcome(d: Deferred<unknown>): unknown {
  let seen: unknown = 'pending';
  d.addCallbacks(
    (r) => {
      seen = r;
      return r;
    },
    (f) => {
      seen = f.value;
      return undefined;
    },
  );
  return seen;
}

describe('7a. succeed, fail, execute, maybeDeferred', () => {
  it('H1: succeed(v) is a fired Deferred holding v', () => {
    const d = succeed('v');
    expect(d.called).toBe(true);
    expect(d.result).toBe('v');
    expect(d.paused).toBe(0);
  });

  it('H2: fail(e) is a Deferred errbacked with e', () => {
    const error = new Error('e');
    expect(outcome(fail(error))).toBe(error);
  });

  it('H3: execute calls now; a throw fails, a returned Deferred is the raw result', () => {
    const inner = new Deferred();
    expect(execute(() => inner).result).toBe(inner);
    const error = new RangeError('r');
    expect(
      outcome(
        execute(() => {
          throw error;
        }),
      ),
    ).toBe(error);
    expect(execute((a: number, b: number) => a + b, 1, 2).result).toBe(3);
  });

  it('H4: maybeDeferred: throw → failed; Deferred → same object; Failure → that Failure; Promise → followed; value → fired', async () => {
    const error = new Error('x');
    expect(
      outcome(
        maybeDeferred(() => {
          throw error;
        }),
      ),
    ).toBe(error);
    const d = new Deferred<number>();
    expect(maybeDeferred(() => d)).toBe(d);
    const f = new Failure(new Error('f'));
    let seen: unknown;
    maybeDeferred(() => f).addErrback((g) => {
      seen = g;
    });
    expect(seen).toBe(f);
    expect(maybeDeferred((a: number) => a * 2, 21).result).toBe(42);
    const fromPromise = maybeDeferred(async () => 'later');
    expect(fromPromise.called).toBe(false);
    expect(await fromPromise).toBe('later');
  });
});

describe('7b. DeferredList, gatherResults, race', () => {
  it('L1: a DeferredList is a Deferred; links added to an input before the list change what it sees', () => {
    const a = new Deferred<number>();
    a.addCallback((r) => r * 10);
    const list = new DeferredList([a]);
    expect(list).toBeInstanceOf(Deferred);
    a.callback(1);
    expect(list.result).toEqual([[true, 10]]);
  });

  it('L2: results are [success, result] in input order, whatever order the inputs fired in', () => {
    const [a, b, c] = [new Deferred<string>(), new Deferred<string>(), new Deferred<string>()];
    const list = new DeferredList([a, b, c], { consumeErrors: true });
    c.callback('c');
    a.callback('a');
    const error = new Error('b');
    b.errback(error);
    const entries = list.result as ListEntry<string>[];
    expect(entries.map((e) => e[0])).toEqual([true, false, true]);
    expect(entries[0]![1]).toBe('a');
    expect((entries[1]![1] as Failure).value).toBe(error);
    expect(entries[2]![1]).toBe('c');
  });

  it('L3: an empty list fires at once with []; with fireOnOneCallback it never fires', () => {
    expect(new DeferredList([]).result).toEqual([]);
    expect(new DeferredList([], { fireOnOneCallback: true }).called).toBe(false);
  });

  it('L4: inputs already fired are taken during construction, so the list can fire before the constructor returns', () => {
    expect(new DeferredList([succeed(1), succeed(2)]).result).toEqual([
      [true, 1],
      [true, 2],
    ]);
    const list = new DeferredList([fail(new Error('early'))], { fireOnOneErrback: true, consumeErrors: true });
    expect(outcome(list)).toBeInstanceOf(FirstError);
  });

  it('L5: consumeErrors turns a failed input’s result into undefined; without it the failure passes through', () => {
    const consumed = new Deferred();
    new DeferredList([consumed], { consumeErrors: true });
    consumed.errback(new Error('x'));
    expect(consumed.result).toBeUndefined();
    const kept = new Deferred();
    new DeferredList([kept]);
    kept.errback(new Error('y'));
    expect(kept.result).toBeInstanceOf(Failure);
    kept.addErrback(() => {});
  });

  it('L6: fireOnOneCallback fires [result, index] on the first success; later results still recorded', () => {
    const [a, b] = [new Deferred<string>(), new Deferred<string>()];
    const list = new DeferredList<string, [string, number]>([a, b], { fireOnOneCallback: true });
    b.callback('b');
    expect(list.result).toEqual(['b', 1]);
    a.callback('a');
    expect(list.resultList[0]).toEqual([true, 'a']);
    expect(a.result).toBe('a');
  });

  it('L6: fireOnOneCallback with every input failing fires the ordinary list', () => {
    const list = new DeferredList([fail(new Error('1')), fail(new Error('2'))], {
      fireOnOneCallback: true,
      consumeErrors: true,
    });
    expect((list.result as unknown[]).length).toBe(2);
  });

  it('L7: fireOnOneErrback errbacks with FirstError(failure, index) on the first failure', () => {
    const [a, b] = [new Deferred<string>(), new Deferred<string>()];
    const list = new DeferredList([a, b], { fireOnOneErrback: true, consumeErrors: true });
    const error = new RangeError('kb');
    b.errback(error);
    const first = outcome(list) as FirstError;
    expect(first).toBeInstanceOf(FirstError);
    expect(first.index).toBe(1);
    expect(first.subFailure.value).toBe(error);
    expect(first.message).toContain('#1');
  });

  it('L8: cancelling an unfired list cancels each original input; a throwing canceller does not escape; a fired list ignores cancel', () => {
    const cancelled: string[] = [];
    const inputs = [
      new Deferred<string>(() => cancelled.push('a')),
      new Deferred<string>(() => {
        cancelled.push('b');
        throw new Error('broken canceller');
      }),
    ];
    const list = new DeferredList(inputs, { consumeErrors: true });
    inputs.push(new Deferred<string>(() => cancelled.push('late')));
    const original = console.error;
    console.error = () => {};
    try {
      list.cancel();
    } finally {
      console.error = original;
    }
    expect(cancelled).toEqual(['a', 'b']);
    expect(list.called).toBe(false);
    inputs[1]!.errback(new Error('eventually'));
    expect(list.called).toBe(true);
    const winner = new Deferred<string>(() => cancelled.push('after'));
    const fired = new DeferredList<string, [string, number]>([succeed('x'), winner], { fireOnOneCallback: true });
    fired.cancel();
    expect(cancelled).not.toContain('after');
  });

  it('L8: inputs whose cancellers call back let the list fire normally', () => {
    const list = new DeferredList([new Deferred<string>((d) => d.callback('v'))]);
    list.cancel();
    expect(list.result).toEqual([[true, 'v']]);
  });

  it('L9: gatherResults gives the plain values in order; [] for none; the first failure as FirstError', () => {
    const [a, b] = [new Deferred<number>(), new Deferred<number>()];
    const gathered = gatherResults([a, b]);
    b.callback(2);
    a.callback(1);
    expect(gathered.result).toEqual([1, 2]);
    expect(gatherResults([]).result).toEqual([]);
    const failing = gatherResults([new Deferred<number>(), fail<number>(new Error('x'))], { consumeErrors: true });
    expect((outcome(failing) as FirstError).index).toBe(1);
  });

  it('L9: cancelling gatherResults cancels the inputs and fails with FirstError of CancelledError', () => {
    const gathered = gatherResults([new Deferred<number>(), new Deferred<number>()], { consumeErrors: true });
    gathered.cancel();
    const first = outcome(gathered) as FirstError;
    expect(first.index).toBe(0);
    expect(first.subFailure.check(CancelledError)).toBe(CancelledError);
  });

  it('L10: race fires [index, result] of the first success and cancels the others, not the winner', () => {
    const cancelled: number[] = [];
    const inputs = [0, 1, 2].map((i) => new Deferred<string>(() => cancelled.push(i)));
    const raced = race(inputs);
    inputs[1]!.callback('one');
    expect(raced.result).toEqual([1, 'one']);
    expect(cancelled).toEqual([0, 2]);
  });

  it('L10: race of all failures gives FailureGroup in input order; empty never fires; cancelling cancels all', () => {
    const [a, b] = [new Deferred<string>(), new Deferred<string>()];
    const raced = race([a, b]);
    b.errback(new Error('b'));
    a.errback(new Error('a'));
    const group = outcome(raced) as FailureGroup;
    expect(group.failures.map((f) => f.getErrorMessage())).toEqual(['a', 'b']);
    expect(race([]).called).toBe(false);
    const c = race([new Deferred<string>(), new Deferred<string>()]);
    c.cancel();
    expect(outcome(c)).toBeInstanceOf(FailureGroup);
  });
});

describe('7c. DeferredLock, DeferredSemaphore, DeferredQueue', () => {
  it('S1/S2: a free lock fires with itself at once; release hands it to the next waiter synchronously, FIFO', () => {
    const lock = new DeferredLock();
    const first = lock.acquire();
    expect(first.result).toBe(lock);
    const order: string[] = [];
    lock.acquire().addCallback(() => order.push('second'));
    lock.acquire().addCallback(() => order.push('third'));
    lock.release();
    expect(order).toEqual(['second']);
    expect(lock.locked).toBe(true);
    lock.release();
    lock.release();
    expect(order).toEqual(['second', 'third']);
    expect(lock.locked).toBe(false);
    expect(() => lock.release()).toThrow('Tried to release an unlocked lock');
  });

  it('S3: a semaphore needs tokens >= 1, counts tokens, and refuses too many releases', () => {
    expect(() => new DeferredSemaphore(0)).toThrow('DeferredSemaphore requires tokens >= 1');
    const sem = new DeferredSemaphore(2);
    expect(sem.acquire().result).toBe(sem);
    sem.acquire();
    expect(sem.tokens).toBe(0);
    const waiting = sem.acquire();
    expect(waiting.called).toBe(false);
    sem.release();
    expect(waiting.result).toBe(sem);
    expect(sem.tokens).toBe(0);
    sem.release();
    sem.release();
    expect(() => sem.release()).toThrow('Someone released me too many times: too many tokens!');
  });

  it('S4: run starts at once when free, releases only when the returned Deferred fires, passes failures, runs queued work FIFO', () => {
    const sem = new DeferredSemaphore(1);
    const order: string[] = [];
    const work = new Deferred<string>();
    const first = sem.run(() => {
      order.push('first starts');
      return work;
    });
    expect(order).toEqual(['first starts']);
    const second = sem.run((tag: string) => {
      order.push(`${tag} starts`);
      throw new RangeError('second fails');
    }, 'second');
    const third = sem.run(() => order.push('third starts'));
    expect(order).toEqual(['first starts']);
    work.callback('done');
    expect(first.result).toBe('done');
    expect(order).toEqual(['first starts', 'second starts', 'third starts']);
    expect(outcome(second)).toBeInstanceOf(RangeError);
    expect(third.called).toBe(true);
    expect(sem.tokens).toBe(1);
    const lock = new DeferredLock();
    expect(lock.run((x: number) => x + 1, 1).result).toBe(2);
    expect(lock.locked).toBe(false);
  });

  it('S5: cancelling a waiting acquire leaves the line with CancelledError; cancelling a held one keeps the token', () => {
    const sem = new DeferredSemaphore(1);
    const held = sem.acquire();
    const waiting = sem.acquire();
    const next = sem.acquire();
    waiting.cancel();
    expect(outcome(waiting)).toBeInstanceOf(CancelledError);
    held.cancel();
    expect(sem.tokens).toBe(0);
    sem.release();
    expect(next.result).toBe(sem);
    const lock = new DeferredLock();
    const acquired = lock.acquire();
    acquired.cancel();
    expect(lock.locked).toBe(true);
  });

  it('S6 (JS shape): acquire/release around work releases even when the work throws', () => {
    const lock = new DeferredLock();
    const d = lock.run(() => {
      throw new Error('inside');
    });
    expect(outcome(d)).toBeInstanceOf(Error);
    expect(lock.locked).toBe(false);
  });

  it('S7: put feeds waiting getters first, keeps items up to size, overflows past it; get underflows past backlog', () => {
    const queue = new DeferredQueue<string>({ size: 1, backlog: 1 });
    const getter = queue.get();
    expect(() => queue.get()).toThrow(QueueUnderflow);
    queue.put('a');
    expect(getter.result).toBe('a');
    queue.put('b');
    expect(() => queue.put('c')).toThrow(QueueOverflow);
    expect(queue.get().result).toBe('b');
    expect(() => new DeferredQueue({ size: 0 }).put(1)).toThrow(QueueOverflow);
    expect(() => new DeferredQueue({ backlog: 0 }).get()).toThrow(QueueUnderflow);
  });

  it('S7: a cancelled get leaves the waiting line, so a later put is kept', () => {
    const queue = new DeferredQueue<string>();
    const getter = queue.get();
    getter.cancel();
    expect(outcome(getter)).toBeInstanceOf(CancelledError);
    queue.put('kept');
    expect(queue.pending).toEqual(['kept']);
  });
});

describe('7d. addTimeout', () => {
  it('T1: addTimeout returns the same Deferred and schedules one call on the clock', () => {
    const clock = new Clock();
    const d = new Deferred();
    expect(d.addTimeout(5, clock)).toBe(d);
    expect(clock.getDelayedCalls()).toHaveLength(1);
    expect(clock.getDelayedCalls()[0]!.getTime()).toBe(5);
    d.callback(1);
  });

  it('T2/T3: links before the timeout see CancelledError; after it, TimeoutError(5, "Deferred")', () => {
    const clock = new Clock();
    const seen: unknown[] = [];
    const d = new Deferred();
    d.addErrback((f) => {
      seen.push(['before', f.type]);
      return f;
    });
    d.addTimeout(5, clock);
    d.addErrback((f) =>
      seen.push(['after', f.type, (f.value as TimeoutError).timeout, (f.value as TimeoutError).what]),
    );
    clock.advance(4.9);
    expect(seen).toEqual([]);
    clock.advance(0.1);
    expect(seen).toEqual([
      ['before', CancelledError],
      ['after', TimeoutError, 5, 'Deferred'],
    ]);
  });

  it('T3: after a timeout, a canceller’s own failure or value passes through unchanged', () => {
    const clock = new Clock();
    const own = new Deferred<string>((d) => d.errback(new RangeError('own')));
    own.addTimeout(1, clock);
    const value = new Deferred<string>((d) => d.callback('from canceller'));
    value.addTimeout(1, clock);
    clock.advance(1);
    expect(outcome(own)).toBeInstanceOf(RangeError);
    expect(value.result).toBe('from canceller');
  });

  it('T4: onTimeoutCancel runs only after a timeout, gets the result then, and its return replaces it', () => {
    const clock = new Clock();
    const calls: unknown[] = [];
    const d = new Deferred<string>();
    d.addErrback(() => 'recovered before');
    d.addTimeout(2, clock, (result, seconds) => {
      calls.push([result, seconds]);
      return 'custom';
    });
    clock.advance(2);
    expect(calls).toEqual([['recovered before', 2]]);
    expect(d.result).toBe('custom');
    const quick = new Deferred<string>();
    quick.addTimeout(2, clock, () => 'never');
    quick.callback('fine');
    expect(quick.result).toBe('fine');
  });

  it('T5: a manual cancel before the timeout gives CancelledError, not TimeoutError', () => {
    const clock = new Clock();
    let custom = 0;
    const d = new Deferred();
    d.addTimeout(5, clock, () => custom++);
    d.cancel();
    expect(outcome(d)).toBeInstanceOf(CancelledError);
    expect(custom).toBe(0);
    expect(clock.getDelayedCalls()).toEqual([]);
  });

  it('T6: firing before the timeout cancels the timer, and a Deferred returned later is never cancelled by it', () => {
    const clock = new Clock();
    const d = new Deferred<string>();
    d.addTimeout(5, clock);
    d.callback('early');
    expect(clock.getDelayedCalls()).toEqual([]);
    const later = new Deferred<string>();
    d.addCallback(() => later);
    clock.advance(10);
    expect(later.called).toBe(false);
    later.callback('fine');
    expect(d.result).toBe('fine');
  });

  it('T7: a timeout while the Deferred waits on an inner one cancels the inner one and ends in TimeoutError', () => {
    const clock = new Clock();
    let innerCancelled = 0;
    const inner = new Deferred<string>(() => innerCancelled++);
    const d = new Deferred<null>();
    d.addCallback(() => inner);
    d.addTimeout(3, clock);
    d.callback(null);
    clock.advance(3);
    expect(innerCancelled).toBe(1);
    expect(outcome(d)).toBeInstanceOf(TimeoutError);
  });
});

describe('7e. deferLater', () => {
  it('K1: deferLater fires with fn(...args) after the delay; no fn gives undefined; a throw fails it', () => {
    const clock = new Clock();
    const sum = deferLater(clock, 2, (a: number, b: number) => a + b, 1, 2);
    const nothing = deferLater(clock, 1);
    const broken = deferLater(clock, 1, () => {
      throw new RangeError('late');
    });
    clock.advance(1);
    expect(nothing.called).toBe(true);
    expect(nothing.result).toBeUndefined();
    expect(outcome(broken)).toBeInstanceOf(RangeError);
    expect(sum.called).toBe(false);
    clock.advance(1);
    expect(sum.result).toBe(3);
  });

  it('K1: a Deferred returned by fn is waited on', () => {
    const clock = new Clock();
    const inner = new Deferred<string>();
    const d = deferLater(clock, 1, () => inner);
    clock.advance(1);
    expect(d.called).toBe(true);
    expect(d.paused).toBe(1);
    inner.callback('chained');
    expect(d.result).toBe('chained');
  });

  it('K2: cancelling unschedules the call: fn never runs and the result is CancelledError', () => {
    const clock = new Clock();
    let runs = 0;
    const d = deferLater(clock, 1, () => runs++);
    d.cancel();
    expect(clock.getDelayedCalls()).toEqual([]);
    clock.advance(5);
    expect(runs).toBe(0);
    expect(outcome(d)).toBeInstanceOf(CancelledError);
  });
});
