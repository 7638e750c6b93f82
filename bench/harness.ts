/**
 * The benchmark harness: for each scenario, one server process; for each run, one child process per
 * contender (the raw baseline, then every registered model), in interleaved order — raw, A, B, raw,
 * A, B … — so that drift in a shared machine's speed falls on everyone alike. Children are started
 * through `bash -c 'ulimit -n <hard limit>'` so a scenario with thousands of sockets gets every
 * descriptor the machine allows. Every run is verified (`verifyRun`); a contender with any failed run
 * gets no time. The result is a `BenchReport`: raw samples, medians, spread, ratios and environment.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { $, type ProcessPromise } from 'zx';
import type { MicroResult } from './micro-process.ts';
import type { ContenderRef, ModelJob, RecordedEvent, RunMeasure } from './model-process.ts';
import { planRun, type RunPlan, scenarioFigures, verifyRun } from './plan.ts';
import { type Goal, type ScenarioSpec, scenarioSpecs } from './scenarios.ts';
import type { ServersReady } from './server-process.ts';

export const projectRoot = fileURLToPath(new URL('../', import.meta.url));

/** A contender as the report names it. */
export interface Contender extends ContenderRef {
  readonly title: string;
  readonly kind: 'baseline' | 'model';
}

export interface BenchOptions {
  readonly quick: boolean;
  readonly runs: number;
  /** Scenario names or name prefixes (`many-fast` selects both many-fast scenarios); all when empty. */
  readonly scenarios?: readonly string[];
  /** Registered model names; all when empty. The raw baseline always runs: every ratio needs it. */
  readonly models?: readonly string[];
  /** Contenders from elsewhere (the tests' deliberately wrong model), run after the registered ones. */
  readonly extraContenders?: readonly Contender[];
  /** Skip the registry entirely (tests that only need the baseline and their own contenders). */
  readonly registry?: boolean;
  readonly micro: boolean;
  /** Micro modules to run (paths from the project root); default every `bench/micro/*.ts` suite. */
  readonly microModules?: readonly string[];
  /** Milliseconds of sampling per micro row. */
  readonly microRowMs?: number;
  /** Progress lines (the CLI sends them to stderr). */
  readonly progress?: (line: string) => void;
}

/** One run's figures. */
export interface Sample {
  readonly run: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly userMs: number;
  readonly systemMs: number;
  readonly maxRssMB: number;
  /** CPU time the server process spent during this run: when it nears the wall time, the servers are the limit. */
  readonly serverCpuMs: number;
  readonly bigMBps?: number;
  readonly lateMs?: number;
  readonly failures: readonly string[];
}

/** Medians over the runs, for the columns of the table. */
export interface Figures {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssMB: number;
  readonly serverCpuMs: number;
  readonly bigMBps?: number;
  readonly lateMs?: number;
}

export interface Row {
  readonly contender: string;
  readonly title: string;
  readonly kind: Contender['kind'];
  readonly status: 'ok' | 'failed' | 'skipped';
  /** Why it was skipped, or the first failures when it failed. */
  readonly notes: readonly string[];
  readonly samples: readonly Sample[];
  readonly median?: Figures;
  /** Fastest and slowest wall time over the runs, and their distance as a percentage of the median. */
  readonly spread?: { readonly minMs: number; readonly maxMs: number; readonly pct: number };
  readonly vsIdeal?: number;
  readonly vsRaw?: number;
  /** The progress events of the median run (scenarios that record events). */
  readonly timeline?: readonly RecordedEvent[];
}

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly tasks: number;
  readonly idealMs?: number;
  readonly sumMs?: number;
  readonly goal?: Goal;
  /** Task number → its group (`classic`, `big`, `slow`), so timelines can label tasks. */
  readonly taskGroups: readonly string[];
  readonly warnings: readonly string[];
  readonly rows: readonly Row[];
}

export interface Environment {
  readonly node: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGB: number;
  readonly gitCommit: string;
  readonly descriptorLimit: string;
  readonly hostname: string;
}

export interface BenchReport {
  readonly format: 'poetry-bench/1';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly quick: boolean;
  readonly runs: number;
  readonly environment: Environment;
  readonly scenarios: readonly ScenarioResult[];
  readonly micro: readonly MicroResult[];
  /** Things the reader should know about this run as a whole (peers that were not run, and why). */
  readonly notes: readonly string[];
}

const raiseLimit = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
const nodeWithTsx = [process.execPath, '--import', 'tsx'];

