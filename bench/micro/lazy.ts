/**
 * Micro-benchmark for `lazy/`: lines per second through `contents → lines → map` on one large poem
 * (`LAZY_POEM_MB`: 10 MB inside `npm run bench`, whose modules get a minute each — the IxJS and
 * `Readable` rows are 20–60× slower than the rest; 100 MB, the size, when run standalone), against a plain `for await` over a Node socket doing
 * the same decoding, splitting and mapping by hand, with IxJS, Node's own `Readable` helpers and
 * `readline` doing the same pipeline as peer rows. The question is what laziness costs: the budget is
 * within 1.5× of the plain loop and faster than IxJS.
 *
 * Each pipeline is consumed two ways, and the row name says which. `for await` pays a promise per
 * line, which the plain loop (a `for` over each chunk's lines) does not; a synchronous terminal —
 * lazy's and IxJS's `forEach`, `Readable#forEach`, readline's 'line' events — is the like-for-like
 * match for the plain loop, and the budget compares lazy's `forEach` with the plain loop and IxJS's.
 *
 * The server runs in a child process (`bench/server-process.ts`), so its writes never share the
 * event loop being measured. Every row computes the same checksum (lines and characters), checked
 * against the plain loop's, so a row cannot win by doing less.
 *
 * `node --import tsx bench/micro/lazy.ts` runs it standalone at 100 MB (a few minutes) and also reports memory while streaming:
 * peak RSS growth per row, which stays flat (a few MB) rather than growing with the poem.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { from as ixFrom } from 'ix/asynciterable';
import { flatMap as ixFlatMap, map as ixMap } from 'ix/asynciterable/operators';
import { Bench } from 'tinybench';
import { isMain } from '../../harness/is-main.ts';
import { contents, forEach, lines, map } from '../../lazy/index.ts';
import type { Address } from '../../poetry/contract.ts';
import type { MicroSuite } from './suite.ts';

/** The per-line work every row does: something cheap that still touches the line. */
const measure = (line: string): number => line.length;

interface Tally {
  lines: number;
  chars: number;
}

/** A tally and the callback that counts one measured line into it: the consumer every row shares. */
function tallying(): { tally: Tally; count: (length: number) => void } {
  const tally = { lines: 0, chars: 0 };
  return {
    tally,
    count: (length) => {
      tally.lines += 1;
      tally.chars += length;
    },
  };
}

const withoutCR = (line: string): string => (line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);

/**
 * The hand-written `contents → lines` of the baseline and the peers, doing all the work lazy's does:
 * fatal UTF-8 decoding across chunks, `\n` ends a line and a `\r` before it is dropped (also when the
 * two arrive in different chunks: the carry is joined before splitting), and at the end the decoder
 * is flushed (a cut character fails) and a last line without `\n` still counts.
 */
function lineReader() {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let carry = '';
  const split = (text: string): string[] => {
    const joined = carry + text;
    const parts = joined.split('\n');
    carry = parts.pop() ?? '';
    return joined.includes('\r') ? parts.map(withoutCR) : parts;
  };
  return {
    decode: (chunk: Buffer): string => decoder.decode(chunk, { stream: true }),
    split,
    /** What is left once the socket has ended: run after the row's pipeline has finished. */
    end(): string[] {
      const lines = split(decoder.decode());
      if (carry !== '') lines.push(withoutCR(carry));
      carry = '';
      return lines;
    },
  };
}

function connect(address: Address): net.Socket {
  return net.connect({ host: address.host, port: address.port });
}

/** The baseline: `for await` over the socket, decoding and splitting by hand, no per-line promise. */
async function plainLoop(address: Address): Promise<Tally> {
  const { tally, count } = tallying();
  const reader = lineReader();
  for await (const chunk of connect(address) as AsyncIterable<Buffer>) {
    for (const line of reader.split(reader.decode(chunk))) count(measure(line));
  }
  for (const line of reader.end()) count(measure(line));
  return tally;
}

async function lazyForAwait(address: Address): Promise<Tally> {
  const { tally, count } = tallying();
  for await (const length of map(measure, lines(contents(address)))) count(length);
  return tally;
}

/** The same pipeline with a terminal that walks each chunk's lines synchronously: no promise per line. */
async function lazyForEach(address: Address): Promise<Tally> {
  const { tally, count } = tallying();
  await forEach(count, map(measure, lines(contents(address))));
  return tally;
}

function ixLines(address: Address, reader: ReturnType<typeof lineReader>) {
  return ixFrom(connect(address) as AsyncIterable<Buffer>).pipe(
    ixMap(reader.decode),
    ixFlatMap((text: string) => ixFrom(reader.split(text))),
    ixMap(measure),
  );
}

async function ixForAwait(address: Address): Promise<Tally> {
  const { tally, count } = tallying();
  const reader = lineReader();
  for await (const length of ixLines(address, reader)) count(length);
  for (const line of reader.end()) count(measure(line));
  return tally;
}

async function ixForEach(address: Address): Promise<Tally> {
  const { tally, count } = tallying();
  const reader = lineReader();
  await ixLines(address, reader).forEach(count);
  for (const line of reader.end()) count(measure(line));
  return tally;
}

function readableLines(address: Address, reader: ReturnType<typeof lineReader>): Readable {
  return (connect(address) as Readable).map(reader.decode).flatMap(reader.split).map(measure);
}

async function readableForAwait(address: Address): Promise<Tally> {
  const { tally, count } = tallying();
  const reader = lineReader();
  for await (const length of readableLines(address, reader) as AsyncIterable<number>) count(length);
  for (const line of reader.end()) count(measure(line));
  return tally;
}

async function readableForEach(address: Address): Promise<Tally> {
  const { tally, count } = tallying();
  const reader = lineReader();
  await readableLines(address, reader).forEach(count);
  for (const line of reader.end()) count(measure(line));
  return tally;
}

function readlineOf(address: Address) {
  return createInterface({ input: connect(address), crlfDelay: Number.POSITIVE_INFINITY });
}

async function readlineForAwait(address: Address): Promise<Tally> {
  const { tally, count } = tallying();
  for await (const line of readlineOf(address)) count(measure(line));
  return tally;
}

/** readline's own synchronous terminal: a 'line' listener, called for each line as it is found. */
async function readlineOnLine(address: Address): Promise<Tally> {
  const { tally, count } = tallying();
  const lineEvents = readlineOf(address);
  lineEvents.on('line', (line) => count(measure(line)));
  await once(lineEvents, 'close');
  return tally;
}

const lazyRow = 'lazy contents → lines → map, forEach';
const ixRow = 'IxJS from → map → flatMap → map, forEach';
const rows = {
  'for await over a socket (plain loop)': plainLoop,
  'lazy contents → lines → map, for await': lazyForAwait,
  [lazyRow]: lazyForEach,
  'IxJS from → map → flatMap → map, for await': ixForAwait,
  [ixRow]: ixForEach,
  'Node Readable .map → .flatMap → .map, for await': readableForAwait,
  'Node Readable .map → .flatMap → .map, .forEach': readableForEach,
  'Node readline + map, for await': readlineForAwait,
  "Node readline + map, 'line' events": readlineOnLine,
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
    budget: 'lazy (forEach) within 1.5× of the plain loop, and faster than IxJS (forEach)',
    budgetMet: (ratios) => (ratios[lazyRow] ?? 0) >= 1 / 1.5 && (ratios[lazyRow] ?? 0) > (ratios[ixRow] ?? Infinity),
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

export const suite = lazySuite(Number(process.env.LAZY_POEM_MB ?? 10));

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

if (isMain(import.meta.url)) {
  await main();
}
