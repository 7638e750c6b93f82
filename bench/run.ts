/**
 * `npm run bench`: every registered model against the shared servers, end to end and in
 * micro-benchmarks, with the raw Node client as the baseline in the same run. Progress goes to
 * stderr while it runs; the tables go to stdout (or the JSON report with `--json`); the raw figures
 * and an HTML report are saved in `bench/results/`. Exits 1 when any contender got a wrong result,
 * so a CI smoke run (`--quick`) fails loudly rather than reporting times for wrong answers.
 *
 * The output folder is made and tried before the first run, so a bad `--out` costs no bench. Should
 * saving still fail at the end, the report goes to a fresh folder in the system's temporary folder
 * and the message says where: a finished bench is never lost. Ctrl-C stops the children, removes the
 * work folder and exits 130.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CommandSpec, FileError, numberArgument, runAsMain, UsageError } from '../harness/command-line.ts';
import { isMain } from '../harness/is-main.ts';
import { newestMatrix } from '../harness/matrix/saved.ts';
import {
  type BenchOptions,
  type BenchReport,
  contenders,
  defaultRounds,
  projectRoot,
  runBench,
  selectScenarios,
} from './harness.ts';
import { renderComparison } from './report/compare.ts';
import { renderHtml } from './report/html.ts';
import { colourStyle, plainStyle, renderReport } from './report/terminal.ts';
import { scenarioSpecs } from './scenarios.ts';
import { minRoundsForVerdict } from './stats.ts';

export const benchCommand = {
  name: 'bench',
  usage: ['[options]', '--compare <A.json> <B.json> [--html <file>]'],
  description:
    'Runs every registered model (and the raw Node client as the baseline) through the end-to-end\n' +
    'scenarios, each run in its own process, several runs in interleaved order; then the micro-benchmarks.',
  positionals: true,
  options: {
    scenario: {
      type: 'string',
      value: '<name>',
      multiple: true,
      help:
        'only this scenario (repeatable or comma-separated; a prefix like many-fast selects both)\n' +
        `scenarios: ${scenarioSpecs(false)
          .map((spec) => spec.name)
          .join(', ')}`,
    },
    model: {
      type: 'string',
      value: '<name>',
      multiple: true,
      help: 'only this model (repeatable or comma-separated); the raw baseline always runs',
    },
    runs: {
      type: 'string',
      value: '<n>',
      help:
        `rounds: each runs raw and every model once (default ${defaultRounds}; 1 with --quick);\n` +
        `goals are judged from ${minRoundsForVerdict} rounds, below that every verdict is undecided`,
    },
    quick: {
      type: 'boolean',
      help: 'small sizes and 1 round, for a smoke test: about a minute on 2 cores, verdicts\nundecided (the full run with --peers took 16 minutes there)',
    },
    pin: {
      type: 'boolean',
      negatable: true,
      help: 'servers on core 0, clients on core 1 when there are 2+ cores and taskset (default;\n--no-pin runs them unpinned, and the report says the figures are noisier)',
    },
    peers: {
      type: 'boolean',
      help:
        'add the peers (our Twisted, Erlang and Haskell clients) to the same rounds, each beside\n' +
        'its descendant model; a peer not installed shows as such (npm run peers -- install)',
    },
    micro: { type: 'boolean', negatable: true, help: 'run the micro-benchmarks (default; --no-micro skips them)' },
    json: { type: 'boolean', help: 'print the JSON report on stdout instead of the tables' },
    out: { type: 'string', value: '<dir>', help: 'where results go (default bench/results), made if missing' },
    compare: {
      type: 'string',
      value: '<A.json>',
      help: 'show the change from saved report A to B (each tested: p ≤ 0.05 or not), then exit',
    },
    html: {
      type: 'string',
      value: '<file>',
      help: "with --compare: also write B's HTML report with the change from A in it, to <file>",
    },
  },
  notes: [
    'Files: <out>/<timestamp>.json (raw figures and environment) and <out>/<timestamp>.html (charts, opens\n' +
      'offline). Should saving fail after the runs, they go to a new folder in the temporary folder instead,\n' +
      'and the message says where.',
  ],
  exitCodes: [
    [0, 'every result verified and the report was saved where asked'],
    [1, 'a contender got a wrong result, or a file could not be read or written'],
  ],
} as const satisfies CommandSpec;

function list(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
}

function loadReport(file: string): BenchReport {
  let report: BenchReport;
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  } catch (error) {
    throw new FileError(file, error);
  }
  if (report.format !== 'poetry-bench/1') {
    throw new FileError(file, new Error(`not a bench report (format ${String(report.format)})`));
  }
  return report;
}

/**
 * Makes `dir` and its missing parents one level at a time. Node's recursive mkdir never returns for
 * a folder under /proc (ENOENT with the parent present, retried forever); here that is an error.
 */
