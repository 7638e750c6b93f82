/**
 * The benchmark harness's own tests: a quick run of the classic and faults scenarios for every
 * registered model (the harness works end to end and every model's results verify), the reports
 * rendered from that run, `--compare` through the command line, a deliberately wrong model marked
 * FAILED, the micro runner on a fixture module, and the command's conventions: help, usage errors,
 * an unusable output folder found before any run, a report saved elsewhere rather than lost, and
 * Ctrl-C in a real process. No assertion is about how fast anything is. Every folder a test makes is
 * removed after it; the command's children get a temporary folder of their own, so the tests can
 * check that the bench left nothing in it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { models } from '../harness/registry.ts';
import { type BenchReport, judge, projectRoot, runBench, runMicro, type ScenarioResult } from './harness.ts';
import { choosePinning, pinnedArgv } from './pinning.ts';
import { renderHtml } from './report/html.ts';
import { plainStyle, renderReport, renderScenario } from './report/terminal.ts';
import { saveReport } from './run.ts';
import { type Goal, scenarioSpecs } from './scenarios.ts';

const cli = [process.execPath, '--import', 'tsx', 'bench/run.ts'];

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A folder for one test, removed after it. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** The bench's command line, its temporary folder `tmp` (its work folders go there). */
function bench(args: readonly string[], tmp: string) {
  return $({ cwd: projectRoot, quiet: true, nothrow: true, env: { ...process.env, TMPDIR: tmp } })`${cli} ${args}`;
}

/** What the bench left in its temporary folder (tsx keeps its compile cache there too: not the bench's). */
function benchLeftovers(tmp: string): string[] {
  return readdirSync(tmp).filter((name) => name.startsWith('poetry-bench'));
}

