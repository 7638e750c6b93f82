/**
 * The end-to-end scenarios: which servers each one starts, which addresses the client is given,
 * what every result must be, and what the ideal time is. The harness, the server process and the
 * model process all read these plain descriptions, so a scenario is defined once, here.
 *
 * Each scenario has a full size (the default `npm run bench`) and a quick size (`--quick`, about a minute in all,
 * for CI and the tests); the quick size keeps the same shape with fewer connections and faster
 * schedules, so a quick run exercises exactly the code paths a full run measures.
 */

import type { AnalyseOptions } from '../poetry/analyse.ts';
import type { PoetryErrorCode } from '../poetry/contract.ts';
import type { PoemName } from '../poetry/poems/index.ts';
import { peerNames } from './peers/peers.ts';
import type { ClientCores } from './pinning.ts';

/** Where a server's poem comes from: one of the project's poems, or generated verse of an exact size. */
export type PoemSource = { readonly name: PoemName } | { readonly generated: number; readonly seed?: number };

/** One group of servers, started together in the server process. */
export type ServerSpec =
  | { readonly kind: 'classic'; readonly speedup: number }
  | {
      readonly kind: 'slow';
      readonly poem: PoemSource;
      readonly numBytes: number;
      readonly delay: number;
      readonly count?: number;
    }
  | { readonly kind: 'fast'; readonly poem: PoemSource; readonly count?: number }
  | { readonly kind: 'faulty'; readonly mode: 'reset' | 'stall' | 'bad-utf8'; readonly count?: number }
  | { readonly kind: 'refused' };

/** A group of tasks: `count` addresses taken round-robin from the group's servers, all expecting the same outcome. */
export interface TaskGroup {
  readonly group: string;
  readonly count: number;
  /** Omitted: the poem, byte-exact. Otherwise the error code every one of these tasks must fail with. */
  readonly failsWith?: PoetryErrorCode;
}

export interface ScenarioSpec {
  readonly name: string;
  readonly title: string;
  /** What it measures and why, for the report. */
  readonly description: string;
  readonly servers: Readonly<Record<string, ServerSpec>>;
  readonly tasks: readonly TaskGroup[];
  readonly options: {
    readonly concurrency?: number;
    readonly timeoutMs?: number;
    /** The CPU step on every poem (the `cpu` scenario). */
    readonly analyse?: AnalyseOptions;
  };
  /** Record chunk events: the classic timeline, the big scenario's fairness. Off elsewhere, to keep runs light. */
  readonly events: boolean;
  /** The group whose poem is the big one: its throughput is reported. */
  readonly bigGroup?: string;
  /** Groups of slow servers whose chunks' lateness is reported (fairness while something floods). */
  readonly lateGroups?: readonly string[];
  /** Report the sum of the slow schedules too (what a blocking client needs). */
  readonly reportSum?: boolean;
  /** Models that are left out, with the reason shown in the table. */
  readonly skip?: Readonly<Record<string, string>>;
  /**
   * Where the clients run when the bench pins (`clientCoreFor` in pinning.ts): on the client core
   * (default), or on `every` core, for a scenario that measures what more cores buy.
   */
  readonly clientCores?: ClientCores;
  /** Descriptors the client needs at once (sockets), for the ulimit warning. */
  readonly descriptors: number;
  /** The target the judged models are held to. */
  readonly goal?: Goal;
}

/** What a goal can hold a model to: wall time, CPU time (user+sys), or peak resident memory. */
export type GoalMeasure = 'wall' | 'cpu' | 'rss';

/** One measure of a goal: the model's paired ratio to the raw baseline on it may be at most `atMost`. */
export interface GoalLimit {
  readonly measure: GoalMeasure;
  readonly atMost: number;
}

/**
 * Each judged model's paired ratio to the raw baseline (the median over rounds of model ÷ raw, with
 * its 95% interval) must stay within every limit.
 */
export interface Goal {
  readonly limits: readonly GoalLimit[];
  /** Where the number comes from. */
  readonly why: string;
  /** The models judged; the baselines (blocking, promises) are shown beside them but judged on idiom, not speed. */
  readonly judged: readonly string[];
}

/** The models whose runtimes the goals are about. */
const runtimeModels = ['reactor', 'deferred', 'generators', 'actors', 'lazy'];

