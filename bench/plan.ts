/**
 * From a scenario and the endpoints its server process published to the concrete run: the address
 * list a client is given, what each task must end with, the ideal time, and — after a run — the
 * verdict and the scenario's own figures (throughput of the big poem, lateness of slow chunks).
 *
 * This is where "a model that gets a wrong answer gets no time" is decided: `verifyRun` compares
 * every task's length and SHA-256 with the server's, every failure's code with the expected one, and
 * reports leaked sockets or timers as failures too.
 */
import { type Address, formatAddress } from '../poetry/contract.ts';
import type { RecordedEvent, RunMeasure } from './model-process.ts';
import type { ScenarioSpec } from './scenarios.ts';
import type { Endpoint, ServersReady } from './server-process.ts';

export interface Expectation {
  readonly group: string;
  readonly address: Address;
  readonly endpoint: Endpoint;
  /** Undefined: the poem, byte-exact. */
  readonly failsWith?: string;
}

export interface RunPlan {
  readonly addresses: readonly Address[];
  readonly expected: readonly Expectation[];
  /** The slowest thing no client can beat: the longest slow schedule, or the timeout a stalled server forces. */
  readonly idealMs?: number;
  /** The sum of the slow schedules: what a client that fetches one poem after another needs. */
  readonly sumMs?: number;
  /** Set when every poem must come with its analysis (the CPU step). */
  readonly analysed: boolean;
}

/** Tasks group by group, each group's addresses round-robin over its servers (task order is the input order). */
export function planRun(spec: ScenarioSpec, ready: ServersReady): RunPlan {
  const expected: Expectation[] = [];
  for (const { group, count, failsWith } of spec.tasks) {
    const endpoints = ready.endpoints[group];
    if (!endpoints?.length) throw new Error(`scenario ${spec.name}: the server process started no "${group}" servers`);
    for (let i = 0; i < count; i++) {
      const endpoint = endpoints[i % endpoints.length]!;
      expected.push({ group, address: endpoint.address, endpoint, ...(failsWith && { failsWith }) });
    }
  }
  const schedules = expected.flatMap(({ endpoint }) =>
    endpoint.scheduleSeconds === undefined ? [] : [endpoint.scheduleSeconds * 1000],
  );
  const timeoutBound = expected.some((task) => task.failsWith === 'TIMEOUT') ? spec.options.timeoutMs : undefined;
  const bounds = [...schedules, ...(timeoutBound === undefined ? [] : [timeoutBound])];
  return {
    addresses: expected.map((task) => task.address),
    expected,
    analysed: spec.options.analyse !== undefined,
    ...(bounds.length > 0 && { idealMs: Math.max(...bounds) }),
    ...(spec.reportSum && { sumMs: schedules.reduce((sum, ms) => sum + ms, 0) }),
  };
}

/** Everything wrong with a run, worst first; empty when the run counts. */
export function verifyRun(plan: RunPlan, measure: RunMeasure): string[] {
  if (measure.rejected !== undefined) return [`getPoems rejected (the contract says never): ${measure.rejected}`];
  const problems: string[] = [];
  if (measure.results.length !== plan.expected.length) {
    problems.push(`${measure.results.length} results for ${plan.expected.length} addresses`);
  }
  plan.expected.forEach((task, index) => {
    const result = measure.results[index];
    const label = `task ${index + 1} (${task.group}, ${formatAddress(task.address)})`;
    if (!result) return;
    if (result.address !== formatAddress(task.address)) {
      problems.push(`${label}: result for ${result.address} — results out of input order`);
    } else if (task.failsWith === undefined) {
      if (!result.ok) problems.push(`${label}: expected the poem, got ${result.code} (${result.message})`);
      else if (result.bytes !== task.endpoint.bytes || result.sha256 !== task.endpoint.sha256) {
        problems.push(`${label}: wrong poem (${result.bytes} bytes, expected ${task.endpoint.bytes}, hash differs)`);
      } else if (plan.analysed && result.analysed !== true) {
        problems.push(`${label}: the poem's analysis is missing or is not the analysis of the poem`);
      }
    } else if (result.ok) {
      problems.push(`${label}: expected ${task.failsWith}, got a poem of ${result.bytes} bytes`);
    } else if (result.code !== task.failsWith) {
      problems.push(`${label}: expected ${task.failsWith}, got ${result.code} (${result.message})`);
    }
  });
  const leaks = Object.entries(measure.leaked).map(([kind, count]) => `${count} ${kind}`);
  if (leaks.length > 0) problems.push(`left open after the run: ${leaks.join(', ')}`);
  return problems;
}

/** Per-scenario figures beyond time and memory. */
export interface ScenarioFigures {
  /** The big poem's throughput: its bytes over the time its `done` event came. */
  bigMBps?: number;
  /** The latest any slow chunk arrived relative to its schedule, in ms (0 = on time). */
  lateMs?: number;
}

export function scenarioFigures(spec: ScenarioSpec, plan: RunPlan, events: readonly RecordedEvent[]): ScenarioFigures {
  const figures: ScenarioFigures = {};
  const groupOf = (task: number) => plan.expected[task - 1];
  if (spec.bigGroup) {
    const done = events.find((event) => event.type === 'done' && groupOf(event.task)?.group === spec.bigGroup);
    if (done && done.at > 0) figures.bigMBps = done.bytes / 1e6 / (done.at / 1000);
  }
  if (spec.lateGroups) {
    // A chunk's first byte was sent at tick floor(bytesBefore / numBytes); it cannot arrive earlier than
    // that tick's time, so anything beyond is lateness (coalesced chunks count from their earliest byte).
    const received = new Map<number, number>();
    let late = 0;
    for (const event of events) {
      const task = groupOf(event.task);
      if (event.type !== 'chunk' || !task || !spec.lateGroups.includes(task.group)) continue;
      const { numBytes, delay } = task.endpoint;
      if (numBytes === undefined || delay === undefined) continue;
      const before = received.get(event.task) ?? 0;
      received.set(event.task, before + event.bytes);
      late = Math.max(late, event.at - Math.floor(before / numBytes) * delay * 1000);
    }
    figures.lateMs = late;
  }
  return figures;
}