describe('a quick run of every registered model', () => {
  let report: BenchReport;
  const progress: string[] = [];
  beforeAll(async () => {
    report = await runBench({
      quick: true,
      runs: 1,
      scenarios: ['classic', 'faults'],
      micro: false,
      progress: (line) => progress.push(line),
    });
  }, 120_000);

  it('warms each scenario’s servers with a run of raw that is not counted, before round 1', () => {
    for (const name of ['classic', 'faults']) {
      const warmUp = progress.findIndex((line) => line.includes(`[${name}] warm-up run of raw, not counted`));
      const firstRun = progress.findIndex((line) => line.includes(`[${name}] raw run 1/1`));
      expect(warmUp).toBeGreaterThanOrEqual(0);
      expect(firstRun).toBeGreaterThan(warmUp);
    }
  });

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
        // One round: each model's paired ratio to raw is that round's, its interval the point itself.
        if (row.contender === 'raw') expect(row.paired).toBeUndefined();
        else {
          const wall = row.samples[0]!.wallMs / scenario.rows[0]!.samples[0]!.wallMs;
          expect(row.paired?.wall).toEqual({ median: wall, low: wall, high: wall, rounds: 1 });
          expect(row.paired?.cpu.rounds).toBe(1);
        }
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

  it('shows each paired ratio with its interval and the verdict of each judged model, in the table and the HTML', () => {
    const classic = report.scenarios.find((scenario) => scenario.name === 'classic')!;
    const judged = ['reactor', 'lazy'];
    const withGoal: ScenarioResult = {
      ...classic,
      goal: {
        limits: [
          { measure: 'wall', atMost: 1.25 },
          { measure: 'cpu', atMost: 1.25 },
          { measure: 'rss', atMost: 1.2 },
        ],
        why: 'a test',
        judged,
      },
      rows: classic.rows.map((row) =>
        row.contender === 'raw'
          ? row
          : {
              ...row,
              paired: {
                wall: { median: 1.1, low: 1.05, high: 1.2, rounds: 5 },
                cpu: { median: 1.3, low: 1.26, high: 1.4, rounds: 5 },
                rss: { median: 1.15, low: 1.12, high: 1.18, rounds: 5 },
              },
              ...(judged.includes(row.contender) && { verdict: 'not met' as const }),
            },
      ),
    };
    const text = renderScenario(withGoal, plainStyle);
    expect(text).toContain('goal ≤ 1.25× wall+CPU, 1.20× RSS');
    expect(text).toMatch(
      /^reactor .*1\.10× \[1\.05–1\.20\]\*? +1\.30× \[1\.26–1\.40\]\*? +1\.15× \[1\.12–1\.18\]\*? +not met$/m,
    );
    expect(text).toMatch(/not met: reactor, lazy/);
    for (const other of models.filter((model) => !judged.includes(model.name))) {
      expect(text).toMatch(new RegExp(`^${other.name} .* not judged$`, 'm'));
    }
    const html = renderHtml({ ...report, scenarios: [withGoal] });
    expect(html).toMatch(
      /<td class="name"[^>]*>reactor<\/td>.*<td[^>]*>1\.10× \[1\.05–1\.20\]<\/td>.*<td>not met<\/td>/,
    );
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
    const dir = tempDir('bench-compare-');
    const before = path.join(dir, 'a.json');
    const after = path.join(dir, 'b.json');
    // The first report is from before paired ratios: rows with only the ratio of medians.
    const older: BenchReport = {
      ...report,
      scenarios: report.scenarios.map((scenario) => ({
        ...scenario,
        rows: scenario.rows.map(({ paired: _, ...row }) => row),
      })),
    };
    writeFileSync(before, JSON.stringify(older));
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

  it('says plainly that peers are not in a run without --peers, with no install command and no path outside the project', () => {
    const text = [renderReport(report, plainStyle), renderHtml(report)].join('\n');
    expect(report.notes.join('\n')).toMatch(/peers: not in this run.*`--peers` adds/);
    expect(report.notes.join('\n')).toContain('verdicts need 3 rounds or more; with 1, every goal');
    expect(text).not.toMatch(/apt-get|shared\/specs/);
  });

  it('keeps a finished report in a new temporary folder when the folder asked for refuses it, and says where', () => {
    const dir = tempDir('bench-save-');
    // The folder was fine when checked, and became unusable while the bench ran.
    const out = path.join(dir, 'results');
    writeFileSync(out, 'a file is in the way');
    const saved = saveReport(report, out);
    made.push(path.dirname(saved.json));
    expect(saved.fallback).toBe(`${out}: not a directory (a file is in the way)`);
    expect(path.dirname(saved.json)).toMatch(new RegExp(`^${os.tmpdir()}/poetry-bench-results-`));
    expect(JSON.parse(readFileSync(saved.json, 'utf8'))).toEqual(report);
    expect(readFileSync(saved.html, 'utf8')).toContain('id="report-data"');
  });

  it('saves in the folder asked for, named as given', () => {
    const dir = tempDir('bench-save-');
    const saved = saveReport(report, dir);
    const stamp = report.startedAt.replace(/[:.]/g, '-');
    expect(saved).toEqual({ json: `${dir}/${stamp}.json`, html: `${dir}/${stamp}.html` });
    expect(readdirSync(dir).sort()).toEqual([`${stamp}.html`, `${stamp}.json`]);
  });
});

describe('pinning', () => {
  it('pins the servers to core 0 and the clients to core 1 only with two cores, taskset and no --no-pin', () => {
    const pinned = choosePinning(2, true, true);
    expect(pinned).toEqual({
      pinned: true,
      serverCore: 0,
      clientCore: 1,
      note: 'pinned: servers on core 0, clients on core 1',
    });
    expect(pinnedArgv(pinned.clientCore, ['bash', '-c', 'x'])).toEqual(['taskset', '-c', '1', 'bash', '-c', 'x']);
    const unpinned = [choosePinning(1, true, true), choosePinning(8, false, true), choosePinning(8, true, false)];
    expect(unpinned.map((choice) => choice.note)).toEqual([
      'not pinned (1 core): figures are noisier (the servers and the client share the cores)',
      'not pinned (no taskset on this machine): figures are noisier (the servers and the client share the cores)',
      'not pinned (--no-pin): figures are noisier (the servers and the client share the cores)',
    ]);
    for (const choice of unpinned) {
      expect(choice.pinned).toBe(false);
      expect(pinnedArgv(choice.serverCore, ['bash'])).toEqual(['bash']);
    }
  });
});

describe('goals', () => {
  const ratio = (median: number, low: number, high: number) => ({ median, low, high, rounds: 5 });
  const wallAndCpu: Goal = {
    limits: [
      { measure: 'wall', atMost: 1.25 },
      { measure: 'cpu', atMost: 1.25 },
    ],
    why: 'a test',
    judged: ['reactor', 'lazy'],
  };

  it('holds the five runtime models to their goals: many-fast within 1.25× in wall and CPU and 1.20× in peak RSS, many-slow within 1.10× wall', () => {
    const goals = Object.fromEntries(
      scenarioSpecs(false).flatMap((spec) => (spec.goal ? [[spec.name, spec.goal]] : [])),
    );
    const five = ['reactor', 'deferred', 'generators', 'actors', 'lazy'];
    expect(Object.keys(goals)).toEqual(['many-slow', 'many-slow-5000', 'many-fast', 'many-fast-limited']);
    for (const name of ['many-fast', 'many-fast-limited']) {
      expect(goals[name]).toMatchObject({
        limits: [
          { measure: 'wall', atMost: 1.25 },
          { measure: 'cpu', atMost: 1.25 },
          { measure: 'rss', atMost: 1.2 },
        ],
        judged: five,
      });
    }
    for (const name of ['many-slow', 'many-slow-5000']) {
      expect(goals[name]).toMatchObject({ limits: [{ measure: 'wall', atMost: 1.1 }], judged: five });
    }
    const slow = scenarioSpecs(false).filter((spec) => spec.name.startsWith('many-slow'));
    expect(slow.map((spec) => [spec.tasks[0]!.count, spec.descriptors])).toEqual([
      [1000, 1000],
      [5000, 5000],
    ]);
  });

  it('judges every measure the goal limits on its interval: both met, either beyond, or one straddling', () => {
    expect(judge({ wall: ratio(1.1, 1.05, 1.2), cpu: ratio(1.2, 1.1, 1.25) }, wallAndCpu)).toBe('met');
    expect(judge({ wall: ratio(1.1, 1.05, 1.2), cpu: ratio(1.3, 1.26, 1.4) }, wallAndCpu)).toBe('not met');
    expect(judge({ wall: ratio(1.2, 1.15, 1.3), cpu: ratio(1.1, 1.05, 1.2) }, wallAndCpu)).toBe('undecided');
    // A goal on wall time alone is not moved by CPU.
    const wallOnly: Goal = { ...wallAndCpu, limits: [{ measure: 'wall', atMost: 1.25 }] };
    expect(judge({ wall: ratio(1.1, 1.05, 1.2), cpu: ratio(2, 2, 2) }, wallOnly)).toBe('met');
  });

  it('holds each measure to its own limit: peak RSS at 1.20× while time may reach 1.25×', () => {
    const withRss: Goal = { ...wallAndCpu, limits: [...wallAndCpu.limits, { measure: 'rss', atMost: 1.2 }] };
    const fast = { wall: ratio(1.1, 1.05, 1.2), cpu: ratio(1.1, 1.05, 1.2) };
    expect(judge({ ...fast, rss: ratio(1.15, 1.1, 1.19) }, withRss)).toBe('met');
    expect(judge({ ...fast, rss: ratio(1.23, 1.21, 1.24) }, withRss)).toBe('not met');
    expect(judge({ ...fast, rss: ratio(1.2, 1.15, 1.22) }, withRss)).toBe('undecided');
    // A report from before peak RSS was paired cannot meet a goal on it.
    expect(judge(fast, withRss)).toBe('undecided');
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

describe('the cpu scenario', () => {
  it('times a model that analyses every poem, and fails one that skips the analysis', async () => {
    const report = await runBench({
      quick: true,
      runs: 1,
      scenarios: ['cpu'],
      micro: false,
      registry: false,
      extraContenders: [
        { name: 'promises', title: 'promises', kind: 'model', module: 'baselines/promises/index.ts' },
        {
          name: 'unanalysed',
          title: 'skips the CPU step on purpose',
          kind: 'model',
          module: 'bench/test-fixtures/unanalysed-model.ts',
          exportName: 'unanalysedModel',
        },
      ],
    });
    const rows = Object.fromEntries(report.scenarios[0]!.rows.map((row) => [row.contender, row]));
    expect([rows.raw?.status, rows.promises?.status, rows.unanalysed?.status]).toEqual(['ok', 'ok', 'failed']);
    expect(rows.unanalysed?.notes.join('\n')).toMatch(/task 1 .*analysis is missing/);
    // The slow poems' lateness while the others are analysed is measured.
    expect(rows.promises?.median?.lateMs).toBeGreaterThanOrEqual(0);
  });
});

describe('the command line', () => {
  it('explains itself with -h and --help, in the shape every command shares', async () => {
    for (const flag of ['-h', '--help']) {
      const output = await $({ cwd: projectRoot, quiet: true, nothrow: true })`${cli} ${flag}`;
      expect(output.exitCode).toBe(0);
      expect(output.stdout).toMatch(/^Usage: npm run bench -- \[options\]\n/);
      for (const option of [
        '--scenario',
        '--model',
        '--runs',
        '--quick',
        '--json',
        '--micro, --no-micro',
        '--pin, --no-pin',
        '--compare',
      ]) {
        expect(output.stdout).toContain(option);
      }
      expect(output.stdout).toContain('Exit codes:');
    }
  });

  it('answers a bad --runs and an unknown option in its own words, exit 2', async () => {
    const tmp = tempDir('bench-usage-');
    const runs = await bench(['--runs', '-1'], tmp);
    expect([runs.exitCode, runs.stderr]).toEqual([
      2,
      'bench: --runs must be a positive whole number, got -1 (see --help)\n',
    ]);
    const bogus = await bench(['--bogus'], tmp);
    expect([bogus.exitCode, bogus.stderr]).toEqual([2, 'bench: unknown option --bogus (see --help)\n']);
  });

  it('finds an output folder it cannot use before the first run: the path, the reason, exit 1', async () => {
    const tmp = tempDir('bench-out-');
    const file = path.join(tmp, 'a-file');
    writeFileSync(file, '');
    const readOnly = path.join(tmp, 'read-only');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o500);
    const cases: [string, string][] = [
      [file, `${file}: not a directory (a file is in the way)`],
      [path.join(file, 'below'), `${path.join(file, 'below')}: not a directory (a file is in the way)`],
      // Node's own recursive mkdir never returns here.
      ['/proc/poetry-bench', '/proc/poetry-bench: no such file or directory'],
    ];
    // root writes anywhere, so a read-only folder only refuses other users.
    if (process.getuid?.() !== 0) cases.push([readOnly, `${readOnly}: permission denied`]);
    for (const [out, message] of cases) {
      const output = await bench(['--quick', '--scenario', 'classic', '--no-micro', '--out', out], tmp);
      expect([output.exitCode, output.stderr]).toEqual([1, `bench: ${message}\n`]);
    }
    expect(benchLeftovers(tmp)).toEqual([]);
  });

  it('prints the JSON report with --json and saves it with the HTML page in --out, named as given', async () => {
    const dir = tempDir('bench-json-');
    const out = path.join(dir, 'made', 'here');
    const output = await bench(
      ['--quick', '--scenario', 'faults', '--model', 'raw', '--no-micro', '--json', '--out', out],
      dir,
    );
    expect(output.exitCode).toBe(0);
    const printed = JSON.parse(output.stdout) as BenchReport;
    expect(printed.format).toBe('poetry-bench/1');
    expect(printed.scenarios[0]!.rows.map((row) => [row.contender, row.status])).toEqual([['raw', 'ok']]);
    expect(printed.environment.node).toBe(process.version);
    expect(printed.environment.descriptorLimit).toContain('hard');
    // The run says whether it pinned, and it pins exactly where this machine allows it.
    const canPin = os.availableParallelism() >= 2 && (await $({ nothrow: true, quiet: true })`command -v taskset`).ok;
    expect(printed.environment.pinning?.pinned).toBe(canPin);
    expect(output.stderr).toContain(printed.environment.pinning!.note);
    const saved = readdirSync(out).sort();
    expect(saved).toEqual([expect.stringMatching(/\.html$/), expect.stringMatching(/\.json$/)]);
    expect(output.stderr).toContain(`saved ${path.join(out, saved[1]!)} and ${path.join(out, saved[0]!)}\n`);
    // Each progress line says how long the bench has run and which of all its runs this is.
    expect(output.stderr).toMatch(/^\[\d+:\d\d · 1\/1\] \[faults\] raw run 1\/1: /m);
    expect(benchLeftovers(dir)).toEqual([]);
  });

  it('runs unpinned with --no-pin, and its report says the figures are noisier', async () => {
    const dir = tempDir('bench-no-pin-');
    const args = ['--quick', '--scenario', 'faults', '--model', 'raw', '--no-micro', '--no-pin', '--json'];
    const output = await bench([...args, '--out', dir], dir);
    expect(output.exitCode).toBe(0);
    const printed = JSON.parse(output.stdout) as BenchReport;
    expect(printed.environment.pinning).toEqual({
      pinned: false,
      note: 'not pinned (--no-pin): figures are noisier (the servers and the client share the cores)',
    });
  });

  it('on Ctrl-C stops its children, removes its work folder and exits 130', async () => {
    const tmp = tempDir('bench-interrupt-');
    const out = path.join(tmp, 'out');
    const child = spawn(cli[0]!, [...cli.slice(1), '--quick', '--scenario', 'classic', '--no-micro', '--out', out], {
      cwd: projectRoot,
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let children: number[] = [];
    let interrupting: Promise<void> | undefined;
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk;
      // The first run has finished: the servers are up and the next model's run is starting.
      if (!interrupting && / run 1\/1: /.test(stderr)) interrupting = interrupt(child);
    });
    const interrupt = async (bench: ChildProcess) => {
      // Wait (bounded) until a model's process runs beside the servers, so Ctrl-C has both to stop.
      for (let attempt = 0; attempt < 200 && children.length < 2; attempt++) {
        children = descendants(bench.pid!);
        if (children.length < 2) await sleep(10);
      }
      bench.kill('SIGINT');
    };
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    await interrupting;
    expect({ code, signal }).toEqual({ code: 130, signal: null });
    expect(children.length).toBeGreaterThan(0);
    expect(running(children)).toEqual([]);
    expect(benchLeftovers(tmp)).toEqual([]);
    expect(readdirSync(out)).toEqual([]);
    expect(stderr).not.toMatch(/Error|\n\s+at /);
  }, 60_000);

  it('rejects an unknown scenario with the list of known ones', async () => {
    const output = await $({ cwd: projectRoot, quiet: true, nothrow: true })`${cli} --scenario nonesuch`;
    expect(output.exitCode).toBe(2);
    expect(output.stderr).toContain('many-slow');
  });
});

describe('micro-benchmarks', () => {
  it('runs every suite of a module, reports ratios to the baseline, judges budgets and keeps broken rows', async () => {
    const dir = tempDir('bench-micro-');
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

/** pid, parent pid and state (`Z` for a zombie) of every process. */
function processes(): { pid: number; ppid: number; state: string }[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,stat='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => {
      const [pid = '', ppid = '', state = ''] = line.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), state };
    });
}

/** Every process below `pid`, children first. */
function descendants(pid: number): number[] {
  const table = processes();
  const below = (parent: number): number[] =>
    table.filter((row) => row.ppid === parent).flatMap((row) => [row.pid, ...below(row.pid)]);
  return below(pid);
}

/**
 * Those of `pids` still running. A zombie has ended: tsx's esbuild helper exits with the bench and
 * waits for a PID 1 that, in some containers, never collects it.
 */
function running(pids: readonly number[]): number[] {
  const live = new Set(processes().flatMap((row) => (row.state.startsWith('Z') ? [] : [row.pid])));
  return pids.filter((pid) => live.has(pid));
}
