/**
 * Saved matrices: what `npm run matrix` writes is what the bench report finds and shows, the newest
 * first, and the overhead row's search for bench reports passes the saved matrices over.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/harness.ts';
import { renderHtml } from '../../bench/report/html.ts';
import { type Matrix, measured } from './cell.ts';
import { saveMatrix } from './cli.ts';
import { latestBenchReport } from './overhead.ts';
import { newestMatrix } from './saved.ts';

const matrixAt = (startedAt: string, text: string): Matrix => ({
  format: 'poetry-matrix/1',
  startedAt,
  finishedAt: startedAt,
  models: [{ name: 'reactor', title: 'Reactor' }],
  rows: [
    {
      key: '2',
      id: 2,
      title: 'Cancel reach',
      says: 'whether a cancel reaches the transform',
      probe: 'harness/matrix/cancel.ts',
      better: 'lower',
      stable: true,
      cells: { reactor: measured(text, {}, { stable: text }) },
    },
  ],
});

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('saved matrices', () => {
  it('are found newest first, past a file cut short, and shown in the bench report', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'matrix-saved-'));
    folders.push(folder);
    expect(newestMatrix(folder)).toBeUndefined();
    saveMatrix(matrixAt('2026-01-01T00:00:00.000Z', 'older'), folder);
    const newer = saveMatrix(matrixAt('2026-02-01T00:00:00.000Z', 'newer <yes>'), path.join(folder));
    writeFileSync(path.join(folder, 'matrix-2026-03-01T00-00-00-000Z.json'), '{"format": "poetry-ma');
    const found = newestMatrix(folder);
    expect(found?.file).toBe(path.basename(newer));
    const environment = {
      node: '20',
      cpu: 'cpu',
      cores: 2,
      memoryGB: 1,
      platform: 'linux',
      gitCommit: 'abc',
      descriptorLimit: '1024',
    };
    const report = {
      startedAt: 'now',
      scenarios: [],
      micro: [],
      notes: [],
      environment,
      runs: 1,
    } as unknown as BenchReport;
    const html = renderHtml({ ...report, ...(found && { matrix: found }) });
    expect(html).toContain('How the models differ');
    expect(html).toContain('newer &lt;yes&gt;');
    expect(renderHtml(report)).toContain('npm run matrix');
  });

  it('are not taken for bench reports by the overhead row', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'matrix-overhead-'));
    folders.push(folder);
    writeFileSync(path.join(folder, '2026-01-01T00-00-00-000Z.json'), '{"format": "poetry-bench/1", "scenarios": []}');
    saveMatrix(matrixAt('2026-02-01T00:00:00.000Z', 'yes'), folder);
    expect(latestBenchReport(folder)?.file).toBe('2026-01-01T00-00-00-000Z.json');
  });
});
