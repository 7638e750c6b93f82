/**
 * The peers in the bench: a quick run of classic and faults with every peer beside a descendant
 * model (every peer's results verified by hash and code, like a model's), the rows and lines the
 * report shows for them, each peer's own command line (help, usage errors, exit 1 when no poem
 * arrived), and the parts that need no peer at all (reading a peer's document, the ancestor line).
 *
 * CI installs the peers (`npm run peers -- install` in .ci/run), and there every peer must be ready:
 * a peer that is not is a failure. Elsewhere a peer not installed must show as exactly that, a row
 * with the install hint, never silently missing. No assertion is about how fast anything is.
 */
import { execFile } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatAddress } from '../../poetry/contract.ts';
import { refusingAddress } from '../../poetry/servers/index.ts';
import { type BenchReport, type Row, runBench, type ScenarioResult } from '../harness.ts';
import { renderHtml } from '../report/html.ts';
import { ancestorVerdict, plainStyle, renderReport } from '../report/terminal.ts';
import {
  ancestorOf,
  checkPeer,
  exitCodeProblem,
  installHint,
  type PeerDocument,
  peerNames,
  peers,
  type Readiness,
  readPeerDocument,
} from './peers.ts';

/** In CI the peers were installed first; anywhere else a missing peer is allowed, and must say so. */
const required = process.env.CI === 'true' || process.env.CI === '1';
const descendants = ['reactor', 'generators', 'actors', 'lazy'];

function run(argv: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command = 'false', ...args] = argv;
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('peers in a quick run of classic and faults, each beside a model it descends from', () => {
  let report: BenchReport;
  const readiness = new Map<string, Readiness>();
  beforeAll(async () => {
    for (const peer of peers) readiness.set(peer.name, await checkPeer(peer));
    report = await runBench({
      quick: true,
      runs: 1,
      scenarios: ['classic', 'faults'],
      models: descendants,
      peers: true,
      micro: false,
    });
  }, 150_000);

  it('is ready here when CI installed the peers', () => {
    const notReady = [...readiness].flatMap(([name, state]) => (state.ready ? [] : [`${name}: ${state.why}`]));
    if (required) expect(notReady).toEqual([]);
    expect(readiness.size).toBe(peerNames.length);
  });

  it('has a row for every peer, right after its last descendant, verified like a model, or marked not installed', () => {
    for (const scenario of report.scenarios) {
      expect(scenario.rows.map((row) => row.contender)).toEqual([
        'raw',
        'reactor',
        'twisted',
        'generators',
        'twisted-inline',
        'actors',
        'erlang',
        'lazy',
        'haskell',
      ]);
      for (const row of scenario.rows.filter((one) => one.kind === 'peer')) {
        const state = readiness.get(row.contender)!;
        const seen = { scenario: scenario.name, peer: row.contender, status: row.status, notes: row.notes };
        if (state.ready) {
          expect(seen).toEqual({ ...seen, status: 'ok', notes: [] });
          expect(row.samples).toHaveLength(1);
          expect(row.median?.wallMs).toBeGreaterThan(0);
          expect(row.median?.maxRssMB).toBeGreaterThan(0);
          expect(row.median?.startupMs).toBeGreaterThan(0);
          expect(row.paired?.wall.rounds).toBe(1);
          expect(row.title).toContain(state.runtime);
        } else {
          expect(seen).toEqual({ ...seen, status: 'skipped', notes: [`${installHint} (${state.why})`] });
        }
      }
    }
  });

  it('gives each descendant its per-round wall ratio to its ancestor, and the models their start-up too', () => {
    for (const scenario of report.scenarios) {
      for (const model of descendants) {
        const row = scenario.rows.find((one) => one.contender === model)!;
        expect(row.status).toBe('ok');
        expect(row.median?.startupMs).toBeGreaterThan(0);
        const peer = ancestorOf(model)!;
        const ancestor = scenario.rows.find((one) => one.contender === peer.name)!;
        if (ancestor.status !== 'ok') expect(row.vsAncestor).toBeUndefined();
        else {
          const wall = row.samples[0]!.wallMs / ancestor.samples[0]!.wallMs;
          // Classic and faults hold no model to beating its ancestor: a ratio, no verdict.
          expect(row.vsAncestor).toEqual({ peer: peer.name, wall: { median: wall, low: wall, high: wall, rounds: 1 } });
        }
      }
    }
  });

  it('shows peers as peers, with the start-up column, in the terminal and the HTML report', () => {
    const text = renderReport(report, plainStyle);
    expect(text).toMatch(/^twisted \(peer\) /m);
    expect(text).toContain('start-up');
    expect(report.notes.join('\n')).toMatch(/peers: our own Twisted, Erlang and Haskell clients/);
    const html = renderHtml(report);
    expect(html).toContain('>erlang (peer)</td>');
    if ([...readiness.values()].some((state) => state.ready)) expect(html).toContain('× ancestor wall [95%]');
    expect(`${text}${html}`).not.toMatch(/shared\/specs|\.\.\/shared/);
  });
});

