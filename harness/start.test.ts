/**
 * `npm start`'s logic, run in-process against the real classic servers, sped up further than the
 * default so the test stays short: the table has a row for every registered model, the baselines
 * get every poem intact with blocking well behind promises, and a model that returns a wrong poem
 * is caught rather than reported as fine, and the drawing made from the events each model reported
 * shows blocking's staircase beside promises' overlap. The command itself runs as a child process:
 * help, usage errors, the drawing through a pipe (ASCII, 80 columns, no escape code), and Ctrl-C.
 */
import { describe, expect, it } from 'vitest';
import type { Model } from '../poetry/contract.ts';
import { drawInterleaving } from './interleaving.ts';
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

    // The events recorded draw the lesson: blocking's tasks one after another, promises' at once.
    const lines = drawInterleaving(report.rows, { width: 100, charset: 'ascii', idealSeconds: report.idealSeconds });
    const blockingRows = taskColumns(lines, 'blocking');
    const promisesRows = taskColumns(lines, 'promises');
    expect(blockingRows.map((columns) => columns.length > 0)).toEqual([true, true, true]);
    for (let i = 1; i < 3; i++) {
      // A slice of time may hold the last chunk of one task and the first of the next, no more.
      const later = blockingRows[i] as number[];
      expect(later.filter((column) => blockingRows[i - 1]?.includes(column)).length).toBeLessThanOrEqual(1);
      expect(Math.min(...later)).toBeGreaterThanOrEqual(Math.max(...(blockingRows[i - 1] as number[])));
    }
    const [one, two, three] = promisesRows as [number[], number[], number[]];
    expect(one.filter((column) => two.includes(column) && three.includes(column)).length).toBeGreaterThan(10);
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
    const row = { intact: true, problems: [], startedAt: 0, events: [] };
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

/** The columns with a chunk mark, per task row, under the model's heading in an ASCII drawing. */
function taskColumns(lines: readonly string[], model: string): number[][] {
  const heading = lines.findIndex((line) => line.startsWith(`${model}  `));
  expect(heading, `the drawing has ${model}`).toBeGreaterThanOrEqual(0);
  const rows: number[][] = [];
  for (const line of lines.slice(heading + 1)) {
    const plot = /^ {2}task \d+ \|(.*)\|$/.exec(line)?.[1];
    if (plot === undefined) break;
    rows.push([...plot].flatMap((char, column) => (char === '#' ? [column] : [])));
  }
  return rows;
}

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

  it('through a pipe ends with the drawing in plain ASCII, 80 columns wide, with no escape code', async () => {
    const { code, stdout } = await runChild(start, ['--speedup', '700', '--model', 'blocking', '--model', 'promises']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^[\x20-\x7e\n]*$/);
    const lines = stdout.trimEnd().split('\n');
    const drawing = lines.slice(lines.findIndex((line) => line.startsWith('The interleaving')));
    expect(drawing.length).toBeGreaterThan(10);
    for (const line of drawing) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(taskColumns(drawing, 'blocking')).toHaveLength(3);
    expect(taskColumns(drawing, 'promises')).toHaveLength(3);
    expect(drawing.filter((line) => line.startsWith('  task ')).every((line) => line.length === 80)).toBe(true);
    expect(lines.at(-1)).toMatch(/^ +0 s +\d+\.\d\d s$/);
  });

  it('--width sets the drawing width, and a width too small to draw is a usage error', async () => {
    const wide = await runChild(start, ['--speedup', '700', '--model', 'promises', '--width', '120']);
    expect(wide.code).toBe(0);
    expect(wide.stdout.split('\n').filter((line) => line.startsWith('  task '))[0]).toHaveLength(120);
    const narrow = await runChild(start, ['--width', '5']);
    expect(narrow.code).toBe(2);
    expect(narrow.stderr).toBe('start: --width must be a whole number of at least 20, got 5 (see --help)\n');
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
