/**
 * `longTimeouts` on a fake clock: a delay beyond setTimeout's 2^31 − 1 ms is waited out in full
 * (RxJS's own asyncScheduler fires it after 1 ms), `Infinity` sets no timer, and unsubscribing
 * clears what is pending — so `timeout` on this scheduler leaves nothing open.
 */
import { firstValueFrom, NEVER, TimeoutError, timeout, timer } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { longTimeouts } from './long-timeouts.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('longTimeouts', () => {
  it('runs the work once the delay has passed, not before', () => {
    const work = vi.fn();
    longTimeouts.schedule(work, 100);
    vi.advanceTimersByTime(99);
    expect(work).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('waits out a delay beyond 2^31 − 1 ms in full', () => {
    const fired = vi.fn();
    timer(3e9, longTimeouts).subscribe(fired);
    vi.advanceTimersByTime(2 ** 31);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(3e9 - 2 ** 31);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('sets no timer at all for Infinity', () => {
    const subscription = NEVER.pipe(timeout({ first: Number.POSITIVE_INFINITY, scheduler: longTimeouts })).subscribe();
    expect(vi.getTimerCount()).toBe(0);
    subscription.unsubscribe();
  });

  it('unsubscribing clears the pending timer', () => {
    const work = vi.fn();
    const subscription = longTimeouts.schedule(work, 1000);
    expect(vi.getTimerCount()).toBe(1);
    subscription.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(2000);
    expect(work).not.toHaveBeenCalled();
  });

  it("is what timeout's deadline runs on: TimeoutError at the deadline", async () => {
    const deadline = firstValueFrom(NEVER.pipe(timeout({ first: 2 ** 31 + 5, scheduler: longTimeouts })));
    const settled = deadline.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(2 ** 31 + 5);
    expect(await settled).toBeInstanceOf(TimeoutError);
    expect(vi.getTimerCount()).toBe(0);
  });
});
