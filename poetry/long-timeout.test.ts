/**
 * `setLongTimeout` waits the whole delay, in range or beyond setTimeout's 2^31 − 1 ms, on vitest's
 * fake timers (which, like Node, fire an out-of-range `setTimeout` after 1 ms); and on the real
 * clock, a long timer set and cancelled, or unref'd, leaves no timer open. `timeoutSignal` aborts
 * as `AbortSignal.timeout` does, but only when due, beyond the range too, and never for `Infinity`.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { activeResources, leaksSince } from './leaks.ts';
import { longestTimeoutMs, setLongTimeout, timeoutSignal } from './long-timeout.ts';

describe('on the fake clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ['the longest plain delay', longestTimeoutMs],
    ['2^31 ms', 2 ** 31],
    ['2^32 - 1 ms', 2 ** 32 - 1],
    ['3e9 ms', 3e9],
    ['three chained timers and a bit', 3 * longestTimeoutMs + 5],
  ])('%s fires exactly when due, not before', (_, ms) => {
    vi.useFakeTimers();
    const fire = vi.fn();
    setLongTimeout(fire, ms);
    vi.advanceTimersByTime(ms - 1);
    expect(fire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fire).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('hands its argument to the callback', () => {
    vi.useFakeTimers();
    const fire = vi.fn();
    setLongTimeout(fire, 3e9, 'the argument');
    vi.advanceTimersByTime(3e9);
    expect(fire).toHaveBeenCalledWith('the argument');
  });

  it('a cancelled timer never fires, whichever link of the chain is pending', () => {
    vi.useFakeTimers();
    const fire = vi.fn();
    const timeout = setLongTimeout(fire, 3e9);
    vi.advanceTimersByTime(longestTimeoutMs + 10);
    timeout.cancel();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(3e9);
    expect(fire).not.toHaveBeenCalled();
    timeout.cancel();
  });

  it('Infinity never fires and holds no timer', () => {
    vi.useFakeTimers();
    const fire = vi.fn();
    setLongTimeout(fire, Number.POSITIVE_INFINITY);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 * longestTimeoutMs);
    expect(fire).not.toHaveBeenCalled();
  });

  it('zero fires on the next timer turn, as setTimeout(fn, 0) does', () => {
    vi.useFakeTimers();
    const fire = vi.fn();
    setLongTimeout(fire, 0);
    expect(fire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(fire).toHaveBeenCalledTimes(1);
  });
});

it.each([-1, Number.NaN])('a delay of %s is refused, naming it', (ms) => {
  expect(() => setLongTimeout(() => {}, ms)).toThrow(`a timeout needs a delay of 0 ms or more, not ${ms}`);
  expect(() => timeoutSignal(ms)).toThrow(`a timeout needs a delay of 0 ms or more, not ${ms}`);
});

it('on the real clock, a 2^31 ms timer set and cancelled leaves nothing open and never fires', async () => {
  const before = activeResources();
  const fire = vi.fn();
  setLongTimeout(fire, 2 ** 31).cancel();
  expect(await leaksSince(before)).toEqual([]);
  expect(fire).not.toHaveBeenCalled();
});

it("an unref'd 2^31 ms timer keeps nothing open, and still fires when due on the fake clock", async () => {
  const before = activeResources();
  const timeout = setLongTimeout(() => {}, 2 ** 31).unref();
  expect(await leaksSince(before)).toEqual([]);
  timeout.cancel();

  vi.useFakeTimers();
  try {
    const fire = vi.fn();
    setLongTimeout(fire, 3e9).unref();
    vi.advanceTimersByTime(3e9 - 1);
    expect(fire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fire).toHaveBeenCalledTimes(1);
  } finally {
    vi.useRealTimers();
  }
});

describe('timeoutSignal', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ['in range', 5],
    ['a fraction of a millisecond, which AbortSignal.timeout refuses', 1e-9],
  ])('%s: aborts with a TimeoutError, as AbortSignal.timeout does', async (_, ms) => {
    const signal = timeoutSignal(ms);
    expect(signal.aborted).toBe(false);
    await once(signal, 'abort');
    expect(signal.reason).toBeInstanceOf(DOMException);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it.each([2 ** 31, 3e9])('%s ms: aborts exactly when due, not after 1 ms, on the fake clock', (ms) => {
    vi.useFakeTimers();
    const signal = timeoutSignal(ms);
    vi.advanceTimersByTime(ms - 1);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('Infinity never aborts and holds no timer', () => {
    vi.useFakeTimers();
    const signal = timeoutSignal(Number.POSITIVE_INFINITY);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 * longestTimeoutMs);
    expect(signal.aborted).toBe(false);
  });

  it('beyond the range, a pending signal keeps nothing open on the real clock', async () => {
    const before = activeResources();
    const signal = timeoutSignal(2 ** 31);
    expect(await leaksSince(before)).toEqual([]);
    expect(signal.aborted).toBe(false);
  });
});
