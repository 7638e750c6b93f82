/**
 * `--compare A.json B.json`: the change from one saved run to another, per scenario and model —
 * median wall time, its ratio to the raw baseline (which cancels a machine that got slower or faster;
 * each report's paired per-round ratio, or in an older report the ratio of medians),
 * CPU and peak memory, each as before → after and a percentage. Rows present in
 * only one file are listed as added or gone; a row that verified in one run and failed in the other
 * says so rather than showing a number. Micro rows compare ops/s the same way.
 */
import type { BenchReport, Row } from '../harness.ts';
import { isFigure, plainStyle, type Style, seconds, textTable } from './terminal.ts';

function change(before: number | undefined, after: number | undefined, format: (v: number) => string): string {
  if (!isFigure(before) || !isFigure(after)) return '';
  const pct = ((after - before) / before) * 100;
  const sign = pct > 0 ? '+' : '';
  return `${format(before)} → ${format(after)} (${sign}${pct.toFixed(1)}%)`;
}

const megabytes = (v: number) => `${v.toFixed(0)} MB`;

function state(row: Row | undefined): string | undefined {
  if (!row) return undefined;
  return row.status === 'ok' ? undefined : row.status;
}

/** The paired per-round ratio where the report has one; older reports have only the ratio of medians. */
const versusRaw = (row: Row) => row.paired?.wall.median ?? row.vsRaw;

export function renderComparison(before: BenchReport, after: BenchReport, style: Style = plainStyle): string {
  const out: string[] = [
    style.heading(
      `compare: ${before.startedAt} (${before.environment.gitCommit}) → ${after.startedAt} (${after.environment.gitCommit})`,
    ),
  ];
  if (before.quick !== after.quick)
    out.push(style.bad('  one run used --quick sizes and the other did not: the figures are not comparable'));
  if (Boolean(before.environment.pinning?.pinned) !== Boolean(after.environment.pinning?.pinned))
    out.push(style.bad('  one run was pinned to cores and the other not: the times differ for that reason too'));
  const names = [...new Set([...before.scenarios, ...after.scenarios].map((scenario) => scenario.name))];
  for (const name of names) {
    const a = before.scenarios.find((scenario) => scenario.name === name);
    const b = after.scenarios.find((scenario) => scenario.name === name);
    out.push('', style.heading(name));
    if (!a || !b) {
      out.push(`  only in ${a ? 'the first' : 'the second'} file`);
      continue;
    }
    const contenders = [...new Set([...a.rows, ...b.rows].map((row) => row.contender))];
    const rows = contenders.map((contender) => {
      const rowA = a.rows.find((row) => row.contender === contender);
      const rowB = b.rows.find((row) => row.contender === contender);
      if (!rowA) return [contender, 'added', '', '', ''];
      if (!rowB) return [contender, 'gone', '', '', ''];
      const notOk = state(rowA) ?? state(rowB);
      if (notOk) return [contender, `${rowA.status} → ${rowB.status}`, '', '', ''];
      return [
        contender,
        change(rowA.median?.wallMs, rowB.median?.wallMs, seconds),
        contender === 'raw' ? '' : change(versusRaw(rowA), versusRaw(rowB), (v) => `${v.toFixed(2)}×`),
        change(rowA.median?.cpuMs, rowB.median?.cpuMs, seconds),
        change(rowA.median?.maxRssMB, rowB.median?.maxRssMB, megabytes),
      ];
    });
    out.push(textTable(['model', 'wall', '× raw (drift-free)', 'CPU', 'peak RSS'], rows));
  }
  for (const suiteB of after.micro) {
    const suiteA = before.micro.find((suite) => suite.name === suiteB.name);
    if (!suiteA) continue;
    out.push('', style.heading(`micro: ${suiteB.name}`));
    const rows = suiteB.rows.map((rowB) => {
      const rowA = suiteA.rows.find((row) => row.name === rowB.name);
      return [rowB.name, change(rowA?.opsPerSec, rowB.opsPerSec, (v) => `${Math.round(v).toLocaleString('en')}/s`)];
    });
    out.push(textTable(['row', 'ops/s'], rows));
  }
  return out.join('\n');
}