/** The raw baseline, then every registered model (optionally only the named ones), then any extras. */
export async function contenders(options: BenchOptions): Promise<Contender[]> {
  const raw: Contender = { name: 'raw', title: 'Raw Node net client (baseline)', kind: 'baseline' };
  const registered = options.registry === false ? [] : (await import('../poetry/models.ts')).models;
  const wanted = options.models?.filter((name) => name !== 'raw') ?? [];
  const unknown = wanted.filter((name) => !registered.some((model) => model.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown model ${unknown.join(', ')}; registered: ${registered.map((m) => m.name).join(', ') || '(none)'}`,
    );
  }
  // `--model raw` alone runs the baseline alone; no --model at all runs every registered model.
  const chosen = (options.models?.length ?? 0) === 0 ? registered : registered.filter((m) => wanted.includes(m.name));
  return [
    raw,
    ...chosen.map((model): Contender => ({ name: model.name, title: model.title, kind: 'model' })),
    ...(options.extraContenders ?? []),
  ];
}

export function selectScenarios(quick: boolean, names: readonly string[] = []): ScenarioSpec[] {
  const all = scenarioSpecs(quick);
  if (names.length === 0) return all;
  const chosen = all.filter((spec) => names.some((name) => spec.name === name || spec.name.startsWith(`${name}-`)));
  const unknown = names.filter((name) => !all.some((spec) => spec.name === name || spec.name.startsWith(`${name}-`)));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.join(', ')}; scenarios: ${all.map((s) => s.name).join(', ')}`);
  }
  return chosen;
}

async function shell(command: string): Promise<string> {
  const output = await $({ quiet: true, nothrow: true, cwd: projectRoot })`bash -c ${command}`;
  return output.stdout.trim();
}

export async function environment(): Promise<Environment> {
  const commit = await shell('git rev-parse --short HEAD 2>/dev/null && git status --porcelain 2>/dev/null | head -1');
  const [hash = 'unknown', dirty] = commit.split('\n');
  return {
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    gitCommit: dirty ? `${hash} (uncommitted changes)` : hash,
    descriptorLimit: await shell('echo "soft $(ulimit -Sn), hard $(ulimit -Hn); children get the hard limit"'),
    hostname: os.hostname(),
  };
}

async function hardDescriptorLimit(): Promise<number> {
  const text = await shell('ulimit -Hn');
  return text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text);
}

/** The running server process of a scenario: its endpoints, its CPU time so far, and how to stop it. */
interface Servers {
  readonly ready: ServersReady;
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the scenario's server process and waits for the line that names its endpoints. */
async function startServers(spec: ScenarioSpec): Promise<Servers> {
  const child: ProcessPromise = $({
    quiet: true,
    nothrow: true,
    cwd: projectRoot,
  })`bash -c ${raiseLimit} bash ${[...nodeWithTsx, 'bench/server-process.ts', JSON.stringify(spec.servers)]}`;
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const line = await lines.next();
    return line.done ? undefined : line.value;
  };
  const first = await nextLine();
  if (!first) {
    const output = await child;
    throw new Error(`the server process for ${spec.name} did not start: ${output.stderr.trim()}`);
  }
  return {
    ready: JSON.parse(first) as ServersReady,
    async cpuMs() {
      child.stdin.write('cpu\n');
      const line = await nextLine();
      return line ? (JSON.parse(line) as { cpuMs: number }).cpuMs : Number.NaN;
    },
    async stop() {
      child.stdin.end();
      await child;
    },
  };
}

