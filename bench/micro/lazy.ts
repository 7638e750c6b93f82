/**
 * Micro-benchmark for `lazy/`: lines per second through `contents → lines → map` on one large poem
 * (100 MB by default; `LAZY_POEM_MB` sets it), against a plain `for await` over a Node socket doing
 * the same decoding, splitting and mapping by hand, with IxJS and Node's own `Readable` helpers doing
 * the same pipeline as peer rows. The question is what laziness costs: the budget is within 1.5× of
 * the plain loop and faster than IxJS.
 *
 * The server runs in a child process (`bench/server-process.ts`), so its writes never share the
 * event loop being measured. Every row computes the same checksum (lines and characters), checked
 * against the plain loop's, so a row cannot win by doing less.
 *
 * `node --import tsx bench/micro/lazy.ts` runs it standalone and also reports memory while streaming:
 * peak RSS growth per row, which stays flat (a few MB) rather than growing with the poem.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { from as ixFrom } from 'ix/asynciterable';
import { flatMap as ixFlatMap, map as ixMap } from 'ix/asynciterable/operators';
import { Bench } from 'tinybench';
import { contents, forEach, lines, map } from '../../lazy/index.ts';
import type { Address } from '../../poetry/contract.ts';
import type { MicroSuite } from './suite.ts';

/** The per-line work every row does: something cheap that still touches the line. */
const measure = (line: string): number => line.length;

interface Tally {
  lines: number;
  chars: number;
}

/** Splits decoded text into lines, carrying the unfinished last one: the peers' hand-written `lines`. */
function lineSplitter(): (text: string) => string[] {
  let carry = '';
  return (text) => {
    const parts = (carry + text).split('\n');
    carry = parts.pop() ?? '';
    return parts;
  };
}

function connect(address: Address): net.Socket {
  return net.connect({ host: address.host, port: address.port });
}

/** The baseline: `for await` over the socket, decoding and splitting by hand, no per-line promise. */
async function plainLoop(address: Address): Promise<Tally> {
  const tally = { lines: 0, chars: 0 };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const split = lineSplitter();
  for await (const chunk of connect(address) as AsyncIterable<Buffer>) {
    for (const line of split(decoder.decode(chunk, { stream: true }))) {
      tally.lines += 1;
      tally.chars += measure(line);
    }
  }
  return tally;
}

async function lazyPipeline(address: Address): Promise<Tally> {
  const tally = { lines: 0, chars: 0 };
  for await (const length of map(measure, lines(contents(address)))) {
    tally.lines += 1;
    tally.chars += length;
  }
  return tally;
}

/** The same pipeline with a terminal that walks each chunk's lines synchronously: no promise per line. */
async function lazyForEach(address: Address): Promise<Tally> {
  const tally = { lines: 0, chars: 0 };
  await forEach(
    (length: number) => {
      tally.lines += 1;
      tally.chars += length;
    },
    map(measure, lines(contents(address))),
  );
  return tally;
}

async function ixPipeline(address: Address): Promise<Tally> {
  const tally = { lines: 0, chars: 0 };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const split = lineSplitter();
  const pipeline = ixFrom(connect(address) as AsyncIterable<Buffer>).pipe(
    ixMap((chunk: Buffer) => decoder.decode(chunk, { stream: true })),
    ixFlatMap((text: string) => ixFrom(split(text))),
    ixMap(measure),
  );
  for await (const length of pipeline) {
    tally.lines += 1;
    tally.chars += length;
  }
  return tally;
}

async function readablePipeline(address: Address): Promise<Tally> {
  const tally = { lines: 0, chars: 0 };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const split = lineSplitter();
  const pipeline = (connect(address) as Readable)
    .map((chunk: Buffer) => decoder.decode(chunk, { stream: true }))
    .flatMap((text: string) => split(text))
    .map(measure);
  for await (const length of pipeline as AsyncIterable<number>) {
    tally.lines += 1;
    tally.chars += length;
  }
  return tally;
}

async function readlinePipeline(address: Address): Promise<Tally> {
  const tally = { lines: 0, chars: 0 };
  for await (const line of createInterface({ input: connect(address), crlfDelay: Number.POSITIVE_INFINITY })) {
    tally.lines += 1;
    tally.chars += measure(line);
  }
  return tally;
}

