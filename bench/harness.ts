/**
 * The benchmark harness: for each scenario, one server process; for each run, one child process per
 * contender (the raw baseline, then every registered model), in interleaved order — raw, A, B, raw,
 * A, B … — so that drift in a shared machine's speed falls on everyone alike. Children are started
 * through `bash -c 'ulimit -n <hard limit>'` so a scenario with thousands of sockets gets every
 * descriptor the machine allows. Where the machine has two cores and `taskset`, the server process
 * runs on one core and every measured client on another (`pinning.ts`), so that they do not take
 * each other's CPU time; the report's environment says whether they did. Every run is verified (`verifyRun`); a contender with any failed run
 * gets no time. The result is a `BenchReport`: raw samples, medians, spread, ratios and environment.
 *
 * Aborting the options' `signal` (Ctrl-C) kills the running child, stops the server process, removes
 * the work folder, and rejects with the signal's reason: nothing of the bench outlives it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';
import { UsageError } from '../harness/command-line.ts';
import type { Matrix } from '../harness/matrix/cell.ts';
import { formatAddress } from '../poetry/contract.ts';
import type { MicroResult } from './micro-process.ts';
import type { ContenderRef, ModelJob, RecordedEvent, RunMeasure } from './model-process.ts';
import {
  ancestorGoalScenarios,
  ancestorOf,
  checkPeer,
  exitCodeProblem,
  installHint,
  peerArguments,
  peerMeasure,
  peers,
  readPeerDocument,
} from './peers/peers.ts';
import { choosePinning, clientCoreFor, clientCoresNote, type Pinning, pinnedArgv } from './pinning.ts';
import { planRun, type RunPlan, scenarioFigures, verifyRun } from './plan.ts';
import { type Goal, type ScenarioSpec, scenarioSpecs } from './scenarios.ts';
import type { ServersReady } from './server-process.ts';
import {
  combine,
  median,
  minRoundsForVerdict,
  type PairedRatio,
  pairedRatio,
  roundRatios,
  type Verdict,
  verdict,
} from './stats.ts';

export const projectRoot = fileURLToPath(new URL('../', import.meta.url));

/** A contender as the report names it. */
export interface Contender extends ContenderRef {
  readonly title: string;
  /** A peer is one of our clients in another language (`peers/`), run as a subprocess of its own. */
  readonly kind: 'baseline' | 'model' | 'peer';
  /** A peer's command line before its own arguments, when it is ready here. */
  readonly peerArgv?: readonly string[];
  /** Why a peer cannot run here: its row is skipped with the install hint. */
  readonly missing?: string;
}

/** Rounds of a full run: enough for the paired ratios' interval to decide most goals (see `stats.ts`). */
export const defaultRounds = 5;

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
  /** Aborted: stop at once, leaving nothing behind (the runBench promise rejects with the reason). */
  readonly signal?: AbortSignal;
  /** Pin the servers and the clients to different cores where the machine allows (default); false: `--no-pin`. */
  readonly pin?: boolean;
  /** Run the peers too (`--peers`): our Twisted, Erlang and Haskell clients, in the same rounds. */
  readonly peers?: boolean;
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
  /** From starting the process to just before its first connect: Node and the model's modules, or a peer's VM. */
  readonly startupMs?: number;
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
  readonly startupMs?: number;
  readonly bigMBps?: number;
  readonly lateMs?: number;
}

/** A model beside the peer it descends from, paired per round like the ratios to raw. */
export interface VersusAncestor {
  readonly peer: string;
  /** Per-round wall time of the model ÷ its ancestor's: below 1, the model is faster. */
  readonly wall: PairedRatio;
  /** Where the scenario holds models to beating their ancestor: `met` when the whole interval is below 1. */
  readonly verdict?: Verdict;
}