describe("each peer's own command line", () => {
  const ready = new Map<string, readonly string[]>();
  beforeAll(async () => {
    for (const peer of peers) {
      const state = await checkPeer(peer);
      if (state.ready) ready.set(peer.name, state.argv);
    }
  }, 60_000);

  it.each(peerNames)('%s: --help, usage errors with exit 2, and exit 1 when no poem arrived', async (name) => {
    const argv = ready.get(name);
    if (!argv) {
      // Not installed here (allowed outside CI, where the first block's test fails instead).
      expect(required).toBe(false);
      return;
    }
    const help = await run([...argv, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: .*--timeout <seconds>/);
    const unknown = await run([...argv, '--frob']);
    expect({ code: unknown.code, stderr: unknown.stderr }).toEqual({
      code: 2,
      stderr: expect.stringMatching(/unknown option --frob \(see --help\)/),
    });
    const none = await run([...argv]);
    expect({ code: none.code, stderr: none.stderr }).toEqual({
      code: 2,
      stderr: expect.stringMatching(/no addresses given/),
    });
    const badTimeout = await run([...argv, '--timeout', '-1', '1']);
    expect(badTimeout.code).toBe(2);
    // The series' clients exit 0 when every download failed; ours say so.
    const refused = formatAddress(await refusingAddress());
    const failed = await run([...argv, '--timeout', '5', refused]);
    expect(failed.code).toBe(1);
    const document = readPeerDocument(failed.stdout);
    expect(document).toMatchObject({ results: [{ ok: false, address: refused, code: 'REFUSED' }] });
  });
});

describe("a peer's document", () => {
  const document: PeerDocument = {
    runtime: 'test',
    startedAtMs: 1,
    elapsedMs: 2,
    userMs: 1,
    systemMs: 0,
    maxRssMB: 3,
    results: [{ ok: true, address: '127.0.0.1:1', bytes: 3, sha256: 'ab' }],
  };

  it('is refused when it is not JSON or lacks a figure, naming what is wrong', () => {
    expect(readPeerDocument('Traceback (most recent call last)')).toMatch(/^its output is not one JSON document/);
    expect(readPeerDocument('[]')).toBe('its document lacks startedAtMs, elapsedMs, userMs, systemMs, maxRssMB');
    const { elapsedMs: _, ...withoutElapsed } = document;
    expect(readPeerDocument(JSON.stringify(withoutElapsed))).toBe('its document lacks elapsedMs');
    expect(readPeerDocument(JSON.stringify(document))).toEqual(document);
  });

  it('must come with exit 0 exactly when every poem arrived', () => {
    expect(exitCodeProblem(document, 0)).toBeUndefined();
    expect(exitCodeProblem(document, 1)).toMatch(/^exit code 1 with every poem there/);
    const failed = { ...document, results: [{ ok: false, address: 'x:1', code: 'REFUSED', message: 'm' }] as const };
    expect(exitCodeProblem(failed, 1)).toBeUndefined();
    expect(exitCodeProblem(failed, 0)).toMatch(/^exit code 0 with a poem missing/);
  });
});

describe('the ancestor line', () => {
  const ratio = (median: number, low: number, high: number) => ({ median, low, high, rounds: 5 });
  const row = (contender: string, kind: Row['kind'], extra: Partial<Row> = {}): Row => ({
    contender,
    title: contender,
    kind,
    status: 'ok',
    notes: [],
    samples: [],
    ...extra,
  });
  const scenario = (name: string, rows: Row[]): ScenarioResult => ({
    name,
    title: name,
    description: '',
    tasks: 1,
    taskGroups: [],
    warnings: [],
    rows,
  });

  it('says per model whether it beats its ancestor where the goal asks it, and why a figure is missing', () => {
    const rows = [
      row('reactor', 'model', { vsAncestor: { peer: 'twisted', wall: ratio(0.5, 0.4, 0.6), verdict: 'met' } }),
      row('generators', 'model', {
        vsAncestor: { peer: 'twisted-inline', wall: ratio(1.2, 1.1, 1.3), verdict: 'not met' },
      }),
      row('actors', 'model', { vsAncestor: { peer: 'erlang', wall: ratio(0.9, 0.8, 1.1), verdict: 'undecided' } }),
      row('lazy', 'model'),
      row('twisted', 'peer'),
      row('haskell', 'peer', { status: 'skipped', notes: [installHint] }),
    ];
    expect(ancestorVerdict(scenario('many-fast', rows))).toBe(
      'beside their ancestors (the goal: every model faster, wall time paired per round) — ' +
        'reactor: faster than twisted (0.50× [0.40–0.60]); generators: not faster than twisted-inline (1.20× [1.10–1.30]); ' +
        'actors: undecided beside erlang (0.90× [0.80–1.10]); lazy: no figure beside haskell (haskell skipped)',
    );
    expect(ancestorVerdict(scenario('classic', rows))).toBeUndefined();
    expect(
      ancestorVerdict(
        scenario(
          'many-fast',
          rows.filter((one) => one.kind === 'model'),
        ),
      ),
    ).toBeUndefined();
  });
});
