/**
 * `setLongTimeout` waits the whole delay, in range or beyond setTimeout's 2^31 − 1 ms, on vitest's
 * fake timers (which, like Node, fire an out-of-range `setTimeout` after 1 ms); and on the real
 * clock, a long timer set and cancelled leaves no timer open.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { activeResources, leaksSince } from './leaks.ts';
import { longestTimeoutMs, setLongTimeout } from './long-timeout.ts';

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
});

it('on the real clock, a 2^31 ms timer set and cancelled leaves nothing open and never fires', async () => {
  const before = activeResources();
  const fire = vi.fn();
  setLongTimeout(fire, 2 ** 31).cancel();
  expect(await leaksSince(before)).toEqual([]);
  expect(fire).not.toHaveBeenCalled();
});
