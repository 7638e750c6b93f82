/**
 * Dimension 10, overhead: from the latest bench report (`bench/results/*.json`, newest by name,
 * which is its timestamp), the model's wall time × the raw client's on many-fast (the paired
 * median where the report has it) and × the ideal schedule on many-slow. Nothing is measured here:
 * the bench measures it properly, in rounds, pinned; this row only says what it found.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchReport, Row as BenchRow } from '../../bench/harness.ts';
import { projectRoot } from '../part-reader.ts';
import { measured, notApplicable, type Probe, single } from './cell.ts';

/** Where the bench writes its reports. */
export const benchResults = path.join(projectRoot, 'bench/results');

/** The newest bench report in `folder`, with its file name; undefined when there is none. */
export function latestBenchReport(folder = benchResults): { file: string; report: BenchReport } | undefined {
  if (!existsSync(folder)) return undefined;
  const file = readdirSync(folder)
    // A bench report is named by its start time; the matrix's own saved runs (`matrix-…`) are not bench reports.
    .filter((name) => /^\d.*\.json$/.test(name))
    .sort()
    .at(-1);
  if (file === undefined) return undefined;
  return { file, report: JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as BenchReport };
}

const times = (value: number) => `× ${value.toFixed(2)}`;

export function overheadProbe(folder = benchResults): Probe {
  return {
    id: 10,
    title: 'Overhead',
    says: '× raw on many-fast, × ideal on many-slow, from the latest bench report',
    file: 'harness/matrix/overhead.ts',
    better: 'lower',
    stable: false,
    budgetMs: 5000,
    async measure({ model }) {
      const latest = latestBenchReport(folder);
      if (latest === undefined) return single(notApplicable('no bench results yet (npm run bench writes them)'));
      const row = (scenario: string): BenchRow | undefined =>
        latest.report.scenarios.find((s) => s.name === scenario)?.rows.find((r) => r.contender === model.name);
      const fast = row('many-fast');
      const slow = row('many-slow');
      const vsRaw = fast?.status === 'ok' ? (fast.paired?.wall.median ?? fast.vsRaw) : undefined;
      const vsIdeal = slow?.status === 'ok' ? slow.vsIdeal : undefined;
      const figures = {
        report: latest.file,
        quick: latest.report.quick,
        ...(vsRaw !== undefined && { manyFastVsRaw: vsRaw }),
        ...(vsIdeal !== undefined && { manySlowVsIdeal: vsIdeal }),
      };
      if (vsRaw === undefined && vsIdeal === undefined) {
        const why = fast?.notes[0] ?? slow?.notes[0] ?? 'not in it';
        return single(notApplicable(`the latest bench report (${latest.file}) has no figures for it: ${why}`, figures));
      }
      const parts = [
        vsRaw === undefined ? `many-fast: ${fast?.notes[0] ?? 'not run'}` : `${times(vsRaw)} raw on many-fast`,
        vsIdeal === undefined ? `many-slow: ${slow?.notes[0] ?? 'not run'}` : `${times(vsIdeal)} ideal on many-slow`,
      ];
      const quick = latest.report.quick ? ' (a --quick report)' : '';
      return single(measured(`${parts.join(' · ')}${quick}`, figures, { score: vsRaw ?? vsIdeal ?? 0 }));
    },
  };
}
