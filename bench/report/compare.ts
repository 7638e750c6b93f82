/**
 * `--compare A.json B.json`: the change from one saved run to another, per scenario and model —
 * median wall time, its ratio to the raw baseline (which cancels a machine that got slower or faster;
 * each report's paired per-round ratio, or in an older report the ratio of medians),
 * CPU and peak memory, each as before → after and a percentage. Wall time and the ratio to raw also
 * get a p-value: the rank-sum test of the two runs' per-round samples (`significance.ts`), so a
 * change is called significant only at p ≤ 0.05, not whenever two medians differ. Rows present in
 * only one file are listed as added or gone; a row that verified in one run and failed in the other
 * says so rather than showing a number. Micro rows compare ops/s the same way. `compareReports` is
 * the data both the terminal table here and the HTML page (`html.ts`) show.
 */
import type { BenchReport, Row, ScenarioResult } from '../harness.ts';
import { roundRatios } from '../stats.ts';
import { type RankSumTest, rankSumTest, significanceLevel, smallestP } from './significance.ts';
import { isFigure, plainStyle, type Style, seconds, textTable } from './terminal.ts';

/** One figure before and after, with the test of the per-round samples behind it when there are some. */
export interface Change {
  readonly before: number;
  readonly after: number;
  /** (after − before) ÷ before, in percent. */
  readonly pct: number;
  readonly test?: RankSumTest;
}

export interface RowChange {
  readonly contender: string;
  /** `both`: verified in both runs; otherwise why there are no figures. */
  readonly state: 'both' | 'added' | 'gone' | 'status';
  /** For `status`: `ok → failed` and the like. */
  readonly statusText?: string;
  readonly wall?: Change;
  /** The ratio to raw (paired median where the report has it); its test is on the per-round ratios. */
  readonly vsRaw?: Change;
  readonly cpu?: Change;
  readonly rss?: Change;
}

export interface ScenarioChange {
  readonly name: string;
  /** Set when only one file has the scenario. */
  readonly onlyIn?: 'first' | 'second';
  readonly rows: readonly RowChange[];
}

function change(before: number | undefined, after: number | undefined, test?: RankSumTest): Change | undefined {
  if (!isFigure(before) || !isFigure(after) || before === 0) return undefined;
  return { before, after, pct: ((after - before) / before) * 100, ...(test && { test }) };
}

/** The paired per-round ratio where the report has one; older reports have only the ratio of medians. */
const versusRaw = (row: Row) => row.paired?.wall.median ?? row.vsRaw;

const walls = (row: Row) => row.samples.map((sample) => sample.wallMs);

/** A row's per-round wall ÷ raw's of the same round. */
function perRoundRatios(row: Row, scenario: ScenarioResult): number[] {
  const raw = scenario.rows.find((one) => one.contender === 'raw' && one.status === 'ok');
  if (!raw) return [];
  const pick = (r: Row) => r.samples.map((sample) => ({ run: sample.run, value: sample.wallMs }));
  return roundRatios(pick(row), pick(raw));
}

export function compareReports(before: BenchReport, after: BenchReport): ScenarioChange[] {
  const names = [...new Set([...before.scenarios, ...after.scenarios].map((scenario) => scenario.name))];
  return names.map((name): ScenarioChange => {
    const a = before.scenarios.find((scenario) => scenario.name === name);
    const b = after.scenarios.find((scenario) => scenario.name === name);
    if (!a || !b) return { name, onlyIn: a ? 'first' : 'second', rows: [] };
    const contenders = [...new Set([...a.rows, ...b.rows].map((row) => row.contender))];
    const rows = contenders.map((contender): RowChange => {
      const rowA = a.rows.find((row) => row.contender === contender);
      const rowB = b.rows.find((row) => row.contender === contender);
      if (!rowA) return { contender, state: 'added' };
      if (!rowB) return { contender, state: 'gone' };
      if (rowA.status !== 'ok' || rowB.status !== 'ok') {
        return { contender, state: 'status', statusText: `${rowA.status} → ${rowB.status}` };
      }
      const wall = change(rowA.median?.wallMs, rowB.median?.wallMs, rankSumTest(walls(rowA), walls(rowB)));
      const vsRaw =
        contender === 'raw'
          ? undefined
          : change(versusRaw(rowA), versusRaw(rowB), rankSumTest(perRoundRatios(rowA, a), perRoundRatios(rowB, b)));
      const cpu = change(rowA.median?.cpuMs, rowB.median?.cpuMs);
      const rss = change(rowA.median?.maxRssMB, rowB.median?.maxRssMB);
      return {
        contender,
        state: 'both',
        ...(wall && { wall }),
        ...(vsRaw && { vsRaw }),
        ...(cpu && { cpu }),
        ...(rss && { rss }),
      };
    });
    return { name, rows };
  });
}

