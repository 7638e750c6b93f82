/**
 * `npm start`'s logic, run in-process against the real classic servers, sped up further than the
 * default so the test stays short: the table has a row for every registered model, the baselines
 * get every poem intact with blocking well behind promises, and a model that returns a wrong poem
 * is caught rather than reported as fine.
 */
import { describe, expect, it } from 'vitest';
import { blockingModel } from '../baselines/blocking.ts';
import { promisesModel } from '../baselines/promises.ts';
import type { Model } from './contract.ts';
import { models } from './models.ts';
import { formatTable, runMainJob } from './start.ts';

describe('npm start', () => {
  it('lists every registered model in the table', async () => {
    const progress: string[] = [];
    const report = await runMainJob({ speedup: 700, progress: (line) => progress.push(line) });
    expect(report.rows.map((row) => row.model)).toEqual(models.map((model) => model.name));
    const table = formatTable(report).split('\n');
    expect(table[0]).toMatch(/^model\s+wall\s+ideal\s+blocking\s+wall\/ideal\s+poems intact$/);
    for (const model of models) expect(table.some((line) => line.startsWith(`${model.name} `))).toBe(true);
    expect(progress[0]).toMatch(/^classic servers on \d+, \d+, \d+/);
  });

  it('the baselines get every poem intact, and blocking takes about the sum of the schedules', async () => {
    const report = await runMainJob({ models: [blockingModel, promisesModel], speedup: 140 });
    const [blocking, promises] = report.rows;
    expect(blocking?.intact && promises?.intact).toBe(true);
    expect(report.blockingSeconds).toBeGreaterThan(report.idealSeconds * 2);
    // One after another cannot beat the sum of the schedules; all at once beats it easily.
    expect(blocking!.wallSeconds).toBeGreaterThanOrEqual(report.blockingSeconds * 0.95);
    expect(promises!.wallSeconds).toBeLessThan(blocking!.wallSeconds * 0.75);
  });

  it('a model that returns a wrong poem, or rejects, is marked as not intact', async () => {
    const garbling: Model = {
      ...promisesModel,
      name: 'garbling',
      getPoems: async (addresses, options) =>
        (await promisesModel.getPoems(addresses, options)).map((result) =>
          result.ok ? { ...result, poem: result.poem.slice(1) } : result,
        ),
    };
    const rejecting: Model = { ...promisesModel, name: 'rejecting', getPoems: () => Promise.reject(new Error('boom')) };
    const report = await runMainJob({ models: [garbling, rejecting], speedup: 700 });
    expect(report.rows.map((row) => row.intact)).toEqual([false, false]);
    expect(report.rows[0]?.problems[0]).toMatch(/poem 1 differs/);
    expect(report.rows[1]?.problems[0]).toMatch(/rejected.*boom/);
    expect(formatTable(report)).toMatch(/garbling .* NO$/m);
  });
});