const fastGoal: Goal = {
  limits: [
    { measure: 'wall', atMost: 1.25 },
    { measure: 'cpu', atMost: 1.25 },
    { measure: 'rss', atMost: 1.2 },
  ],
  why:
    'a runtime may cost a quarter more than the leanest correct client in time and in CPU, and a fifth more ' +
    'memory at its peak',
  judged: runtimeModels,
};

const slowGoal: Goal = {
  limits: [{ measure: 'wall', atMost: 1.1 }],
  why: 'waiting on slow servers leaves a runtime little excuse to cost more than a tenth',
  judged: runtimeModels,
};

const blockingTakesTheSum = (seconds: string) => ({
  blocking: `skipped: one poem after another by design, ${seconds}`,
});

/**
 * `count` slow downloads at once, the case async I/O exists for: at 1,000 (`many-slow`) and at 5,000
 * (`many-slow-5000`, where a runtime's per-connection cost starts to show beside the waiting); the
 * quick sizes keep the factor of five.
 */
function manySlow(count: number, quick: boolean, name: string): ScenarioSpec {
  const connections = count.toLocaleString('en');
  return {
    name,
    title: `${name}: ${connections} concurrent slow connections`,
    description:
      `${connections} downloads at once of a 3,003-byte poem sent 300 B every ` +
      `${quick ? 20 : 100} ms: the case async I/O exists for. The ideal is one schedule ` +
      '(11 ticks: the server closes one delay after the last slice).',
    servers: { slow: { kind: 'slow', poem: shortPoem, numBytes: 300, delay: quick ? 0.02 : 0.1, count: 8 } },
    tasks: [{ group: 'slow', count }],
    options: {},
    events: false,
    // One after another takes count × 11 ticks.
    skip: blockingTakesTheSum(about(count * 11 * (quick ? 0.02 : 0.1))),
    descriptors: count,
    goal: slowGoal,
  };
}

/** A duration for the reader: seconds up to two minutes, minutes beyond. */
const about = (seconds: number) =>
  seconds < 120 ? `about ${Math.round(seconds)} s` : `about ${Math.round(seconds / 60)} minutes`;

/** The short poem of the many-* scenarios. */
const shortPoem: PoemSource = { generated: 3003, seed: 7 };

