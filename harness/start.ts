/**
 * `npm start`: the project's main job, with no set-up. It starts the three classic slow servers in
 * this process on random ports, sped up so a whole run takes seconds, fetches their poems with every
 * registered model in turn, and prints one table: the ideal (the slowest server's schedule, what a
 * perfectly concurrent client takes) and the blocking time (the sum of the schedules) once above it,
 * then each model's wall time, its ratio to the ideal, and whether every poem arrived intact. It ends
 * with the interleaving drawn per model (`interleaving.ts`) from the progress events each model
 * reported: blocking's staircase beside the others' overlap, fitted to the terminal's width (80
 * through a pipe), in block characters and colour on a terminal and plain ASCII anywhere else.
 *
 * Progress goes to stderr and the table to stdout. The exit code is 1 if any model got a poem wrong
 * or failed to get one, so the job doubles as an end-to-end check. It follows the shared command
 * conventions (`command-line.ts`); Ctrl-C cancels the model running, closes the servers, prints the
 * rows of the models that finished and exits 130.
 */

import type { Model, PoemResult, PoetryEvent } from '../poetry/contract.ts';
import { classicPoems, poems } from '../poetry/poems/index.ts';
import { startClassicServers } from '../poetry/servers/index.ts';
import {
  type CommandSpec,
  numberArgument,
  type OptionSpecs,
  type Parsed,
  type Run,
  runAsMain,
  UsageError,
} from './command-line.ts';
import { drawInterleaving } from './interleaving.ts';
import { isMain } from './is-main.ts';
import { findModel, models as registeredModels } from './registry.ts';

/** The classic delay is 0.7 s a tick; 70 times faster, the slowest server takes about a second. */
const defaultSpeedup = 70;

export interface ModelRow {
  readonly model: string;
  readonly wallSeconds: number;
  /** Every poem arrived, and each is exactly the poem its server serves. */
  readonly intact: boolean;
  /** What went wrong, when not intact. */
  readonly problems: readonly string[];
  /** `performance.now()` when the model was asked for the poems. */
  readonly startedAt: number;
  /** Every progress event the model reported, in the order it reported them: the drawing's input. */
  readonly events: readonly PoetryEvent[];
}

export interface MainJobReport {
  readonly idealSeconds: number;
  readonly blockingSeconds: number;
  readonly rows: readonly ModelRow[];
}

/**
 * Runs every model in `models` against one set of classic servers, one model after another. When
 * `signal` aborts, the model running is cancelled and left out, and the rows so far are returned.
 */
export async function runMainJob(
  options: {
    models?: readonly Model[];
    speedup?: number;
    progress?: (line: string) => void;
    signal?: AbortSignal;
  } = {},
): Promise<MainJobReport> {
  const models = options.models ?? registeredModels;
  const progress = options.progress ?? (() => {});
  const classic = await startClassicServers({ speedup: options.speedup ?? defaultSpeedup });
  try {
    const addresses = classic.servers.map((server) => server.address);
    const expected = classicPoems.map((name) => poems[name].text);
    progress(`classic servers on ${addresses.map((a) => a.port).join(', ')}`);
    // A model that hangs is cut off well past the blocking time instead of stalling the whole job.
    const timeoutMs = Math.ceil(classic.blockingSeconds * 5000);
    const rows: ModelRow[] = [];
    const signal = options.signal;
    for (const model of models) {
      if (signal?.aborted) break;
      progress(`${model.name}: fetching ${addresses.length} poems…`);
      const events: PoetryEvent[] = [];
      const onEvent = (event: PoetryEvent) => events.push(event);
      const started = performance.now();
      let problems: string[];
      try {
        const results = await model.getPoems(addresses, { timeoutMs, onEvent, ...(signal && { signal }) });
        problems = poemProblems(results, expected);
      } catch (error) {
        problems = [`getPoems rejected (it must not): ${error instanceof Error ? error.message : String(error)}`];
      }
      if (signal?.aborted) break;
      const wallSeconds = (performance.now() - started) / 1000;
      rows.push({
        model: model.name,
        wallSeconds,
        intact: problems.length === 0,
        problems,
        startedAt: started,
        events,
      });
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

/** The report as plain text: the ideal and blocking figures, then a table with one row per model. */
export function formatTable(report: MainJobReport): string {
  const figures =
    `ideal ${seconds(report.idealSeconds)} (the slowest server's schedule), ` +
    `blocking ${seconds(report.blockingSeconds)} (the sum of the schedules)`;
  const header = ['model', 'wall', 'wall/ideal', 'poems intact'];
  const rows = report.rows.map((row) => [
    row.model,
    seconds(row.wallSeconds),
    (row.wallSeconds / report.idealSeconds).toFixed(2),
    row.intact ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return [figures, '', line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const options = {
  speedup: {
    type: 'string',
    value: '<n>',
    help: `how much faster than the classic 0.7 s a tick (default ${defaultSpeedup})`,
  },
  model: { type: 'string', value: '<name>', multiple: true, help: 'only this model (repeatable)' },
  width: {
    type: 'string',
    value: '<columns>',
    help: "the drawing's width (default: the terminal's, or 80 through a pipe)",
  },
} as const satisfies OptionSpecs;

const startCommand: CommandSpec<typeof options> = {
  name: 'start',
  usage: ['[options]'],
  description:
    'Starts the three classic slow servers on random ports, sped up, runs every registered model against\n' +
    "them one after another, and prints the ideal time (the slowest server's schedule) and the blocking\n" +
    "time (the sum of the schedules), then a table: each model's wall time and its ratio to the ideal,\n" +
    'and draws the interleaving: per model a row per task, a mark where a chunk arrived, on one time axis.',
  options,
  exitCodes: [
    [0, 'every model got every poem intact'],
    [1, 'a model got a poem wrong or failed to get one'],
  ],
};

async function start({ values }: Parsed<typeof options>, run: Run): Promise<number> {
  const speedup =
    values.speedup === undefined ? defaultSpeedup : numberArgument('--speedup', values.speedup, { positive: true });
  const width =
    values.width === undefined
      ? (process.stdout.columns ?? 80)
      : numberArgument('--width', values.width, { integer: true, min: 20 });
  let models: Model[] | undefined;
  try {
    models = values.model?.map(findModel);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const report = await runMainJob({
    speedup,
    ...(models && { models }),
    progress: (line) => run.err(`${line}\n`),
    signal: run.signal,
  });
  if (report.rows.length > 0) {
    // Block characters and colour for a terminal only: a pipe or a file gets plain ASCII, no escapes.
    const terminal = process.stdout.isTTY === true;
    const drawing = drawInterleaving(report.rows, {
      width,
      charset: terminal ? 'unicode' : 'ascii',
      colour: terminal && !process.env.NO_COLOR,
      idealSeconds: report.idealSeconds,
    });
    run.out(`${formatTable(report)}\n\n${drawing.join('\n')}\n`);
  }
  return report.rows.every((row) => row.intact) ? 0 : 1;
}

if (isMain(import.meta.url)) runAsMain(startCommand, start);
