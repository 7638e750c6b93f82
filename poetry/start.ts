/**
 * `npm start`: the project's main job, with no set-up. It starts the three classic slow servers in
 * this process on random ports, sped up so a whole run takes seconds, fetches their poems with every
 * registered model in turn, and prints one table: each model's wall time beside the ideal (the
 * slowest server's schedule, what a perfectly concurrent client takes) and the blocking time (the sum
 * of the schedules), the ratio to the ideal, and whether every poem arrived intact.
 *
 * Progress goes to stderr and the table to stdout. The exit code is 1 if any model got a poem wrong
 * or failed to get one, so the job doubles as an end-to-end check.
 */
import { parseArgs } from 'node:util';
import type { Model, PoemResult } from './contract.ts';
import { isMain } from './is-main.ts';
import { findModel, models as registeredModels } from './models.ts';
import { classicPoems, poems } from './poems/index.ts';
import { startClassicServers } from './servers/index.ts';

/** The classic delay is 0.7 s a tick; 70 times faster, the slowest server takes about a second. */
const defaultSpeedup = 70;

export interface ModelRow {
  readonly model: string;
  readonly wallSeconds: number;
  /** Every poem arrived, and each is exactly the poem its server serves. */
  readonly intact: boolean;
  /** What went wrong, when not intact. */
  readonly problems: readonly string[];
}

export interface MainJobReport {
  readonly idealSeconds: number;
  readonly blockingSeconds: number;
  readonly rows: readonly ModelRow[];
}

/** Runs every model in `models` against one set of classic servers, one model after another. */
export async function runMainJob(
  options: { models?: readonly Model[]; speedup?: number; progress?: (line: string) => void } = {},
): Promise<MainJobReport> {
  const models = options.models ?? registeredModels;
  const progress = options.progress ?? (() => {});
  const classic = await startClassicServers({ speedup: options.speedup ?? defaultSpeedup });
  try {
    const addresses = classic.servers.map((server) => server.address);
    const expected = classicPoems.map((name) => poems[name].text);
    progress(
      `classic servers on ${addresses.map((a) => a.port).join(', ')}: ideal ${seconds(classic.idealSeconds)}, ` +
        `blocking ${seconds(classic.blockingSeconds)}`,
    );
    // A model that hangs is cut off well past the blocking time instead of stalling the whole job.
    const timeoutMs = Math.ceil(classic.blockingSeconds * 5000);
    const rows: ModelRow[] = [];
    for (const model of models) {
      progress(`${model.name}: fetching ${addresses.length} poems…`);
      const started = performance.now();
      let problems: string[];
      try {
        problems = poemProblems(await model.getPoems(addresses, { timeoutMs }), expected);
      } catch (error) {
        problems = [`getPoems rejected (it must not): ${error instanceof Error ? error.message : String(error)}`];
      }
      const wallSeconds = (performance.now() - started) / 1000;
      rows.push({ model: model.name, wallSeconds, intact: problems.length === 0, problems });
      progress(`${model.name}: ${seconds(wallSeconds)}${problems.length === 0 ? '' : `, ${problems.join('; ')}`}`);
    }
    return { idealSeconds: classic.idealSeconds, blockingSeconds: classic.blockingSeconds, rows };
  } finally {
    await classic.close();
  }
}

function poemProblems(results: readonly PoemResult[], expected: readonly string[]): string[] {
  if (results.length !== expected.length) return [`${results.length} results for ${expected.length} servers`];
  return results.flatMap((result, index) => {
    if (!result.ok) return [`poem ${index + 1} failed: ${result.error.code} ${result.error.message}`];
    if (result.poem !== expected[index]) return [`poem ${index + 1} differs from what ${result.address} served`];
    return [];
  });
}

function seconds(value: number): string {
  return `${value.toFixed(2)} s`;
}

/** The report as a plain-text table, one row per model. */
export function formatTable(report: MainJobReport): string {
  const header = ['model', 'wall', 'ideal', 'blocking', 'wall/ideal', 'poems intact'];
  const rows = report.rows.map((row) => [
    row.model,
    seconds(row.wallSeconds),
    seconds(report.idealSeconds),
    seconds(report.blockingSeconds),
    (row.wallSeconds / report.idealSeconds).toFixed(2),
    row.intact ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const usage = `Usage: npm start [-- options]

Starts the three classic slow servers on random ports, sped up, runs every registered model against
them one after another, and prints a table: wall time, the ideal (the slowest server's schedule), the
blocking time (the sum of the schedules) and the ratio to the ideal. Exit code 1 if any model got a
poem wrong or failed to get one.

  --speedup <n>  how much faster than the classic 0.7 s a tick (default ${defaultSpeedup})
  --model <name> only this model (repeatable)
  --help         this text`;

async function main(argv: readonly string[]): Promise<void> {
  let values: { speedup?: string; model?: string[]; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        speedup: { type: 'string' },
        model: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const speedup = values.speedup === undefined ? defaultSpeedup : Number(values.speedup);
  if (!(speedup > 0)) return usageError(`--speedup must be a positive number, got "${values.speedup}"`);
  let models: Model[] | undefined;
  try {
    models = values.model?.map(findModel);
  } catch (error) {
    return usageError((error as Error).message);
  }
  const report = await runMainJob({
    speedup,
    ...(models && { models }),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatTable(report)}\n`);
  process.exitCode = report.rows.every((row) => row.intact) ? 0 : 1;
}

function usageError(message: string): void {
  process.stderr.write(`start: ${message}\nRun "npm start -- --help" for usage.\n`);
  process.exitCode = 2;
}

if (isMain(import.meta.url)) {
  await main(process.argv.slice(2));
}