/** `faster` / `slower` at p ≤ 0.05; `no significant change` otherwise; '' when there was no test. */
/** Why no change can be significant between these two runs, when their rounds are too few; else undefined. */
export function tooFewRounds(before: BenchReport, after: BenchReport): string | undefined {
  const least = smallestP(before.runs, after.runs);
  if (least <= significanceLevel) return undefined;
  return (
    `with ${before.runs} and ${after.runs} round(s) no change can reach p ≤ ${significanceLevel} ` +
    `(the smallest p possible is ${least.toFixed(2)}): 4 rounds or more in each run can tell`
  );
}

export function significanceWord(one: Change | undefined): string {
  if (!one?.test) return '';
  if (one.test.p > significanceLevel) return 'no significant change';
  return one.after < one.before ? 'faster' : 'slower';
}

/** `p 0.008 slower`, or `p 0.42` when not significant. */
function pText(one: Change | undefined): string {
  if (!one?.test) return '';
  const word = significanceWord(one);
  return `p ${one.test.p < 0.001 ? '<0.001' : one.test.p.toFixed(3)}${word === 'no significant change' ? '' : ` ${word}`}`;
}

export const changeText = (one: Change | undefined, format: (v: number) => string) =>
  one ? `${format(one.before)} → ${format(one.after)} (${one.pct > 0 ? '+' : ''}${one.pct.toFixed(1)}%)` : '';

export const megabytes = (v: number) => `${v.toFixed(0)} MB`;
export const times = (v: number) => `${v.toFixed(2)}×`;

export function renderComparison(before: BenchReport, after: BenchReport, style: Style = plainStyle): string {
  const out: string[] = [
    style.heading(
      `compare: ${before.startedAt} (${before.environment.gitCommit}) → ${after.startedAt} (${after.environment.gitCommit})`,
    ),
    style.dim(
      `  p: rank-sum test of the two runs' per-round samples (wall times; for × raw, each round's ratio); ` +
        `faster or slower only at p ≤ ${significanceLevel}`,
    ),
  ];
  if (before.quick !== after.quick)
    out.push(style.bad('  one run used --quick sizes and the other did not: the figures are not comparable'));
  if (Boolean(before.environment.pinning?.pinned) !== Boolean(after.environment.pinning?.pinned))
    out.push(style.bad('  one run was pinned to cores and the other not: the times differ for that reason too'));
  const few = tooFewRounds(before, after);
  if (few) out.push(style.bad(`  ${few}`));
  for (const scenario of compareReports(before, after)) {
    out.push('', style.heading(scenario.name));
    if (scenario.onlyIn) {
      out.push(`  only in the ${scenario.onlyIn} file`);
      continue;
    }
    const rows = scenario.rows.map((row) => {
      if (row.state !== 'both') return [row.contender, row.statusText ?? row.state, '', '', '', '', ''];
      return [
        row.contender,
        changeText(row.wall, seconds),
        pText(row.wall),
        changeText(row.vsRaw, times),
        pText(row.vsRaw),
        changeText(row.cpu, seconds),
        changeText(row.rss, megabytes),
      ];
    });
    out.push(textTable(['model', 'wall', 'p (wall)', '× raw (drift-free)', 'p (× raw)', 'CPU', 'peak RSS'], rows));
  }
  for (const suiteB of after.micro) {
    const suiteA = before.micro.find((suite) => suite.name === suiteB.name);
    if (!suiteA) continue;
    out.push('', style.heading(`micro: ${suiteB.name}`));
    const rows = suiteB.rows.map((rowB) => {
      const rowA = suiteA.rows.find((row) => row.name === rowB.name);
      return [
        rowB.name,
        changeText(change(rowA?.opsPerSec, rowB.opsPerSec), (v) => `${Math.round(v).toLocaleString('en')}/s`),
      ];
    });
    out.push(textTable(['row', 'ops/s'], rows));
  }
  return out.join('\n');
}
