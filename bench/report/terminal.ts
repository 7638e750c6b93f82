/**
 * The terminal report: one table per scenario (contenders as rows: medians, spread, ratios to the
 * ideal and to the raw baseline, the best in each column marked), then one table per micro suite.
 * Plain text when piped (the best marked with `*`), colour on a TTY (the best in green, failures in
 * red) — the words are the same either way, so a piped report loses nothing.
 */

import type { BenchReport, Row, ScenarioResult } from '../harness.ts';
import type { MicroResult } from '../micro-process.ts';
import { ancestorGoalScenarios, ancestorOf } from '../peers/peers.ts';
import type { Goal, GoalMeasure } from '../scenarios.ts';
import { minRoundsForVerdict, type PairedRatio } from '../stats.ts';

export interface Style {
  readonly best: (text: string) => string;
  readonly bad: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly heading: (text: string) => string;
}

export const plainStyle: Style = {
  best: (text) => `${text}*`,
  bad: (text) => text,
  dim: (text) => text,
  heading: (text) => text,
};

const ansi = (code: string) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
export const colourStyle: Style = { best: ansi('1;32'), bad: ansi('31'), dim: ansi('2'), heading: ansi('1') };

/** Visible width of a cell (colour codes take no room). */
function width(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colour codes is the point
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** Columns: the first left-aligned, the rest right-aligned (numbers). */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(width(title), ...rows.map((row) => width(row[column] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const pad = ' '.repeat(widths[column]! - width(cell));
        return column === 0 ? cell + pad : pad + cell;
      })
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * Whether a figure can be printed. A saved report has been through JSON, where NaN becomes null, so
 * a figure that was never measured arrives as undefined, null or NaN; all three print as nothing.
 */
export function isFigure(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** `value` with `digits` decimals, or '' when there is no figure. */
export const fixed = (value: number | null | undefined, digits: number) =>
  isFigure(value) ? value.toFixed(digits) : '';
export const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
export const ratio = (value: number | null | undefined) => (isFigure(value) ? `${value.toFixed(2)}×` : '');
export const opsPerSecond = (value: number) => (isFigure(value) ? Math.round(value).toLocaleString('en') : '');

/** A column of a scenario table: how to read the figure, how to print it, and which way is better. */
interface Column {
  readonly title: string;
  readonly value: (row: Row) => number | undefined;
  readonly format: (value: number) => string;
  /** Which way is better; `none` for figures that describe rather than compete (the spread). */
  readonly better: 'lower' | 'higher' | 'none';
  /** The cell's text when it says more than the figure (a ratio's interval, a verdict); `format` otherwise. */
  readonly text?: (row: Row) => string | undefined;
}

const measureName = (measure: GoalMeasure) => ({ wall: 'wall', cpu: 'CPU', rss: 'RSS' })[measure];

/** A goal's limits, those with one bound together: `1.25× wall+CPU, 1.20× RSS`. */
export function goalLimits(goal: Goal, join = '+'): string {
  const bounds = [...new Set(goal.limits.map((limit) => limit.atMost))];
  return bounds
    .map((atMost) => {
      const measures = goal.limits
        .filter((limit) => limit.atMost === atMost)
        .map((limit) => measureName(limit.measure));
      return `${atMost.toFixed(2)}× ${measures.join(join)}`;
    })
    .join(', ');
}

/** A paired ratio with its 95% interval: `1.23× [1.20–1.27]`. */
export const interval = (ratio: PairedRatio) =>
  `${ratio.median.toFixed(2)}× [${ratio.low.toFixed(2)}–${ratio.high.toFixed(2)}]`;

/** A row's cell: the column's text, or its formatted figure, or nothing when there is neither. */
export function cellText(column: Column, row: Row): string | undefined {
  const value = column.value(row);
  return column.text?.(row) ?? (isFigure(value) ? column.format(value) : undefined);
}

export function scenarioColumns(scenario: ScenarioResult): Column[] {
  const anyRow = (pick: (row: Row) => number | undefined) => scenario.rows.some((row) => pick(row) !== undefined);
  const columns: Column[] = [
    { title: 'wall (median)', value: (row) => row.median?.wallMs, format: seconds, better: 'lower' },
    {
      title: 'spread',
      value: (row) => (row.samples.length > 1 ? row.spread?.pct : undefined),
      format: (v) => `±${(v / 2).toFixed(0)}%`,
      better: 'none',
    },
    { title: 'CPU', value: (row) => row.median?.cpuMs, format: seconds, better: 'lower' },
    { title: 'peak RSS', value: (row) => row.median?.maxRssMB, format: (v) => `${v.toFixed(0)} MB`, better: 'lower' },
  ];
  columns.push({ title: 'server CPU', value: (row) => row.median?.serverCpuMs, format: seconds, better: 'none' });
  // Reports from before start-up was measured have none; the column appears when some row has it.
  if (anyRow((row) => row.median?.startupMs)) {
    columns.push({ title: 'start-up', value: (row) => row.median?.startupMs, format: seconds, better: 'lower' });
  }
  if (scenario.idealMs !== undefined) {
    columns.push({ title: '× ideal', value: (row) => row.vsIdeal, format: ratio, better: 'lower' });
  }
  // Paired per-round ratios with their interval; a report from before them has only the ratio of medians.
  columns.push(
    {
      title: '× raw wall [95%]',
      value: (row) => row.paired?.wall.median ?? row.vsRaw,
      format: ratio,
      better: 'lower',
      text: (row) => row.paired && interval(row.paired.wall),
    },
    {
      title: '× raw CPU [95%]',
      value: (row) => row.paired?.cpu.median,
      format: ratio,
      better: 'lower',
      text: (row) => row.paired && interval(row.paired.cpu),
    },
  );
  if (scenario.goal?.limits.some((limit) => limit.measure === 'rss')) {
    columns.push({
      title: '× raw RSS [95%]',
      value: (row) => row.paired?.rss?.median,
      format: ratio,
      better: 'lower',
      text: (row) => row.paired?.rss && interval(row.paired.rss),
    });
  }
  if (anyRow((row) => row.vsAncestor?.wall.median)) {
    columns.push({
      title: '× ancestor wall [95%]',
      value: (row) => row.vsAncestor?.wall.median,
      format: ratio,
      better: 'none',
      text: (row) => row.vsAncestor && `${interval(row.vsAncestor.wall)} ${row.vsAncestor.peer}`,
    });
  }
  if (scenario.goal) {
    const goal = scenario.goal;
    columns.push({
      title: `goal ≤ ${goalLimits(goal)}`,
      value: () => undefined,
      format: ratio,
      better: 'none',
      // The baselines' figures are shown beside the judged models, but they are judged on idiom.
      text: (row) =>
        row.verdict ??
        (row.status === 'ok' && row.kind !== 'baseline' && !goal.judged.includes(row.contender)
          ? 'not judged'
          : undefined),
    });
  }
  if (anyRow((row) => row.median?.bigMBps)) {
    columns.push({
      title: 'big MB/s',
      value: (row) => row.median?.bigMBps,
      format: (v) => v.toFixed(0),
      better: 'higher',
    });
  }
  if (anyRow((row) => row.median?.lateMs)) {
    columns.push({
      title: 'slow late',
      value: (row) => row.median?.lateMs,
      format: (v) => `${v.toFixed(0)} ms`,
      better: 'lower',
    });
  }
  return columns;
}

/** The best value of a column among the rows that have one (the raw baseline competes too). */
export function bestOf(column: Column, rows: readonly Row[]): number | undefined {
  const values = rows.map(column.value).filter(isFigure);
  if (values.length < 2 || column.better === 'none') return undefined;
  return column.better === 'lower' ? Math.min(...values) : Math.max(...values);
}

export function scenarioHeadline(scenario: ScenarioResult): string {
  const parts = [`${scenario.tasks.toLocaleString('en')} tasks`];
  if (scenario.idealMs !== undefined) parts.push(`ideal ${seconds(scenario.idealMs)}`);
  if (scenario.sumMs !== undefined) parts.push(`sum of schedules (a blocking client) ${seconds(scenario.sumMs)}`);
  return parts.join(', ');
}

/** The goal line: what is judged and how, then the judged models by verdict. */
export function goalVerdict(scenario: ScenarioResult): string | undefined {
  const goal = scenario.goal;
  if (!goal) return undefined;
  const byVerdict = (['met', 'undecided', 'not met'] as const).flatMap((verdict) => {
    const models = scenario.rows.filter((row) => row.verdict === verdict).map((row) => row.contender);
    return models.length > 0 ? [`${verdict}: ${models.join(', ')}`] : [];
  });
  const few = scenario.rows.some((row) => row.paired && row.paired.wall.rounds < minRoundsForVerdict);
  return (
    `goal: ${goal.judged.join(', ')} within ${goalLimits(goal, ' and ')} of the raw baseline's ` +
    `(${goal.why}), judged on the 95% interval of the paired per-round ratios — ${byVerdict.join('; ') || 'none judged'}` +
    (few ? `; verdicts need ${minRoundsForVerdict} rounds or more, so these are undecided` : '')
  );
}

/** A row's name in a table: a peer says it is one. */
export const rowLabel = (row: Row) => (row.kind === 'peer' ? `${row.contender} (peer)` : row.contender);

const ancestorWords = { met: 'faster than', 'not met': 'not faster than', undecided: 'undecided beside' } as const;

/**
 * Where a scenario holds models to beating their ancestor: each model with one, its per-round wall
 * ratio to it and the verdict (faster when the whole interval is below 1), or why there is no figure.
 */
export function ancestorVerdict(scenario: ScenarioResult): string | undefined {
  if (!ancestorGoalScenarios.includes(scenario.name) || !scenario.rows.some((row) => row.kind === 'peer')) {
    return undefined;
  }
  const parts = scenario.rows.flatMap((row) => {
    const peer = row.kind === 'model' ? ancestorOf(row.contender)?.name : undefined;
    if (peer === undefined) return [];
    const versus = row.vsAncestor;
    if (versus?.verdict) {
      return [`${row.contender}: ${ancestorWords[versus.verdict]} ${peer} (${interval(versus.wall)})`];
    }
    const why =
      row.status === 'ok'
        ? `${peer} ${scenario.rows.find((other) => other.contender === peer)?.status ?? 'not run'}`
        : `${row.contender} ${row.status}`;
    return [`${row.contender}: no figure beside ${peer} (${why})`];
  });
  if (parts.length === 0) return undefined;
  return `beside their ancestors (the goal: every model faster, wall time paired per round) — ${parts.join('; ')}`;
}

export function renderScenario(scenario: ScenarioResult, style: Style): string {
  const columns = scenarioColumns(scenario);
  const best = columns.map((column) => bestOf(column, scenario.rows));
  const rows = scenario.rows.map((row) => {
    if (row.status !== 'ok') {
      const label = row.status === 'failed' ? style.bad('FAILED') : style.dim('skipped');
      return [rowLabel(row), label, ...columns.slice(1).map(() => '')];
    }
    return [
      rowLabel(row),
      ...columns.map((column, index) => {
        const text = cellText(column, row) ?? '';
        return text && isFigure(best[index]) && column.value(row) === best[index] ? style.best(text) : text;
      }),
    ];
  });
  const notes = scenario.rows.flatMap((row) =>
    row.notes.map((note) => `  ${row.contender}: ${row.status === 'failed' ? style.bad(note) : style.dim(note)}`),
  );
  return [
    style.heading(scenario.title),
    style.dim(`  ${scenarioHeadline(scenario)}`),
    ...scenario.warnings.map((warning) => style.bad(`  ${warning}`)),
    textTable(['model', ...columns.map((column) => column.title)], rows),
    ...(goalVerdict(scenario) ? [`  ${goalVerdict(scenario)}`] : []),
    ...(ancestorVerdict(scenario) ? [`  ${ancestorVerdict(scenario)}`] : []),
    ...notes,
  ].join('\n');
}

export function budgetVerdict(suite: MicroResult): string {
  if (!suite.budget) return '';
  const verdict = suite.budgetMet === undefined ? 'not judged' : suite.budgetMet ? 'met' : 'NOT met';
  return `budget: ${suite.budget} — ${verdict}`;
}

export function renderMicro(suite: MicroResult, style: Style): string {
  const head = [style.heading(`micro: ${suite.name}`), style.dim(`  ${suite.description} (${suite.module})`)];
  if (suite.error) return [...head, style.bad(`  could not run: ${suite.error}`)].join('\n');
  const fastest = Math.max(...suite.rows.map((row) => row.opsPerSec).filter(isFigure));
  const rows = suite.rows.map((row) =>
    row.error
      ? [row.name, style.bad('error'), '', '', '']
      : [
          row.name === suite.baseline ? `${row.name} (baseline)` : row.name,
          row.opsPerSec === fastest ? style.best(opsPerSecond(row.opsPerSec)) : opsPerSecond(row.opsPerSec),
          fixed(row.nsPerOp, 0),
          ratio(row.vsBaseline),
          isFigure(row.rmePct) ? `±${row.rmePct.toFixed(1)}%` : '',
        ],
  );
  const budget = budgetVerdict(suite);
  return [
    ...head,
    textTable(['row', 'ops/s (median)', 'ns/op', '× baseline speed', 'rme'], rows),
    ...suite.rows.flatMap((row) => (row.error ? [style.bad(`  ${row.name}: ${row.error}`)] : [])),
    ...(budget ? [`  ${suite.budgetMet === false ? style.bad(budget) : budget}`] : []),
  ].join('\n');
}

export function renderReport(report: BenchReport, style: Style): string {
  const env = report.environment;
  const header = style.dim(
    `Node ${env.node} · ${env.cpu} · ${env.cores} cores · ${env.memoryGB} GB · commit ${env.gitCommit} · ` +
      `${report.runs} round(s), each running raw and every model once${report.quick ? ' · QUICK sizes' : ''}` +
      (env.pinning ? ` · ${env.pinning.note}` : ''),
  );
  const legend = style.dim(
    'wall = median over rounds; spread = ±half the range; CPU = user+sys of the client process; ' +
      "× raw = the median of each round's model ÷ raw, [its 95% interval]; " +
      `${style === plainStyle ? '* = best in column; ' : ''}FAILED runs get no time.`,
  );
  return [
    header,
    legend,
    '',
    ...report.scenarios.map((scenario) => `${renderScenario(scenario, style)}\n`),
    ...report.micro.map((suite) => `${renderMicro(suite, style)}\n`),
    ...(report.notes ?? []).map((note) => style.dim(`note: ${note}`)),
  ].join('\n');
}