const rows = {
  'for await over a socket (plain loop)': plainLoop,
  'lazy contents → lines → map': lazyPipeline,
  'lazy contents → lines → map, forEach': lazyForEach,
  'IxJS from → map → flatMap → map': ixPipeline,
  'Node Readable .map → .flatMap → .map': readablePipeline,
  'Node readline + map': readlinePipeline,
} as const;

/** A fast server for a generated poem of `megabytes` MB, in a child process. */
async function startServerProcess(
  megabytes: number,
): Promise<{ address: Address; child: ChildProcessWithoutNullStreams }> {
  const spec = { big: { kind: 'fast', poem: { generated: megabytes * 1024 * 1024 } } };
  const script = new URL('../server-process.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(spec)]);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
  });
  const ready = JSON.parse(line) as { endpoints: { big: { address: Address }[] } };
  return { address: ready.endpoints.big[0]!.address, child };
}

/** The suite for a poem of `megabytes` MB; `tally()` is the poem's line count once set up. */
export function lazySuite(megabytes: number): MicroSuite & { readonly tally: () => Tally | undefined } {
  let server: { address: Address; child: ChildProcessWithoutNullStreams } | undefined;
  let expected: Tally | undefined;
  const checked = (run: (address: Address) => Promise<Tally>) => async () => {
    const tally = await run(server!.address);
    if (expected && (tally.lines !== expected.lines || tally.chars !== expected.chars)) {
      throw new Error(`checksum ${tally.lines}/${tally.chars} differs from the plain loop's`);
    }
  };
  return {
    name: 'lazy-lines',
    description:
      `Lines per second through contents → lines → map on a ${megabytes} MB poem from a server in another ` +
      'process, vs a plain for-await loop over the socket, with IxJS and Node stream helpers as peers.',
    baseline: 'for await over a socket (plain loop)',
    budget: 'lazy (forEach) within 1.5× of the plain loop, and faster than IxJS',
    budgetMet: (ratios) =>
      (ratios['lazy contents → lines → map, forEach'] ?? 0) >= 1 / 1.5 &&
      (ratios['lazy contents → lines → map, forEach'] ?? 0) > (ratios['IxJS from → map → flatMap → map'] ?? Infinity),
    tasks: Object.fromEntries(Object.entries(rows).map(([name, run]) => [name, checked(run)])),
    async setup() {
      server = await startServerProcess(megabytes);
      expected = await plainLoop(server.address);
    },
    teardown() {
      server?.child.stdin.end();
    },
    tally: () => expected,
  };
}

export const suite = lazySuite(Number(process.env.LAZY_POEM_MB ?? 100));

/** Peak RSS growth while one run of `run` streams the poem, in MB (sampled every 5 ms). */
async function peakGrowthMb(run: () => unknown): Promise<number> {
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  await run();
  clearInterval(sampler);
  return (Math.max(peak, process.memoryUsage().rss) - before) / 1024 / 1024;
}

/** Standalone: medians and ratios per row, then memory while streaming. */
async function main(): Promise<void> {
  const megabytes = Number(process.env.LAZY_POEM_MB ?? 100);
  const standalone = lazySuite(megabytes);
  await standalone.setup?.();
  const bench = new Bench({ time: Number(process.env.LAZY_BENCH_MS ?? 20_000), iterations: 5, warmupIterations: 1 });
  for (const [name, task] of Object.entries(standalone.tasks)) bench.add(name, task);
  await bench.run();
  const medianMs = (name: string) => {
    const result = bench.getTask(name)?.result;
    return result && 'latency' in result ? result.latency.p50 : Number.NaN;
  };
  const baseMs = medianMs(standalone.baseline);
  const lineCount = standalone.tally()?.lines ?? Number.NaN;
  console.log(`${megabytes} MB poem, ${lineCount} lines`);
  for (const name of Object.keys(standalone.tasks)) {
    const ms = medianMs(name);
    const perSecond = (lineCount / ms) * 1000;
    console.log(
      `${name.padEnd(40)} median ${ms.toFixed(0).padStart(6)} ms  ${(perSecond / 1e6).toFixed(2)} M lines/s  ` +
        `time ×${(ms / baseMs).toFixed(2)} the plain loop`,
    );
  }
  for (const [name, task] of Object.entries(standalone.tasks)) {
    console.log(`${name.padEnd(40)} peak RSS growth ${(await peakGrowthMb(task)).toFixed(1)} MB`);
  }
  await standalone.teardown?.();
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  await main();
}
