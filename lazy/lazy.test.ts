/**
 * The terminal operations `forEach` and `reduce`: they see every item in order, they walk a run of
 * items without a promise (or a microtask turn) per item — the reason they exist — and a callback
 * that throws stops the sequence like a `break`, closing the socket underneath.
 */
import { describe, expect, it } from 'vitest';
import { PoetryError } from '../poetry/contract.ts';
import { generatePoem, poems } from '../poetry/poems/index.ts';
import { startFastServer, startFaultyServer } from '../poetry/servers/index.ts';
import { contents, forEach, lines, map, naturals, reduce, take } from './index.ts';
import { eventually, probe, serve } from './test-fixtures/helpers.ts';

describe('forEach', () => {
  it('hands every line of a poem over a socket to the callback, in order', async () => {
    const text = poems['night-ferry'].text;
    const server = await serve(startFastServer({ poem: text }));
    const seen: string[] = [];
    await forEach((line: string) => seen.push(line), lines(contents(server.address)));
    const expected: string[] = [];
    for await (const line of lines(contents(server.address))) expected.push(line);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen).toEqual(expected);
  });

  it('walks a run synchronously: no microtask runs between two items of one run', async () => {
    const order: (number | string)[] = [];
    const visit = (n: number) => {
      order.push(n);
      if (n === 0) queueMicrotask(() => order.push('microtask'));
    };
    // A synchronous source is one run; a `for await` would let the microtask in after item 0.
    await forEach(
      visit,
      map((n: number) => n * 10, [0, 1, 2]),
    );
    expect(order).toEqual([0, 10, 20, 'microtask']);
  });

  it('a callback that throws rejects with its error and closes the socket at once', async () => {
    const bigPoem = generatePoem(16 * 1024 * 1024);
    const server = await serve(startFastServer({ poem: bigPoem }));
    const stop = new Error('enough');
    let count = 0;
    const third = (line: string) => {
      count += 1;
      if (count === 3) throw stop;
      expect(line.length).toBeGreaterThan(0);
    };
    await expect(forEach(third, lines(contents(server.address)))).rejects.toBe(stop);
    expect(count).toBe(3);
    await eventually(() => server.stats.closedByClient === 1, 'the server to see the client hang up');
    expect(server.stats.bytesSent).toBeLessThan(bigPoem.length);
  });

  it('a callback that throws runs a foreign source’s finally', async () => {
    const { seen, source } = probe([1, 2, 3, 4, 5]);
    const stop = new Error('stop at 2');
    const upTo2 = (n: number) => {
      if (n === 2) throw stop;
    };
    await expect(forEach(upTo2, source)).rejects.toBe(stop);
    expect(seen.produced).toBe(2);
    expect(seen.finallyRan).toBe(true);
  });

  it('a failing source rejects with its typed error', async () => {
    const reset = await serve(startFaultyServer({ mode: 'reset' }));
    const failure = await forEach(() => {}, lines(contents(reset.address))).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PoetryError);
    expect((failure as PoetryError).code).toBe('RESET');
  });
});

describe('reduce', () => {
  it('folds from the left, like foldl, and takes only what take allows from an endless source', async () => {
    expect(await reduce((sum: number, n: number) => sum + n, 0, take(5, naturals()))).toBe(10);
    expect(await reduce((acc: string, n: number) => acc + n, '>', take(3, naturals()))).toBe('>012');
  });

  it('counts the characters of a poem over a socket, line by line', async () => {
    const text = poems.kettle.text;
    const server = await serve(startFastServer({ poem: text }));
    const total = await reduce((sum: number, line: string) => sum + line.length, 0, lines(contents(server.address)));
    expect(total).toBe(text.replaceAll('\n', '').length);
  });
});
