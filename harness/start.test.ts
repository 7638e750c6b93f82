/**
 * `npm start`'s logic, run in-process against the real classic servers, sped up further than the
 * default so the test stays short: the table has a row for every registered model, the baselines
 * get every poem intact with blocking well behind promises, and a model that returns a wrong poem
 * is caught rather than reported as fine. The command itself runs as a child process: help, usage
 * errors, and Ctrl-C.
 */
import { describe, expect, it } from 'vitest';
import type { Model } from '../poetry/contract.ts';
import { findModel, models } from './registry.ts';
import { formatTable, runMainJob } from './start.ts';
import { runChild } from './test-fixtures/run-child.ts';

const blockingModel = findModel('blocking');
const promisesModel = findModel('promises');

describe('npm start', () => {
  it('lists every registered model in the table', async () => {
    const progress: string[] = [];
    const report = await runMainJob({ speedup: 700, progress: (line) => progress.push(line) });
    expect(report.rows.map((row) => row.model)).toEqual(models.map((model) => model.name));
    const table = formatTable(report).split('\n');
    expect(table[2]).toMatch(/^model\s+wall\s+wall\/ideal\s+poems intact$/);
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

describe('the table', () => {
  it('says the ideal and blocking figures once, above the rows, not on every row', () => {
    const row = { intact: true, problems: [] };
    const report = {
      idealSeconds: 1.234,
      blockingSeconds: 5.678,
      rows: [
        { ...row, model: 'one', wallSeconds: 1.5 },
        { ...row, model: 'two', wallSeconds: 5.9 },
      ],
    };
    const table = formatTable(report);
    expect(table.split('\n')[0]).toBe(
      "ideal 1.23 s (the slowest server's schedule), blocking 5.68 s (the sum of the schedules)",
    );
    expect(table.match(/1\.23 s/g)).toHaveLength(1);
    expect(table.match(/5\.68 s/g)).toHaveLength(1);
    expect(table).toMatch(/^one +1\.50 s +1\.22 +yes$/m);
    expect(table).toMatch(/^two +5\.90 s +4\.78 +yes$/m);
  });
});

const start = new URL('./start.ts', import.meta.url).pathname;

describe('npm start, as a command', () => {
  it.concurrent.each([
    [['--speedup', '-1'], '--speedup must be a positive number, got -1'],
    [['--speedup', 'fast'], '--speedup must be a positive number, got fast'],
    [['--bogus'], 'unknown option --bogus'],
    [['--model', 'nope'], `unknown model "nope"; known models: ${models.map((m) => m.name).join(', ')}`],
    [['extra'], 'unexpected argument extra'],
  ])('exits 2 with one line naming the bad argument: %j', async (args, message) => {
    const { code, stdout, stderr } = await runChild(start, args);
    expect(stderr).toBe(`start: ${message} (see --help)\n`);
    expect(code).toBe(2);
    expect(stdout).toBe('');
  });

  it.concurrent.each(['-h', '--help'])('%s prints the help in the shared shape and exits 0', async (flag) => {
    const { code, stdout } = await runChild(start, [flag]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: npm run start -- \[options\]\n/);
    expect(stdout).toMatch(/^ {2}--speedup <n> +how much faster/m);
    expect(stdout).toMatch(/\nExit codes:\n {2}0 {3}.*\n {2}1 {3}.*\n {2}2 {3}usage error\n {2}130 interrupted/);
  });

  it('Ctrl-C stops the job, closes the servers and exits 130', async () => {
    // At the classic speed a model takes over a minute; the interrupt comes as the first one starts.
    // Servers or downloads left open would keep the process alive, so ending at all shows them closed.
    let interrupted = false;
    const { code, stdout, stderr } = await runChild(start, ['--speedup', '1', '--model', 'reactor'], {
      onStderr: (text, child) => {
        if (!interrupted && text.includes('reactor: fetching')) interrupted = child.kill('SIGINT');
      },
    });
    expect(code).toBe(130);
    expect(stderr).not.toMatch(/Error|\bat /);
    // The interrupted model has no row: its downloads were cut short, not wrong.
    expect(stdout).toBe('');
  });
});
