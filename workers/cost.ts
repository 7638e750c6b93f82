/**
 * What threads cost, measured: the figures of workers/README.md's "Cost" section that the bench
 * does not give. Run it as `npx tsx workers/cost.ts` (`--help` for the options).
 *
 * - start-up: from `openPool` to every session listening, and the close after it, per thread count;
 * - memory: the process's resident set with the pool's threads started and idle, above the same
 *   process without them, per thread;
 * - messaging: the same downloads from a fast server on loopback with a progress listener (three
 *   events per poem cross from the threads, batched) and without (only the results cross), beside
 *   the promises baseline doing the same on the main thread.
 *
 * Medians over `--rounds` rounds, in one process, on whatever else the machine is doing.
 */
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadModel } from '../harness/model-list.ts';
import type { Model } from '../poetry/contract.ts';
import { startFastServer } from '../poetry/servers/index.ts';
import { workersModel } from './client.ts';
import { openPool } from './pool.ts';

const help = `Usage: npx tsx workers/cost.ts [--threads 1,2,4] [--rounds 5] [--downloads 2000]

Measures what the workers model's threads cost: start-up and close, resident memory per idle
thread, and the downloads of a fast loopback server with and without progress events crossing.

Options:
  --threads <list>   thread counts to measure (default 1,2,4)
  --rounds <n>       rounds per figure; medians are printed (default 5)
  --downloads <n>    downloads in the messaging figure (default 2000)
  -h, --help         show this help

Exit codes:
  0   measured and printed
  1   a measurement failed (the message says which)
  2   usage error`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const quiet = () => ({
  retries: 0,
  timeoutMs: undefined,
  transform: undefined,
  analyse: undefined,
  events: false,
  cancelled: new Int32Array(new SharedArrayBuffer(4)),
});

async function startUp(threads: number, rounds: number): Promise<{ readyMs: number; closeMs: number }> {
  const ready: number[] = [];
  const close: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    const pool = openPool(threads, quiet());
    await pool.ready;
    const listening = performance.now();
    await pool.close();
    ready.push(listening - start);
    close.push(performance.now() - listening);
  }
  return { readyMs: median(ready), closeMs: median(close) };
}

/** Resident memory with `threads` idle threads, above the process without them (MB). */
async function memory(threads: number, rounds: number): Promise<number> {
  const above: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const before = process.memoryUsage.rss();
    const pool = openPool(threads, quiet());
    await pool.ready;
    above.push((process.memoryUsage.rss() - before) / 1e6);
    await pool.close();
  }
  return median(above);
}

/** Median wall time of `count` downloads without a listener and with one, in interleaved rounds (ms). */
async function downloads(model: Model, count: number, rounds: number): Promise<{ without: number; with: number }> {
  const server = await startFastServer({ poem: 'x'.repeat(3003) });
  try {
    const addresses = Array.from({ length: count }, () => server.address);
    const walls = { without: [] as number[], with: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      for (const events of [false, true]) {
        let seen = 0;
        const start = performance.now();
        const results = await model.getPoems(addresses, events ? { onEvent: () => void seen++ } : {});
        (events ? walls.with : walls.without).push(performance.now() - start);
        const failed = results.filter((result) => !result.ok).length;
        if (failed > 0) throw new Error(`${model.name}: ${failed} of ${count} downloads failed`);
        if (events && seen < count * 3) throw new Error(`${model.name}: ${seen} events for ${count} downloads`);
      }
    }
    return { without: median(walls.without), with: median(walls.with) };
  } finally {
    await server.close();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let values: { threads?: string; rounds?: string; downloads?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        threads: { type: 'string' },
        rounds: { type: 'string' },
        downloads: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`cost: ${(error as Error).message} (see --help)\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  const counts = (values.threads ?? '1,2,4').split(',').map(Number);
  const rounds = Number(values.rounds ?? 5);
  const count = Number(values.downloads ?? 2000);
  if (
    !counts.every((n) => Number.isInteger(n) && n >= 1) ||
    !(Number.isInteger(rounds) && rounds >= 1) ||
    !(Number.isInteger(count) && count >= 1)
  ) {
    process.stderr.write('cost: --threads, --rounds and --downloads take whole numbers from 1 (see --help)\n');
    return 2;
  }
  // One pool first: what Node starts once per process and keeps is not a pool's cost.
  await startUp(1, 1);
  console.log(
    `${rounds} rounds each, medians; ${readdirSync('/proc/self/task').length} OS threads in the process idle`,
  );
  for (const threads of counts) {
    const { readyMs, closeMs } = await startUp(threads, rounds);
    const rssMB = await memory(threads, rounds);
    console.log(
      `${threads} thread(s): ready in ${readyMs.toFixed(0)} ms, closed in ${closeMs.toFixed(0)} ms; ` +
        `RSS +${rssMB.toFixed(1)} MB idle (${(rssMB / threads).toFixed(1)} MB a thread)`,
    );
  }
  // The baseline through the registry's loader: a model's folder imports no other model's face.
  for (const [name, model] of [
    ['workers', workersModel()],
    ['promises', await loadModel('promises')],
  ] as const) {
    // A first call each, not counted: the code's first run compiles it.
    await model.getPoems([]);
    const { without, with: withEvents } = await downloads(model, count, rounds);
    console.log(
      `${name}: ${count} downloads in ${without.toFixed(0)} ms without a listener, ${withEvents.toFixed(0)} ms with one ` +
        `(${(((withEvents - without) / count) * 1000).toFixed(1)} µs a download for its three events)`,
    );
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cost: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
