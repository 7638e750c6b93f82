/**
 * The benchmark harness's own tests: a quick run of the classic and faults scenarios for every
 * registered model (the harness works end to end and every model's results verify), the reports
 * rendered from that run, `--compare` through the command line, a deliberately wrong model marked
 * FAILED, and the micro runner on a fixture module. No assertion is about how fast anything is.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { models } from '../poetry/models.ts';
import { type BenchReport, projectRoot, runBench, runMicro } from './harness.ts';
import { renderHtml } from './report/html.ts';
import { plainStyle, renderReport } from './report/terminal.ts';

const cli = [process.execPath, '--import', 'tsx', 'bench/run.ts'];

describe('a quick run of every registered model', () => {
  let report: BenchReport;
  beforeAll(async () => {
    report = await runBench({ quick: true, runs: 1, scenarios: ['classic', 'faults'], micro: false });
  }, 120_000);

  it('has a row for the raw baseline and every registered model in each scenario, and every result verifies', () => {
    expect(report.scenarios.map((scenario) => scenario.name)).toEqual(['classic', 'faults']);
    for (const scenario of report.scenarios) {
      expect(scenario.rows.map((row) => row.contender)).toEqual(['raw', ...models.map((model) => model.name)]);
      for (const row of scenario.rows) {
        expect({ scenario: scenario.name, model: row.contender, status: row.status, notes: row.notes }).toEqual({
          scenario: scenario.name,
          model: row.contender,
          status: 'ok',
          notes: [],
        });
        expect(row.samples).toHaveLength(1);
        expect(row.median?.wallMs).toBeGreaterThan(0);
        expect(row.median?.maxRssMB).toBeGreaterThan(0);
      }
    }
  });

  it('records, for classic, a timeline in which every task received chunks of its poem', () => {
    const classic = report.scenarios.find((scenario) => scenario.name === 'classic')!;
    expect(classic.idealMs).toBeGreaterThan(0);
    expect(classic.sumMs).toBeGreaterThan(classic.idealMs!);
    for (const row of classic.rows) {
      const chunks = row.timeline?.filter((event) => event.type === 'chunk') ?? [];
      expect(new Set(chunks.map((event) => event.task)), row.contender).toEqual(new Set([1, 2, 3]));
      expect(chunks.every((event) => event.at >= 0 && event.bytes > 0)).toBe(true);
    }
  });

  it('prints a table per scenario naming every model', () => {
    const text = renderReport(report, plainStyle);
    for (const scenario of report.scenarios) expect(text).toContain(scenario.title);
    for (const model of ['raw', ...models.map((m) => m.name)]) expect(text).toMatch(new RegExp(`^${model} `, 'm'));
    expect(text).not.toContain('\u001b[');
  });

  it('renders a self-contained HTML report with every model, every scenario and the timelines', () => {
    const html = renderHtml(report);
    for (const scenario of report.scenarios) expect(html).toContain(`id="scenario-${scenario.name}"`);
    for (const model of ['raw', ...models.map((m) => m.name)]) {
      expect(html).toMatch(new RegExp(`<td class="name"[^>]*>${model}</td>`));
    }
    expect(html).toContain('id="timelines-0"');
    const data = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)?.[1];
    const embedded = JSON.parse(data!) as BenchReport;
    const verified = embedded.scenarios[0]!.rows.filter((row) => row.status === 'ok');
    expect(verified.length).toBeGreaterThan(0);
    expect(verified.every((row) => (row.timeline?.length ?? 0) > 0)).toBe(true);
    // ECharts itself is inlined: no script or stylesheet is fetched from anywhere.
    expect(html).toContain('echarts.init(');
    expect(html.length).toBeGreaterThan(1_000_000);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?https?:/i);
  });

  it('--compare shows the change per scenario and model between two saved reports', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-compare-'));
    const before = path.join(dir, 'a.json');
    const after = path.join(dir, 'b.json');
    writeFileSync(before, JSON.stringify(report));
    // The second report: raw twice as slow, the last model failed.
    const slower: BenchReport = {
      ...report,
      scenarios: report.scenarios.map((scenario) => ({
        ...scenario,
        rows: scenario.rows.map((row, index) => {
          if (row.contender === 'raw') return { ...row, median: { ...row.median!, wallMs: row.median!.wallMs * 2 } };
          if (index === scenario.rows.length - 1 && index > 0) return { ...row, status: 'failed' as const };
          return row;
        }),
      })),
    };
    writeFileSync(after, JSON.stringify(slower));
    const output = await $({ cwd: projectRoot, quiet: true })`${cli} --compare ${before} ${after}`;
    expect(output.stdout).toContain('classic');
    expect(output.stdout).toContain('faults');
    expect(output.stdout).toMatch(/^raw .*\(\+100\.0%\)/m);
    if (models.length > 0) expect(output.stdout).toContain('ok → failed');
  });
});

describe('verification', () => {
  it('marks a model that returns a wrong poem as FAILED and gives it no time', async () => {
    const report = await runBench({
      quick: true,
      runs: 1,
      scenarios: ['classic'],
      micro: false,
      registry: false,
      extraContenders: [
        {
          name: 'wrong-poem',
          title: 'wrong on purpose',
          kind: 'model',
          module: 'bench/test-fixtures/wrong-poem-model.ts',
          exportName: 'wrongPoemModel',
        },
      ],
    });
    const [raw, wrong] = report.scenarios[0]!.rows;
    expect(raw?.status).toBe('ok');
    expect(wrong?.contender).toBe('wrong-poem');
    expect(wrong?.status).toBe('failed');
    expect(wrong?.median).toBeUndefined();
    expect(wrong?.vsRaw).toBeUndefined();
    expect(wrong?.notes.join('\n')).toMatch(/task 1 .*wrong poem/);
    expect(renderReport(report, plainStyle)).toMatch(/^wrong-poem\s+FAILED/m);
  });
});

describe('the command line', () => {
  it('explains itself with --help', async () => {
    const output = await $({ cwd: projectRoot, quiet: true })`${cli} --help`;
    for (const option of ['--scenario', '--model', '--runs', '--quick', '--json', '--micro', '--compare']) {
      expect(output.stdout).toContain(option);
    }
  });

  it('prints the JSON report with --json and saves it with the HTML page in --out', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-json-'));
    const output = await $({
      cwd: projectRoot,
      quiet: true,
    })`${cli} --quick --scenario faults --model raw --no-micro --json --out ${dir}`;
    const printed = JSON.parse(output.stdout) as BenchReport;
    expect(printed.format).toBe('poetry-bench/1');
    expect(printed.scenarios[0]!.rows.map((row) => [row.contender, row.status])).toEqual([['raw', 'ok']]);
    expect(printed.environment.node).toBe(process.version);
    expect(printed.environment.descriptorLimit).toContain('hard');
    const saved = readdirSync(dir).sort();
    expect(saved).toEqual([expect.stringMatching(/\.html$/), expect.stringMatching(/\.json$/)]);
    expect(output.stderr).toMatch(/\[faults\] raw run 1\/1/);
  });

  it('rejects an unknown scenario with the list of known ones', async () => {
    const output = await $({ cwd: projectRoot, quiet: true, nothrow: true })`${cli} --scenario nonesuch`;
    expect(output.exitCode).toBe(2);
    expect(output.stderr).toContain('many-slow');
  });
});

describe('micro-benchmarks', () => {
  it('runs every suite of a module, reports ratios to the baseline, judges budgets and keeps broken rows', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-micro-'));
    const results = await runMicro(
      { quick: true, runs: 1, micro: true, microRowMs: 20, microModules: ['bench/test-fixtures/micro-fixture.ts'] },
      dir,
    );
    expect(results.map((suite) => suite.name)).toEqual(['fixture-sum', 'fixture-broken']);
    const [sum, broken] = results;
    expect(sum!.rows.map((row) => row.name)).toEqual(['for loop', 'reduce']);
    expect(sum!.rows[0]!.vsBaseline).toBe(1);
    expect(sum!.rows[1]!.opsPerSec).toBeGreaterThan(0);
    expect(sum!.budgetMet).toBe(true);
    expect(broken!.budgetMet).toBeUndefined();
    expect(broken!.rows.find((row) => row.name === 'throws')?.error).toMatch(/deliberately broken/);
    expect(readFileSync(path.join(dir, 'micro.json'), 'utf8')).toContain('fixture-sum');
  });
});
