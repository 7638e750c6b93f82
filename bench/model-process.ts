/**
 * One measured run: a child process that loads one contender (a registered model, the raw baseline,
 * or a model from a module path — the tests use that for a deliberately wrong model), fetches the
 * scenario's poems once and writes what happened to a JSON file.
 *
 * Running each run in a fresh process gives every contender the same cold start and makes its CPU
 * time (`process.cpuUsage`) and peak memory (`maxRSS`) its own. The clock starts after the model's
 * modules are loaded and stops when `getPoems` resolves; the poems are hashed and the leak check is
 * made only after that, so neither is counted. Whether the hashes are right is decided by the
 * harness against what the server process published, not here.
 *
 * Usage: `node --import tsx bench/model-process.ts <job.json>`
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { type AnalyseOptions, analysePoem } from '../poetry/analyse.ts';
import type { Address, GetPoemsOptions, Model, PoetryEvent } from '../poetry/contract.ts';
import { activeResources, resourcesLeftSince } from '../poetry/leaks.ts';

/** Who runs: `raw`, a registry name, or `exportName` from `module` (a path from the project root). */
export interface ContenderRef {
  readonly name: string;
  readonly module?: string;
  readonly exportName?: string;
}

export interface ModelJob {
  readonly contender: ContenderRef;
  readonly addresses: readonly Address[];
  readonly options: { readonly concurrency?: number; readonly timeoutMs?: number; readonly analyse?: AnalyseOptions };
  readonly events: boolean;
  readonly resultPath: string;
}

/** What one task ended with, reduced to what can be checked: the poem's length and hash, or the error code. */
export type TaskDigest =
  | {
      readonly ok: true;
      readonly address: string;
      readonly bytes: number;
      readonly sha256: string;
      /** With the CPU step asked for: whether the poem's `analysis` is the analysis of the poem handed back. */
      readonly analysed?: boolean;
    }
  | { readonly ok: false; readonly address: string; readonly code: string; readonly message: string };

/** A progress event, its time in ms since the run started. */
export interface RecordedEvent {
  readonly type: PoetryEvent['type'];
  readonly task: number;
  readonly bytes: number;
  readonly at: number;
}

export interface RunMeasure {
  readonly wallMs: number;
  readonly userMs: number;
  readonly systemMs: number;
  readonly maxRssMB: number;
  readonly results: readonly TaskDigest[];
  readonly events: readonly RecordedEvent[];
  /** Sockets and timers still open after the run, by kind (nothing should be). */
  readonly leaked: Readonly<Record<string, number>>;
  /** Set when `getPoems` broke the contract by rejecting. */
  readonly rejected?: string;
  /** The wall-clock instant (ms since the epoch) the clock started: the harness counts start-up up to it. */
  readonly startedAtMs?: number;
}

const projectRoot = new URL('../', import.meta.url);

async function loadContender(ref: ContenderRef): Promise<Model> {
  if (ref.module) {
    const loaded = (await import(new URL(ref.module, projectRoot).href)) as Record<string, Model>;
    const model = loaded[ref.exportName ?? 'model'];
    if (!model) throw new Error(`${ref.module} exports no model called ${ref.exportName ?? 'model'}`);
    return model;
  }
  if (ref.name === 'raw') return (await import('./raw-client.ts')).rawClient;
  return (await import('../harness/model-list.ts')).loadModel(ref.name);
}

/** The kinds of resource a client could leave behind. */
const leakKinds = new Set(['TCPSocketWrap', 'TCPWrap', 'Timeout', 'Immediate']);

/** What the client left open since `before`, among the kinds a client could leave behind. */
async function leakedSince(before: ReadonlyMap<string, number>): Promise<Record<string, number>> {
  return Object.fromEntries(await resourcesLeftSince(before, 1000, leakKinds));
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ModelJob;
  const model = await loadContender(job.contender);
  const events: RecordedEvent[] = [];
  let start = 0;
  const options: GetPoemsOptions = {
    ...job.options,
    ...(job.events && {
      onEvent: (event: PoetryEvent) =>
        events.push({
          type: event.type,
          task: event.task,
          bytes: 'bytes' in event ? event.bytes : 0,
          at: event.at - start,
        }),
    }),
  };
  const before = activeResources();

  start = performance.now();
  const cpuBefore = process.cpuUsage();
  let rejected: string | undefined;
  const results = await model.getPoems(job.addresses, options).catch((error: unknown) => {
    rejected = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return [];
  });
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - start;
  const maxRssMB = process.resourceUsage().maxRSS / 1024;

  const analyse = job.options.analyse;
  const digests: TaskDigest[] = results.map((result) =>
    result.ok
      ? {
          ok: true,
          address: result.address,
          bytes: Buffer.byteLength(result.poem),
          sha256: createHash('sha256').update(result.poem).digest('hex'),
          ...(analyse && { analysed: isDeepStrictEqual(result.analysis, analysePoem(result.poem, analyse.rounds)) }),
        }
      : { ok: false, address: result.address, code: result.error.code, message: result.error.message },
  );
  const measure: RunMeasure = {
    wallMs,
    userMs: cpu.user / 1000,
    systemMs: cpu.system / 1000,
    maxRssMB,
    results: digests,
    events,
    leaked: await leakedSince(before),
    startedAtMs: performance.timeOrigin + start,
    ...(rejected !== undefined && { rejected }),
  };
  writeFileSync(job.resultPath, JSON.stringify(measure));
  // A model that leaked a socket or timer would keep the process alive; the leak is reported, the run ends.
  process.exit(0);
}

// If nothing is left to do while getPoems is still pending, its promise can never settle: say so, not just exit.
process.once('beforeExit', () => {
  process.stderr.write('getPoems never settled: the event loop ran out of work with the promise still pending\n');
  process.exit(3);
});

main().catch((error: unknown) => {
  process.stderr.write(`model process: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