function makeFolder(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    if (code === 'EEXIST') {
      if (statSync(dir).isDirectory()) return;
      throw Object.assign(new Error(`not a directory: ${dir}`), { code: 'ENOTDIR' });
    }
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir || existsSync(parent)) throw error;
    makeFolder(parent);
    mkdirSync(dir);
  }
}

/** Makes the output folder and writes a file in it, so a folder that cannot take the report fails now. */
export function prepareOutput(dir: string): void {
  try {
    makeFolder(dir);
    const probe = path.join(dir, `.bench-write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    throw new FileError(dir, error);
  }
}

/** Where the report was saved, as the user would type the paths. */
export interface Saved {
  readonly json: string;
  readonly html: string;
  /** Set when the folder asked for refused the files: why, and the report is in the temporary folder instead. */
  readonly fallback?: string;
}

/** Saves the JSON and HTML reports in `dir`, or, if that fails, in a new folder of the system's temporary folder. */
export function saveReport(report: BenchReport, dir: string): Saved {
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const jsonText = `${JSON.stringify(report, null, 1)}\n`;
  const htmlText = renderHtml(report);
  const write = (folder: string) => {
    const json = path.join(folder, `${stamp}.json`);
    const html = path.join(folder, `${stamp}.html`);
    try {
      writeFileSync(json, jsonText);
      writeFileSync(html, htmlText);
    } catch (error) {
      throw new FileError(folder, error);
    }
    return { json, html };
  };
  try {
    return write(dir);
  } catch (error) {
    if (!(error instanceof FileError)) throw error;
    let fallback: string;
    try {
      fallback = mkdtempSync(path.join(os.tmpdir(), 'poetry-bench-results-'));
    } catch (cause) {
      throw new FileError(os.tmpdir(), cause);
    }
    return { ...write(fallback), fallback: error.message };
  }
}

if (isMain(import.meta.url)) {
  runAsMain(benchCommand, async ({ values, positionals }, run) => {
    const style = process.stdout.isTTY && !process.env.NO_COLOR ? colourStyle : plainStyle;
    if (values.compare !== undefined) {
      const [second, extra] = positionals;
      if (second === undefined) throw new UsageError('--compare needs two files: --compare A.json B.json');
      if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
      const before = loadReport(values.compare);
      const after = loadReport(second);
      run.out(`${renderComparison(before, after, style)}\n`);
      if (values.html !== undefined) {
        try {
          writeFileSync(values.html, renderHtml(after, { compareWith: before }));
        } catch (error) {
          throw new FileError(values.html, error);
        }
        run.err(`saved ${values.html}\n`);
      }
      return 0;
    }
    if (values.html !== undefined) throw new UsageError('--html goes with --compare A.json B.json');
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const runs =
      values.runs === undefined
        ? values.quick
          ? 1
          : defaultRounds
        : numberArgument('--runs', values.runs, { integer: true, positive: true });
    const options: BenchOptions = {
      quick: values.quick ?? false,
      runs,
      scenarios: list(values.scenario),
      models: list(values.model),
      micro: values.micro ?? true,
      pin: values.pin ?? true,
      peers: values.peers ?? false,
      progress: (line) => run.err(`${line}\n`),
      signal: run.signal,
    };
    // Mistakes on the command line are reported before anything is made on disk.
    selectScenarios(options.quick, options.scenarios);
    await contenders(options);
    const outDir = values.out ?? path.join(projectRoot, 'bench/results');
    prepareOutput(outDir);

    let report: BenchReport;
    try {
      report = await runBench(options);
    } catch (error) {
      // Ctrl-C: runBench has stopped its children and removed its work folder; the runner exits 130.
      if (run.signal.aborted) return 130;
      throw error;
    }
    const matrix = newestMatrix(outDir);
    if (matrix) report = { ...report, matrix };

    if (values.json) run.out(`${JSON.stringify(report)}\n`);
    else run.out(`${renderReport(report, style)}\n`);
    const saved = saveReport(report, outDir);
    if (saved.fallback) run.err(`bench: could not save the report: ${saved.fallback}\n`);
    run.err(`saved ${saved.json} and ${saved.html}\n`);
    const failed = report.scenarios.flatMap((s) =>
      s.rows.filter((row) => row.status === 'failed').map((row) => `${s.name}/${row.contender}`),
    );
    if (failed.length > 0) run.err(`FAILED (wrong or missing results): ${failed.join(', ')}\n`);
    return failed.length > 0 || saved.fallback ? 1 : 0;
  });
}
