/**
 * Push against pull, measured: one large poem, read by a consumer that takes its first chunk and
 * then holds back. `push` reads it through the rxjs model's `fromSocket` (a cold Observable of the
 * socket's chunks) into `concatMap`, whose inner stream never completes while the consumer holds
 * back; `pull` reads it through the lazy model's `contents` (lazy/contents.ts, its runtime), pulled
 * once. Both hold back until the server's `bytesSent` stops moving, then report what it sent, what
 * came into the process and was not yet taken, and how the process's memory grew.
 *
 *     node --import tsx rxjs/backpressure-probe.ts push|pull [MB]    # one JSON line
 *
 * Run each mode in a fresh process: peak RSS (`maxRSS`) only ever grows. The server runs in the
 * same process, so it is part of both figures alike; it waits for `drain` between writes, so what
 * it holds is bounded, and the poem itself is made before the first reading of memory.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { concatMap, NEVER, tap } from 'rxjs';
import { contents } from '../lazy/contents.ts';
import type { Address } from '../poetry/contract.ts';
import { generatePoem } from '../poetry/poems/index.ts';
import { startFastServer } from '../poetry/servers/index.ts';
import { fromSocket } from './client.ts';

export type Mode = 'push' | 'pull';

export interface Figures {
  readonly mode: Mode;
  readonly poemBytes: number;
  /** What the server had sent (and the kernel accepted) once it stopped moving. */
  readonly serverSent: number;
  /** Bytes that came into the process and the consumer had not taken (`null`: not visible from outside the pull). */
  readonly bufferedBytes: number | null;
  /** RSS growth from just before the read to the moment the server stalled or finished, MB. */
  readonly rssGrowthMB: number;
  /** The process's peak RSS, MB (poem and server included). */
  readonly peakRssMB: number;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves with `read()` once it has not changed for ten samples in a row; rejects after `withinMs`. */
async function steady(read: () => number, withinMs = 30_000): Promise<number> {
  const deadline = Date.now() + withinMs;
  let last = read();
  for (let unchanged = 0; unchanged < 10; ) {
    if (Date.now() > deadline) throw new Error('the server never stopped sending');
    await pause(50);
    const now = read();
    unchanged = now === last ? unchanged + 1 : 0;
    last = now;
  }
  return last;
}

/** Takes the first chunk and holds back; `release` ends the read (the socket closes). */
export async function holdBack(
  mode: Mode,
  address: Address,
): Promise<{ buffered: () => number | null; release: () => void }> {
  if (mode === 'push') {
    let arrived = 0;
    let taken = 0;
    // The consumer: `concatMap` hands it one chunk at a time, and the first one's work never ends.
    const subscription = fromSocket(address)
      .pipe(
        tap((chunk) => {
          arrived += chunk.length;
        }),
        concatMap((chunk) => {
          taken += chunk.length;
          return NEVER;
        }),
      )
      .subscribe();
    return { buffered: () => arrived - taken, release: () => subscription.unsubscribe() };
  }
  const chunks = contents(address, { decode: false })[Symbol.asyncIterator]();
  await chunks.next();
  return {
    buffered: () => null,
    release: () => {
      void chunks.return?.();
    },
  };
}

export async function probe(mode: Mode, poemMB: number): Promise<Figures> {
  const poem = generatePoem(poemMB * 2 ** 20);
  const server = await startFastServer({ poem });
  try {
    const before = process.memoryUsage().rss;
    const reading = await holdBack(mode, server.address);
    const serverSent = await steady(() => server.stats.bytesSent);
    const figures: Figures = {
      mode,
      poemBytes: poem.length,
      serverSent,
      bufferedBytes: reading.buffered(),
      rssGrowthMB: mb(process.memoryUsage().rss - before),
      peakRssMB: mb(process.resourceUsage().maxRSS * 1024),
    };
    reading.release();
    return figures;
  } finally {
    await server.close();
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [mode, size = '64'] = process.argv.slice(2);
  if (mode !== 'push' && mode !== 'pull') {
    console.error('usage: node --import tsx rxjs/backpressure-probe.ts push|pull [MB]');
    process.exit(2);
  }
  console.log(JSON.stringify(await probe(mode, Number(size))));
}