/** The scenarios, full or quick size. */
export function scenarioSpecs(quick: boolean): ScenarioSpec[] {
  const slowCount = quick ? 40 : 1000;
  const fastCount = quick ? 200 : 5000;
  const fastLimit = quick ? 20 : 500;
  const workCount = quick ? 10 : 100;
  const cpuSlowCount = 4;
  /** About 20 ms of CPU for the 3,003-byte poem on the bench machine (measured). */
  const analyseRounds = quick ? 300 : 3000;
  const bigBytes = quick ? 5_000_000 : 100_000_000;
  return [
    {
      name: 'classic',
      title: 'classic: the three classic slow servers',
      description:
        'The series’ three slow servers, sped up: a 2,859-byte poem at 30 B a tick and two short ones at 10 B a tick. ' +
        'A concurrent client takes the slowest schedule (the ideal); a blocking one the sum.',
      servers: { classic: { kind: 'classic', speedup: quick ? 350 : 140 } },
      tasks: [{ group: 'classic', count: 3 }],
      options: {},
      events: true,
      reportSum: true,
      descriptors: 3,
    },
    manySlow(slowCount, quick, 'many-slow'),
    manySlow(slowCount * 5, quick, 'many-slow-5000'),
    {
      name: 'many-fast',
      title: `many-fast: ${fastCount.toLocaleString('en')} downloads, unlimited`,
      description: `${fastCount.toLocaleString('en')} downloads of a 3,003-byte poem from fast servers, all started at once: per-connection overhead.`,
      servers: { fast: { kind: 'fast', poem: shortPoem, count: 25 } },
      tasks: [{ group: 'fast', count: fastCount }],
      options: {},
      events: false,
      descriptors: fastCount,
      goal: fastGoal,
    },
    {
      name: 'many-fast-limited',
      title: `many-fast-limited: ${fastCount.toLocaleString('en')} downloads, at most ${fastLimit} at once`,
      description: `The same downloads with the concurrency limit at ${fastLimit}: the cost of the limiter.`,
      servers: { fast: { kind: 'fast', poem: shortPoem, count: 25 } },
      tasks: [{ group: 'fast', count: fastCount }],
      options: { concurrency: fastLimit },
      events: false,
      descriptors: fastLimit,
      goal: fastGoal,
    },
    {
      name: 'big',
      title: `big: one ${bigBytes / 1e6} MB poem beside two slow servers`,
      description:
        `One ${bigBytes / 1e6} MB poem from a fast server (throughput, peak memory) while two slow poems arrive ` +
        `60 B every ${quick ? 20 : 40} ms: ` +
        'fairness means the slow chunks still arrive on schedule while the big one floods.',
      servers: {
        big: { kind: 'fast', poem: { generated: bigBytes, seed: 3 } },
        slow: { kind: 'slow', poem: { name: 'semaphore' }, numBytes: 60, delay: quick ? 0.02 : 0.04, count: 2 },
      },
      tasks: [
        { group: 'big', count: 1 },
        { group: 'slow', count: 2 },
      ],
      options: {},
      events: true,
      bigGroup: 'big',
      lateGroups: ['slow'],
      skip: blockingTakesTheSum('the slow poems would wait for the big one'),
      descriptors: 3,
    },
    {
      name: 'cpu',
      title: `cpu: ${workCount} poems analysed while ${cpuSlowCount} slow ones arrive`,
      description:
        `${workCount} poems from fast servers, each put through the CPU step (${analyseRounds.toLocaleString('en')} ` +
        'passes of the analysis, about 20 ms of CPU each on the bench machine) while slow poems arrive 60 B every ' +
        `${quick ? 20 : 40} ms: a single thread analyses one poem at a time and reads nothing meanwhile, so the ` +
        'slow chunks come late; the wall time is at least the sum of the analyses. Where the bench pins, the ' +
        'clients here run on every core (the servers stay on core 0), every model alike: a model with threads ' +
        'can use the second core, which is what this scenario is there to show.',
      servers: {
        work: { kind: 'fast', poem: shortPoem, count: 4 },
        slow: {
          kind: 'slow',
          poem: { name: 'semaphore' },
          numBytes: 60,
          delay: quick ? 0.02 : 0.04,
          count: cpuSlowCount,
        },
      },
      tasks: [
        { group: 'work', count: workCount },
        { group: 'slow', count: cpuSlowCount },
      ],
      options: { analyse: { rounds: analyseRounds } },
      events: true,
      lateGroups: ['slow'],
      skip: {
        ...blockingTakesTheSum('each analysis would wait for its download and every download for the analyses'),
        ...Object.fromEntries(peerNames.map((peer) => [peer, 'skipped: the peers have no CPU step'])),
      },
      clientCores: 'every',
      descriptors: workCount + cpuSlowCount,
    },
    {
      name: 'faults',
      title: 'faults: refused, reset, stalled and bad poems among good ones',
      description:
        'Good poems (fast and slow) mixed with a refusing port, servers that reset mid-poem, servers that stall ' +
        '(ended by the timeout) and a poem that is not UTF-8: every task accounted for with the right code, nothing left open.',
      servers: {
        good: { kind: 'fast', poem: { name: 'border-cafe' }, count: 2 },
        slow: { kind: 'slow', poem: { name: 'kettle' }, numBytes: 60, delay: quick ? 0.01 : 0.02 },
        refused: { kind: 'refused' },
        reset: { kind: 'faulty', mode: 'reset' },
        stall: { kind: 'faulty', mode: 'stall' },
        bad: { kind: 'faulty', mode: 'bad-utf8' },
      },
      tasks: [
        { group: 'good', count: 10 },
        { group: 'slow', count: 3 },
        { group: 'refused', count: 3, failsWith: 'REFUSED' },
        { group: 'reset', count: 3, failsWith: 'RESET' },
        { group: 'stall', count: 3, failsWith: 'TIMEOUT' },
        { group: 'bad', count: 3, failsWith: 'BAD_ENCODING' },
      ],
      options: { timeoutMs: quick ? 300 : 400 },
      events: false,
      descriptors: 25,
    },
  ];
}
