/**
 * Dimension 7, memory per download in flight: the model holds 1,000, then 5,000 downloads open
 * against servers that accept and never send. Once the servers count them all, the model process
 * collects its garbage and reports its heap and resident memory; the cell is the slope between the
 * two sizes, bytes per download, which leaves out what the process holds anyway. A model that never
 * has the downloads in flight together has no per-download figure: the cell says how many it held.
 */
import { failed, measured, notApplicable, type Probe, single } from './cell.ts';
import { childFunction } from './child.ts';
import { fetchInChild } from './fetch.ts';
import { bytes, count } from './format.ts';
import { hold, type ObservedServer, until } from './lab.ts';
import type { ModelProcess } from './model-process.ts';

const sizes = [1000, 5000] as const;
const serverCount = 8;

interface Memory {
  readonly heapUsed: number;
  readonly rss: number;
}

export const memoryInChild = childFunction<Record<string, never>, Memory>(
  import.meta.url,
  'memoryInChild',
  async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    // Twice, with a turn between: the first pass finds what the second frees (weak refs, finalizers).
    for (let pass = 0; pass < 2; pass++) {
      gc?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const { heapUsed, rss } = process.memoryUsage();
    return { heapUsed, rss };
  },
);

export const memoryPerDownload: Probe = {
  id: 7,
  title: 'Memory per download',
  says: 'heap and RSS per download in flight (slope from 1,000 to 5,000 held open)',
  file: 'harness/matrix/memory.ts',
  better: 'lower',
  stable: false,
  budgetMs: 60_000,
  async measure({ client, lab, signal }) {
    const servers = await Promise.all(Array.from({ length: serverCount }, () => lab.observed(hold)));
    const open = () => servers.reduce((sum, server) => sum + server.open, 0);
    const baseline = await client.call(memoryInChild, {}, signal);
    const at: Memory[] = [];
    for (const size of sizes) {
      const held = await holdOpen(client, servers, size, open, signal);
      if (typeof held === 'number') {
        return single(
          notApplicable(`at most ${count(held)} of ${count(size)} downloads were in flight at once`, {
            held,
            asked: size,
          }),
        );
      }
      at.push(held);
    }
    const [small, large] = at as [Memory, Memory];
    const span = sizes[1] - sizes[0];
    const heapEach = (large.heapUsed - small.heapUsed) / span;
    const rssEach = (large.rss - small.rss) / span;
    const figures = {
      baselineHeap: baseline.heapUsed,
      baselineRss: baseline.rss,
      heapAt1000: small.heapUsed,
      rssAt1000: small.rss,
      heapAt5000: large.heapUsed,
      rssAt5000: large.rss,
      heapPerDownload: Math.round(heapEach),
      rssPerDownload: Math.round(rssEach),
    };
    if (!(heapEach > 0) && !(rssEach > 0))
      return single(failed('memory did not grow with the downloads held', figures));
    return single(
      measured(`heap ${bytes(heapEach)} · RSS ${bytes(rssEach)} per download`, figures, { score: heapEach }),
    );
  },
};

/**
 * Starts `size` downloads and waits until the servers hold them all; then measures and cancels.
 * Returns the memory with all of them open, or how many were ever open together when the count
 * stopped growing for two seconds (a model that runs them one after another).
 */
async function holdOpen(
  client: ModelProcess,
  servers: readonly ObservedServer[],
  size: number,
  open: () => number,
  signal: AbortSignal,
): Promise<Memory | number> {
  const stop = new AbortController();
  const forward = () => stop.abort();
  signal.addEventListener('abort', forward, { once: true });
  const addresses = Array.from({ length: size }, (_, index) => servers[index % servers.length]!.address);
  const fetching = client.call(fetchInChild, { addresses }, stop.signal);
  let most = 0;
  let grewAt = performance.now();
  const all = await until(
    () => {
      const now = open();
      if (now > most) {
        most = now;
        grewAt = performance.now();
      }
      return now >= size || performance.now() - grewAt > 2000;
    },
    40_000,
    signal,
  );
  const memory = all && most >= size ? await client.call(memoryInChild, {}, signal) : undefined;
  stop.abort();
  await fetching;
  signal.removeEventListener('abort', forward);
  await until(() => open() === 0, 5000, signal);
  return memory ?? most;
}