/** A row's paired ratios to the raw baseline. */
export interface Paired {
  readonly wall: PairedRatio;
  readonly cpu: PairedRatio;
  /** Peak RSS; reports from before it was paired have only wall and CPU. */
  readonly rss?: PairedRatio;
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
  /** Median wall time ÷ the raw baseline's median (reports from before `paired` have only this). */
  readonly vsRaw?: number;
  /** Per-round ratios to the raw baseline of the same round, wall and CPU (user+sys): median and 95% interval. */
  readonly paired?: Paired;
  /** A judged model's standing against the scenario's goal (see `judge`). */
  readonly verdict?: Verdict;
  /** A model beside its ancestor peer, when both ran and verified. */
  readonly vsAncestor?: VersusAncestor;
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
  /** Where the servers and clients ran; absent in reports from before the bench pinned. */
  readonly pinning?: Pinning;
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
  /** Things the reader should know about this run as a whole (that peers are not part of it yet). */
  readonly notes: readonly string[];
  /** The newest comparison matrix saved beside the report (`npm run matrix`), and its file. */
  readonly matrix?: { readonly file: string; readonly matrix: Matrix };
}

const raiseLimit = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
const nodeWithTsx = [process.execPath, '--import', 'tsx'];

/** The raw baseline, then every registered model (optionally only the named ones), then any extras. */
export async function contenders(options: BenchOptions): Promise<Contender[]> {
  const raw: Contender = { name: 'raw', title: 'Raw Node net client (baseline)', kind: 'baseline' };
  const registered = options.registry === false ? [] : (await import('../harness/registry.ts')).models;
  const wanted = options.models?.filter((name) => name !== 'raw') ?? [];
  const unknown = wanted.filter((name) => !registered.some((model) => model.name === name));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown model ${unknown.join(', ')}; registered: ${registered.map((m) => m.name).join(', ') || '(none)'}`,
    );
  }
  // `--model raw` alone runs the baseline alone; no --model at all runs every registered model.
  const chosen = (options.models?.length ?? 0) === 0 ? registered : registered.filter((m) => wanted.includes(m.name));
  const modelRows = chosen.map((model): Contender => ({ name: model.name, title: model.title, kind: 'model' }));
  return [
    raw,
    ...besideDescendants(modelRows, options.peers ? await peerContenders() : []),
    ...(options.extraContenders ?? []),
  ];
}

/** The models with each peer right after its last descendant, so tables set them side by side; the rest at the end. */
function besideDescendants(models: readonly Contender[], peerRows: readonly Contender[]): Contender[] {
  const placed = new Set<string>();
  const ordered = models.flatMap((model, index) => {
    const later = models.slice(index + 1);
    const here = peerRows.filter(
      (peer) =>
        ancestorOf(model.name)?.name === peer.name && !later.some((next) => ancestorOf(next.name)?.name === peer.name),
    );
    for (const peer of here) placed.add(peer.name);
    return [model, ...here];
  });
  return [...ordered, ...peerRows.filter((peer) => !placed.has(peer.name))];
}

/** Every peer: ready ones with the command that runs them, the others with why not (their rows say so). */
async function peerContenders(): Promise<Contender[]> {
  return Promise.all(
    peers.map(async (peer): Promise<Contender> => {
      const state = await checkPeer(peer);
      return state.ready
        ? { name: peer.name, title: `${peer.title}; ${state.runtime}`, kind: 'peer', peerArgv: state.argv }
        : { name: peer.name, title: peer.title, kind: 'peer', missing: state.why };
    }),
  );
}

export function selectScenarios(quick: boolean, names: readonly string[] = []): ScenarioSpec[] {
  const all = scenarioSpecs(quick);
  if (names.length === 0) return all;
  const chosen = all.filter((spec) => names.some((name) => spec.name === name || spec.name.startsWith(`${name}-`)));
  const unknown = names.filter((name) => !all.some((spec) => spec.name === name || spec.name.startsWith(`${name}-`)));
  if (unknown.length > 0) {
    throw new UsageError(`unknown scenario ${unknown.join(', ')}; scenarios: ${all.map((s) => s.name).join(', ')}`);
  }
  return chosen;
}

async function shell(command: string): Promise<string> {
  const output = await $({ quiet: true, nothrow: true, cwd: projectRoot })`bash -c ${command}`;
  return output.stdout.trim();
}

export async function environment(pinning: Pinning): Promise<Environment> {
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
    pinning,
  };
}

/** The machine's pinning as `choosePinning` decides it, looking for `taskset` only when it could matter. */
async function machinePinning(wanted: boolean): Promise<Pinning> {
  const cores = os.availableParallelism();
  const taskset = wanted && cores >= 2 && (await shell('command -v taskset')) !== '';
  return choosePinning(cores, taskset, wanted);
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

/** How a child process ended, with what it said on stderr. */
interface ChildEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  /** What it printed, when started with `stdout: 'collect'` (a peer's document). */
  readonly stdout: string;
}

/**
 * Starts a child of the bench from the project root. Its stderr is collected (an unread pipe would
 * fill and stall it); `ended` settles once it has exited and its pipes are closed, so a caller that
 * awaits it knows the process is gone. `timeoutMs` and `signal` kill it (SIGTERM).
 */
function startChild(
  args: readonly string[],
  options: {
    readonly pipes?: boolean;
    readonly collect?: boolean;
    readonly timeoutMs?: number;
    readonly signal?: AbortSignal | undefined;
  },
): { readonly child: ChildProcess; readonly ended: Promise<ChildEnd> } {
  const [command = 'bash', ...rest] = args;
  const child = spawn(command, rest, {
    cwd: projectRoot,
    stdio: [options.pipes ? 'pipe' : 'ignore', options.pipes || options.collect ? 'pipe' : 'ignore', 'pipe'],
    ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs }),
    ...(options.signal && { signal: options.signal }),
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  let stdout = '';
  if (options.collect) {
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
  }
  // The child may be gone (Ctrl-C reaches it too) when the bench writes to it; how it ended says why.
  child.stdin?.on('error', () => {});
  const ended = new Promise<ChildEnd>((resolve, reject) => {
    child.once('error', (error) => {
      // An abort kills the child; 'close' follows and says how it ended.
      if (error.name !== 'AbortError') reject(error);
    });
    child.once('close', (code, signal) => resolve({ code, signal, stderr, stdout }));
  });
  return { child, ended };
}

/** `node --import tsx <script> <args>` under a raised descriptor limit (`exec` keeps it one process). */
const underRaisedLimit = (script: string, ...args: string[]) => [
  'bash',
  '-c',
  raiseLimit,
  'bash',
  ...nodeWithTsx,
  script,
  ...args,
];

/** Starts the scenario's server process (on `core`, if pinned) and waits for the line that names its endpoints. */
async function startServers(spec: ScenarioSpec, core: number | undefined): Promise<Servers> {
  const argv = pinnedArgv(core, underRaisedLimit('bench/server-process.ts', JSON.stringify(spec.servers)));
  const { child, ended } = startChild(argv, { pipes: true });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const line = await lines.next();
    return line.done ? undefined : line.value;
  };
  const first = await nextLine();
  if (!first) {
    const output = await ended;
    throw new Error(`the server process for ${spec.name} did not start: ${output.stderr.trim()}`);
  }
  return {
    ready: JSON.parse(first) as ServersReady,
    async cpuMs() {
      child.stdin!.write('cpu\n');
      const line = await nextLine();
      return line ? (JSON.parse(line) as { cpuMs: number }).cpuMs : Number.NaN;
    },
    async stop() {
      child.stdin!.end();
      await ended;
    },
  };
}

/** What every run of a scenario shares: where it runs, how long it may take, on which core. */
interface RunSetting {
  readonly spec: ScenarioSpec;
  readonly plan: RunPlan;
  readonly workDir: string;
  readonly timeoutMs: number;
  readonly options: BenchOptions;
  readonly core: number | undefined;
}

async function runOnce(contender: Contender, setting: RunSetting): Promise<Measured | string> {
  if (contender.kind === 'peer') return runPeerOnce(contender, setting);
  const { spec, plan, workDir, timeoutMs, options, core } = setting;
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
  const argv = pinnedArgv(core, underRaisedLimit('bench/model-process.ts', jobPath));
  const spawnedAtMs = Date.now();
  const output = await startChild(argv, { timeoutMs, signal: options.signal }).ended;
  try {
    const measure = JSON.parse(readFileSync(resultPath, 'utf8')) as RunMeasure;
    return {
      measure,
      problems: [],
      ...(measure.startedAtMs !== undefined && { startupMs: measure.startedAtMs - spawnedAtMs }),
    };
  } catch {
    return incomplete(output, timeoutMs);
  }
}

/** A run, with what the harness found wrong beyond its results, and its start-up when known. */
interface Measured {
  readonly measure: RunMeasure;
  readonly problems: readonly string[];
  readonly startupMs?: number;
}

function incomplete(output: ChildEnd, timeoutMs: number): string {
  const why = output.signal ? `killed after ${timeoutMs / 1000} s without finishing` : `exit code ${output.code}`;
  const stderr = output.stderr.trim().split('\n').slice(-3).join(' | ');
  return `the run did not complete (${why})${stderr ? `: ${stderr}` : ''}`;
}

/**
 * One run of a peer: its addresses in a file (thousands do not fit a command line), started like a
 * model (pinned, under the raised descriptor limit), its document read from its stdout. Start-up is
 * from the spawn to the instant the peer says it was about to connect.
 */
async function runPeerOnce(contender: Contender, setting: RunSetting): Promise<Measured | string> {
  const { spec, plan, workDir, timeoutMs, options, core } = setting;
  const addressFile = path.join(workDir, `${spec.name}-addresses.txt`);
  writeFileSync(addressFile, `${plan.addresses.map(formatAddress).join('\n')}\n`);
  const argv = [...(contender.peerArgv ?? []), ...peerArguments(spec.options, addressFile)];
  const spawnedAtMs = Date.now();
  const output = await startChild(pinnedArgv(core, ['bash', '-c', raiseLimit, 'bash', ...argv]), {
    collect: true,
    timeoutMs,
    signal: options.signal,
  }).ended;
  if (output.signal || output.stdout.trim() === '') return incomplete(output, timeoutMs);
  const document = readPeerDocument(output.stdout);
  if (typeof document === 'string') return `${contender.name}: ${document}`;
  const problem = exitCodeProblem(document, output.code);
  return {
    measure: peerMeasure(document),
    problems: problem === undefined ? [] : [problem],
    startupMs: document.startedAtMs - spawnedAtMs,
  };
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
  const startupMs = optionalMedian(samples.map((sample) => sample.startupMs));
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
      ...(startupMs !== undefined && { startupMs }),
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

/** A verified row beside the verified raw baseline: the ratio of medians, and the paired per-round ratios. */
function versusRaw(row: Row, raw: Row): Row {
  const paired = (measure: (sample: Sample) => number) => {
    const values = (samples: readonly Sample[]) =>
      samples.map((sample) => ({ run: sample.run, value: measure(sample) }));
    return pairedRatio(roundRatios(values(row.samples), values(raw.samples)));
  };
  const wall = paired((sample) => sample.wallMs);
  const cpu = paired((sample) => sample.cpuMs);
  const rss = paired((sample) => sample.maxRssMB);
  return {
    ...row,
    vsRaw: row.median!.wallMs / raw.median!.wallMs,
    ...(wall && cpu && rss && { paired: { wall, cpu, rss } }),
  };
}

/** A judged model against a goal: every measure the goal limits, each judged on its interval. */
export function judge(paired: Paired, goal: Goal): Verdict {
  return combine(
    goal.limits.map(({ measure, atMost }) => {
      const ratio = paired[measure];
      return ratio ? verdict(ratio, atMost) : 'undecided';
    }),
  );
}

/** The row, with its verdict when the scenario's goal judges it and it has paired ratios. */
function judged(row: Row, goal: Goal | undefined): Row {
  return goal?.judged.includes(row.contender) && row.paired ? { ...row, verdict: judge(row.paired, goal) } : row;
}

/** The contenders that run in a scenario (the others are skipped there, with a reason; a peer not installed too). */
function runningIn(spec: ScenarioSpec, all: readonly Contender[]): Contender[] {
  return all.filter((contender) => !spec.skip?.[contender.name] && contender.missing === undefined);
}

/**
 * A verified model beside its verified ancestor peer in the same run: the per-round ratio of their
 * wall times, and where the scenario asks it (`ancestorGoalScenarios`), whether the model beats it.
 */
function besideAncestor(row: Row, rows: readonly Row[], scenario: string): Row {
  const peer = row.kind === 'model' ? ancestorOf(row.contender) : undefined;
  const ancestor = rows.find((other) => other.kind === 'peer' && other.contender === peer?.name);
  if (!ancestor?.median || !row.median) return row;
  const walls = (samples: readonly Sample[]) => samples.map((sample) => ({ run: sample.run, value: sample.wallMs }));
  const wall = pairedRatio(roundRatios(walls(row.samples), walls(ancestor.samples)));
  if (!wall) return row;
  const judgedHere = ancestorGoalScenarios.includes(scenario);
  // Faster is below 1, strictly: verdict's limit is inclusive, so the limit is the number just under 1.
  const beats = judgedHere ? verdict(wall, 1 - Number.EPSILON) : undefined;
  return { ...row, vsAncestor: { peer: ancestor.contender, wall, ...(beats && { verdict: beats }) } };
}

/**
 * Progress lines that say where a long bench is: each starts with the time since the start, and a
 * line about one unit of work (a measured run, a micro module) with its number of all of them.
 */
export class Progress {
  #done = 0;
  readonly #start = performance.now();
  readonly #write: (line: string) => void;
  readonly #total: number;

  constructor(write: (line: string) => void, total: number) {
    this.#write = write;
    this.#total = total;
  }

  note(line: string): void {
    this.#write(`[${this.#clock()}] ${line}`);
  }

  step(line: string): void {
    this.#done++;
    this.#write(`[${this.#clock()} · ${this.#done}/${this.#total}] ${line}`);
  }

  #clock(): string {
    const seconds = Math.floor((performance.now() - this.#start) / 1000);
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  }
}

async function runScenario(
  spec: ScenarioSpec,
  all: readonly Contender[],
  options: BenchOptions,
  workDir: string,
  descriptorLimit: number,
  pinning: Pinning,
  progress: Progress,
): Promise<ScenarioResult> {
  const warnings: string[] = [];
  if (descriptorLimit < spec.descriptors + 64) {
    const warning =
      `WARNING: ${spec.name} needs about ${spec.descriptors + 64} descriptors per process but the hard limit is ` +
      `${descriptorLimit}; expect EMFILE failures. Raise the hard limit (nofile in /etc/security/limits.conf, ` +
      "or the container's --ulimit nofile), then run again.";
    warnings.push(warning);
    progress.note(warning);
  }
  const servers = await startServers(spec, pinning.serverCore);
  try {
    const plan = planRun(spec, servers.ready);
    const running = runningIn(spec, all);
    const samples = new Map<string, Sample[]>(running.map((contender) => [contender.name, []]));
    const timelines = new Map<string, Map<number, readonly RecordedEvent[]>>(
      running.map((contender) => [contender.name, new Map()]),
    );
    const timeoutMs = Math.max(options.quick ? 20_000 : 60_000, (plan.idealMs ?? 0) * 20);
    const core = clientCoreFor(pinning, spec.clientCores);
    const coresNote = clientCoresNote(pinning, spec.clientCores);
    if (coresNote !== undefined) progress.note(`${spec.name}: ${coresNote}`);
    const setting: RunSetting = { spec, plan, workDir, timeoutMs, options, core };
    // The servers' process has just started and serves its first connections cold: one run of the
    // raw client, not counted, warms it. Without it round 1's raw run stood out (many-slow 1,405 ms
    // against 1,249–1,254 in rounds 2–5, many-slow-5000 2,199 against 1,696–1,953 ms on 2 December),
    // and every model's round-1 ratio to it came out flattered.
    const warmer = running.find((contender) => contender.name === 'raw');
    if (warmer !== undefined) {
      const warmed = await runOnce(warmer, setting);
      options.signal?.throwIfAborted();
      progress.note(`[${spec.name}] warm-up run of raw, not counted${typeof warmed === 'string' ? `: ${warmed}` : ''}`);
    }
    for (let run = 1; run <= options.runs; run++) {
      for (const contender of running) {
        const serverCpuBefore = await servers.cpuMs();
        const measured = await runOnce(contender, setting);
        // A run killed by Ctrl-C is no failure of the model: the bench is stopping.
        options.signal?.throwIfAborted();
        const serverCpuMs = (await servers.cpuMs()) - serverCpuBefore;
        const sample: Sample =
          typeof measured === 'string'
            ? {
                run,
                wallMs: NaN,
                cpuMs: NaN,
                userMs: NaN,
                systemMs: NaN,
                maxRssMB: NaN,
                serverCpuMs,
                failures: [measured],
              }
            : {
                run,
                wallMs: measured.measure.wallMs,
                cpuMs: measured.measure.userMs + measured.measure.systemMs,
                userMs: measured.measure.userMs,
                systemMs: measured.measure.systemMs,
                maxRssMB: measured.measure.maxRssMB,
                serverCpuMs,
                ...(measured.startupMs !== undefined && { startupMs: measured.startupMs }),
                ...scenarioFigures(spec, plan, measured.measure.events),
                failures: [...verifyRun(plan, measured.measure), ...measured.problems],
              };
        samples.get(contender.name)!.push(sample);
        if (typeof measured !== 'string' && spec.events) {
          timelines.get(contender.name)!.set(run, measured.measure.events);
        }
        const verdict =
          sample.failures.length === 0
            ? `${(sample.wallMs / 1000).toFixed(3)} s`
            : `FAILED: ${sample.failures[0]}${sample.failures.length > 1 ? ` (+${sample.failures.length - 1})` : ''}`;
        progress.step(`[${spec.name}] ${contender.name} run ${run}/${options.runs}: ${verdict}`);
      }
    }
    const rows = all.map((contender): Row => {
      const skipped = spec.skip?.[contender.name] ?? (contender.missing && `${installHint} (${contender.missing})`);
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
    const raw = rows.find((row) => row.contender === 'raw');
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
      rows: rows
        .map((row) => judged(raw?.median && row.median && row !== raw ? versusRaw(row, raw) : row, spec.goal))
        .map((row) => besideAncestor(row, rows, spec.name)),
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

export async function runMicro(
  options: BenchOptions,
  workDir: string,
  progress = new Progress(options.progress ?? (() => {}), (options.microModules ?? microModules()).length),
): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  const rowMs = options.microRowMs ?? (options.quick ? 30 : 200);
  for (const module of options.microModules ?? microModules()) {
    progress.step(`[micro] ${module}`);
    const resultPath = path.join(workDir, 'micro.json');
    rmSync(resultPath, { force: true });
    const output = await startChild([...nodeWithTsx, 'bench/micro-process.ts', module, String(rowMs), resultPath], {
      timeoutMs: microModuleLimitMs,
      signal: options.signal,
    }).ended;
    options.signal?.throwIfAborted();
    try {
      results.push(...(JSON.parse(readFileSync(resultPath, 'utf8')) as MicroResult[]));
    } catch {
      const why = output.signal
        ? `stopped after ${microModuleLimitMs / 1000} s, the limit for one module`
        : `exit code ${output.code}`;
      const stderr = output.stderr.trim().split('\n').slice(-2).join(' | ');
      const error = `${why}${stderr ? `: ${stderr}` : ''}`;
      results.push({ module, name: path.basename(module, '.ts'), description: '', baseline: '', rows: [], error });
    }
  }
  return results;
}

/** Said in every report, so nobody looks for rows that are not there, or takes a peer's figure for what it is not. */
function peersNote(included: boolean): string {
  return included
    ? "peers: our own Twisted, Erlang and Haskell clients (bench/peers/) ran in the same rounds; a peer's wall time " +
        'is its own, from just before its first connect to its last result, CPU and peak RSS its own report; ' +
        'start-up (the interpreter or VM) is apart, in its own column.'
    : 'peers: not in this run; every row is a TypeScript model of this project or the raw Node client ' +
        '(`--peers` adds our Twisted, Erlang and Haskell clients).';
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const specs = selectScenarios(options.quick, options.scenarios);
  const all = await contenders(options);
  const modules = options.micro ? (options.microModules ?? microModules()) : [];
  const runs = specs.reduce((sum, spec) => sum + runningIn(spec, all).length * options.runs, 0);
  const progress = new Progress(options.progress ?? (() => {}), runs + modules.length);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'poetry-bench-'));
  try {
    const descriptorLimit = await hardDescriptorLimit();
    const pinning = await machinePinning(options.pin !== false);
    progress.note(pinning.note);
    const scenarios: ScenarioResult[] = [];
    for (const spec of specs) {
      options.signal?.throwIfAborted();
      scenarios.push(await runScenario(spec, all, options, workDir, descriptorLimit, pinning, progress));
    }
    const micro = options.micro ? await runMicro({ ...options, microModules: modules }, workDir, progress) : [];
    return {
      format: 'poetry-bench/1',
      startedAt,
      finishedAt: new Date().toISOString(),
      quick: options.quick,
      runs: options.runs,
      environment: await environment(pinning),
      scenarios,
      micro,
      notes: [
        peersNote(options.peers === true),
        ...(options.runs < minRoundsForVerdict
          ? [
              `verdicts need ${minRoundsForVerdict} rounds or more; with ${options.runs}, every goal's verdict is undecided ` +
                `(a full run has ${defaultRounds}: \`--runs\` sets them).`,
            ]
          : []),
      ],
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
