/**
 * What the lazy library's tests share: real servers that are closed after each test, and ways to
 * wait for something the server side will see "soon" (a close, writes that stop) without asserting
 * on milliseconds — every wait is bounded generously and fails with a message if it runs out.
 */
import { afterEach } from 'vitest';
import type { PoetryServer } from '../../poetry/servers/index.ts';

const running: PoetryServer[] = [];

/** Keeps `server` to be closed after the current test. */
export async function serve<S extends PoetryServer>(starting: Promise<S>): Promise<S> {
  const server = await starting;
  running.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves once `condition()` holds; fails after `withinMs` (a bound, not an expectation). */
export async function eventually(condition: () => boolean, what: string, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await pause(10);
  }
}

/** Resolves once `read()` has stopped changing for several samples in a row: the writer has stalled. */
export async function steady(read: () => number, withinMs = 10_000): Promise<number> {
  const deadline = Date.now() + withinMs;
  let last = read();
  let unchanged = 0;
  while (unchanged < 5) {
    if (Date.now() > deadline) throw new Error('the value never stopped changing');
    await pause(40);
    const now = read();
    unchanged = now === last ? unchanged + 1 : 0;
    last = now;
  }
  return last;
}

/** An async generator instrumented to show what a consumer's stop reaches: items made, `finally` run. */
export function probe<T>(items: Iterable<T>, options: { parkAfter?: number } = {}) {
  const seen = { produced: 0, finallyRan: false };
  async function* generate(): AsyncGenerator<T> {
    try {
      for (const item of items) {
        if (options.parkAfter !== undefined && seen.produced >= options.parkAfter) await new Promise(() => {});
        seen.produced += 1;
        yield item;
      }
    } finally {
      seen.finallyRan = true;
    }
  }
  return { seen, source: { [Symbol.asyncIterator]: generate } };
}

/** 0, 1, 2, … as a plain (not lazy-library) iterable, for counting how far a consumer pulled it. */
export function* counting(): Generator<number> {
  for (let n = 0; ; n++) yield n;
}