async function runOnce(
  contender: Contender,
  spec: ScenarioSpec,
  plan: RunPlan,
  workDir: string,
  timeoutMs: number,
): Promise<RunMeasure | string> {
  const resultPath = path.join(workDir, `${spec.name}-${contender.name}.json`);
  rmSync(resultPath, { force: true });
  const job: ModelJob = {
    contender,
    addresses: plan.addresses,
    options: spec.options,
    events: spec.events,
    resultPath,
  };
  const jobPath = path.join(workDir, 'job.json');
  writeFileSync(jobPath, JSON.stringify(job));
  const output = await $({
    quiet: true,
    nothrow: true,
    cwd: projectRoot,
    timeout: timeoutMs,
  })`bash -c ${raiseLimit} bash ${[...nodeWithTsx, 'bench/model-process.ts', jobPath]}`;
  try {
    return JSON.parse(readFileSync(resultPath, 'utf8')) as RunMeasure;
  } catch {
    const why = output.signal ? `killed after ${timeoutMs / 1000} s without finishing` : `exit code ${output.exitCode}`;
    const stderr = output.stderr.trim().split('\n').slice(-3).join(' | ');
    return `the run did not complete (${why})${stderr ? `: ${stderr}` : ''}`;
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function optionalMedian(values: readonly (number | undefined)[]): number | undefined {
  const present = values.filter((value): value is number => value !== undefined);
  return present.length > 0 ? median(present) : undefined;
}

/** Turns a contender's samples into its row: medians and spread only when every run verified. */
function summarize(
  contender: Contender,
  samples: Sample[],
  timelines: Map<number, readonly RecordedEvent[]>,
  plan: RunPlan,
): Row {
  const base = { contender: contender.name, title: contender.title, kind: contender.kind, samples };
  // The same failure in every run is said once, with the runs it happened in.
  const runsByFailure = new Map<string, number[]>();
  for (const sample of samples) {
    for (const failure of sample.failures)
      runsByFailure.set(failure, [...(runsByFailure.get(failure) ?? []), sample.run]);
  }
  const failures = [...runsByFailure].map(
    ([failure, runs]) => `${runs.length > 1 ? 'runs' : 'run'} ${runs.join(', ')}: ${failure}`,
  );
  if (failures.length > 0) {
    const more = failures.length > 5 ? [`… and ${failures.length - 5} more`] : [];
    return { ...base, status: 'failed', notes: [...failures.slice(0, 5), ...more] };
  }
  const walls = samples.map((sample) => sample.wallMs);
  const wallMs = median(walls);
  const medianRun = [...samples].sort((a, b) => Math.abs(a.wallMs - wallMs) - Math.abs(b.wallMs - wallMs))[0]!;
  const bigMBps = optionalMedian(samples.map((sample) => sample.bigMBps));
  const lateMs = optionalMedian(samples.map((sample) => sample.lateMs));
  const timeline = timelines.get(medianRun.run);
  return {
    ...base,
    status: 'ok',
    notes: [],
    median: {
      wallMs,
      cpuMs: median(samples.map((sample) => sample.cpuMs)),
      maxRssMB: median(samples.map((sample) => sample.maxRssMB)),
      serverCpuMs: median(samples.map((sample) => sample.serverCpuMs)),
      ...(bigMBps !== undefined && { bigMBps }),
      ...(lateMs !== undefined && { lateMs }),
    },
    spread: {
      minMs: Math.min(...walls),
      maxMs: Math.max(...walls),
      pct: ((Math.max(...walls) - Math.min(...walls)) / wallMs) * 100,
    },
    ...(plan.idealMs !== undefined && { vsIdeal: wallMs / plan.idealMs }),
    ...(timeline && timeline.length > 0 && { timeline }),
  };
}

async function runScenario(
  spec: ScenarioSpec,
  all: readonly Contender[],
  options: BenchOptions,
  workDir: string,
  descriptorLimit: number,
): Promise<ScenarioResult> {
  const progress = options.progress ?? (() => {});
  const warnings: string[] = [];
  if (descriptorLimit < spec.descriptors + 64) {
    const warning =
      `WARNING: ${spec.name} needs about ${spec.descriptors + 64} descriptors per process but the hard limit is ` +
      `${descriptorLimit}; expect EMFILE failures. Raise the hard limit (nofile in /etc/security/limits.conf, ` +
      "or the container's --ulimit nofile), then run again.";
    warnings.push(warning);
    progress(warning);
  }
  const servers = await startServers(spec);
  try {
    const plan = planRun(spec, servers.ready);
    const running = all.filter((contender) => !spec.skip?.[contender.name]);
    const samples = new Map<string, Sample[]>(running.map((contender) => [contender.name, []]));
    const timelines = new Map<string, Map<number, readonly RecordedEvent[]>>(
      running.map((contender) => [contender.name, new Map()]),
    );
    const timeoutMs = Math.max(options.quick ? 20_000 : 60_000, (plan.idealMs ?? 0) * 20);
    for (let run = 1; run <= options.runs; run++) {
      for (const contender of running) {
        const serverCpuBefore = await servers.cpuMs();
        const measure = await runOnce(contender, spec, plan, workDir, timeoutMs);
        const serverCpuMs = (await servers.cpuMs()) - serverCpuBefore;
        const sample: Sample =
          typeof measure === 'string'
            ? {
                run,
                wallMs: NaN,
                cpuMs: NaN,
                userMs: NaN,
                systemMs: NaN,
                maxRssMB: NaN,
                serverCpuMs,
                failures: [measure],
              }
            : {
                run,
                wallMs: measure.wallMs,
                cpuMs: measure.userMs + measure.systemMs,
                userMs: measure.userMs,
                systemMs: measure.systemMs,
                maxRssMB: measure.maxRssMB,
                serverCpuMs,
                ...scenarioFigures(spec, plan, measure.events),
                failures: verifyRun(plan, measure),
              };
        samples.get(contender.name)!.push(sample);
        if (typeof measure !== 'string' && spec.events) timelines.get(contender.name)!.set(run, measure.events);
        const verdict =
          sample.failures.length === 0
            ? `${(sample.wallMs / 1000).toFixed(3)} s`
            : `FAILED: ${sample.failures[0]}${sample.failures.length > 1 ? ` (+${sample.failures.length - 1})` : ''}`;
        progress(`[${spec.name}] ${contender.name} run ${run}/${options.runs}: ${verdict}`);
      }
    }
    const rows = all.map((contender): Row => {
      const skipped = spec.skip?.[contender.name];
      if (skipped) {
        return {
          contender: contender.name,
          title: contender.title,
          kind: contender.kind,
          status: 'skipped',
          notes: [skipped],
          samples: [],
        };
      }
      return summarize(contender, samples.get(contender.name)!, timelines.get(contender.name)!, plan);
    });
    const rawWall = rows.find((row) => row.contender === 'raw')?.median?.wallMs;
    return {
      name: spec.name,
      title: spec.title,
      description: spec.description,
      tasks: plan.addresses.length,
      ...(plan.idealMs !== undefined && { idealMs: plan.idealMs }),
      ...(plan.sumMs !== undefined && { sumMs: plan.sumMs }),
      ...(spec.goal && { goal: spec.goal }),
      taskGroups: plan.expected.map((task) => task.group),
      warnings,
      rows: rows.map((row) =>
        row.median && rawWall !== undefined ? { ...row, vsRaw: row.median.wallMs / rawWall } : row,
      ),
    };
  } finally {
    await servers.stop();
  }
}

/** Every `bench/micro/*.ts` module except the suite shape itself. */
export function microModules(): string[] {
  return readdirSync(path.join(projectRoot, 'bench/micro'))
    .filter((file) => file.endsWith('.ts') && file !== 'suite.ts' && !file.endsWith('.test.ts'))
    .sort()
    .map((file) => `bench/micro/${file}`);
}

/** One module's micro-benchmarks may take this long; a slower one is stopped and reported, so the whole run stays bounded. */
const microModuleLimitMs = 60_000;

export async function runMicro(options: BenchOptions, workDir: string): Promise<MicroResult[]> {
  const progress = options.progress ?? (() => {});
  const results: MicroResult[] = [];
  const rowMs = options.microRowMs ?? (options.quick ? 30 : 200);
  for (const module of options.microModules ?? microModules()) {
    progress(`[micro] ${module}`);
    const resultPath = path.join(workDir, 'micro.json');
    rmSync(resultPath, { force: true });
    const output = await $({ quiet: true, nothrow: true, cwd: projectRoot, timeout: microModuleLimitMs })`${[
      ...nodeWithTsx,
      'bench/micro-process.ts',
      module,
      String(rowMs),
      resultPath,
    ]}`;
    try {
      results.push(...(JSON.parse(readFileSync(resultPath, 'utf8')) as MicroResult[]));
    } catch {
      const why = output.signal
        ? `stopped after ${microModuleLimitMs / 1000} s, the limit for one module`
        : `exit code ${output.exitCode}`;
      const stderr = output.stderr.trim().split('\n').slice(-2).join(' | ');
      const error = `${why}${stderr ? `: ${stderr}` : ''}`;
      results.push({ module, name: path.basename(module, '.ts'), description: '', baseline: '', rows: [], error });
    }
  }
  return results;
}

/**
 * The series' own clients (Twisted, Erlang) would join as peer rows; this harness does not run them
 * yet, so say plainly whether they could be, and how to install what is missing.
 */
async function peerNotes(): Promise<string[]> {
  const twisted = await shell("python3 -c 'import twisted; print(twisted.__version__)' 2>/dev/null");
  const escript = await shell('command -v escript');
  return [
    `peer rows outside TypeScript are not run by this harness yet; Twisted ${twisted ? `${twisted} is installed` : 'is not installed (apt-get install python3-twisted)'}, ` +
      `Erlang escript ${escript ? 'is installed' : 'is not installed (apt-get install erlang-nox)'}. The series' own figures are in shared/specs/peers.md.`,
  ];
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const specs = selectScenarios(options.quick, options.scenarios);
  const all = await contenders(options);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'poetry-bench-'));
  try {
    const descriptorLimit = await hardDescriptorLimit();
    const scenarios: ScenarioResult[] = [];
    for (const spec of specs) scenarios.push(await runScenario(spec, all, options, workDir, descriptorLimit));
    const micro = options.micro ? await runMicro(options, workDir) : [];
    return {
      format: 'poetry-bench/1',
      startedAt,
      finishedAt: new Date().toISOString(),
      quick: options.quick,
      runs: options.runs,
      environment: await environment(),
      scenarios,
      micro,
      notes: await peerNotes(),
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
