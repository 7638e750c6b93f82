/**
 * `npm run bench`: every registered model against the shared servers, end to end and in
 * micro-benchmarks, with the raw Node client as the baseline in the same run. Progress goes to
 * stderr while it runs; the tables go to stdout (or the JSON report with `--json`); the raw figures
 * and an HTML report are saved in `bench/results/`. Exits 1 when any contender got a wrong result,
 * so a CI smoke run (`--quick`) fails loudly rather than reporting times for wrong answers.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type BenchReport, projectRoot, runBench } from './harness.ts';
import { renderComparison } from './report/compare.ts';
import { renderHtml } from './report/html.ts';
import { colourStyle, plainStyle, renderReport } from './report/terminal.ts';
import { scenarioSpecs } from './scenarios.ts';

const help = `npm run bench -- [options]

Runs every registered model (and the raw Node client as the baseline) through the end-to-end
scenarios, each run in its own process, several runs in interleaved order; then the micro-benchmarks.

  --scenario NAME   only this scenario (repeatable or comma-separated; a prefix like many-fast selects both)
                    scenarios: ${scenarioSpecs(false)
                      .map((s) => s.name)
                      .join(', ')}
  --model NAME      only this model (repeatable or comma-separated); the raw baseline always runs
  --runs N          runs per model per scenario (default 3; 1 with --quick)
  --quick           small sizes that finish in seconds, for a CI smoke run (micro rows sampled briefly)
  --micro           run the micro-benchmarks (default)
  --no-micro        skip them
  --json            print the JSON report on stdout instead of the tables
  --out DIR         where results go (default bench/results)
  --compare A B     show the change from saved report A.json to B.json, then exit
  --help            this text

Files: <out>/<timestamp>.json (raw figures and environment) and <out>/<timestamp>.html (charts, opens offline).`;

function list(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
}

function loadReport(file: string): BenchReport {
  const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  if (report.format !== 'poetry-bench/1') throw new Error(`${file} is not a bench report (format ${report.format})`);
  return report;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    allowNegative: true,
    options: {
      help: { type: 'boolean' },
      scenario: { type: 'string', multiple: true },
      model: { type: 'string', multiple: true },
      runs: { type: 'string' },
      quick: { type: 'boolean', default: false },
      micro: { type: 'boolean', default: true },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      compare: { type: 'string' },
    },
  });
  const style = process.stdout.isTTY && !process.env.NO_COLOR ? colourStyle : plainStyle;
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  if (values.compare !== undefined) {
    const [second] = positionals;
    if (!second) throw new Error('--compare needs two files: --compare A.json B.json');
    process.stdout.write(`${renderComparison(loadReport(values.compare), loadReport(second), style)}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new Error(`unexpected argument ${positionals[0]}; see --help`);
  const runs = values.runs === undefined ? (values.quick ? 1 : 3) : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);

  const report = await runBench({
    quick: values.quick,
    runs,
    scenarios: list(values.scenario),
    models: list(values.model),
    micro: values.micro,
    progress: (line) => process.stderr.write(`${line}\n`),
  });

  const outDir = path.resolve(values.out ?? path.join(projectRoot, 'bench/results'));
  mkdirSync(outDir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const jsonPath = path.join(outDir, `${stamp}.json`);
  const htmlPath = path.join(outDir, `${stamp}.html`);
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(htmlPath, renderHtml(report));

  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${renderReport(report, style)}\n`);
  process.stderr.write(
    `saved ${path.relative(process.cwd(), jsonPath)} and ${path.relative(process.cwd(), htmlPath)}\n`,
  );
  const failed = report.scenarios.flatMap((s) =>
    s.rows.filter((row) => row.status === 'failed').map((row) => `${s.name}/${row.contender}`),
  );
  if (failed.length > 0) {
    process.stderr.write(`FAILED (wrong or missing results): ${failed.join(', ')}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
