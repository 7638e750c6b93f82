/**
 * A small bench report built in code for the report's tests: two scenarios (classic with
 * timelines, faults without), the raw baseline, three models and a peer, five paired rounds each,
 * one skipped and one failed row, and a micro suite. Its figures are chosen, not measured, so a
 * test can know the factors and scores they must give; `slower` makes a second run to compare it
 * with, one model clearly slower in every round and the rest unchanged.
 */

import type { BenchReport, Row, Sample, ScenarioResult } from '../harness.ts';
import type { RecordedEvent } from '../model-process.ts';
import { pairedRatio, roundRatios } from '../stats.ts';

const rounds = 5;

/** Wall times per round around `wallMs`, each round a little off in the same pattern for everyone. */
function samples(wallMs: number): Sample[] {
  const drift = [1, 1.02, 0.98, 1.01, 0.99];
  return drift.slice(0, rounds).map((factor, index) => ({
    run: index + 1,
    wallMs: wallMs * factor,
    cpuMs: wallMs * factor * 0.2,
    userMs: wallMs * factor * 0.15,
    systemMs: wallMs * factor * 0.05,
    maxRssMB: 60,
    serverCpuMs: 10,
    failures: [],
  }));
}

/** Three tasks whose chunks arrive in turn (`interleaved`) or one task after another. */
function timeline(interleaved: boolean, chunks = 40): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  for (let task = 1; task <= 3; task++) {
    events.push({ type: 'connected', task, bytes: 0, at: interleaved ? 1 : 1 + (task - 1) * chunks * 5 });
    for (let k = 0; k < chunks; k++) {
      const at = interleaved ? 2 + k * 5 + (task - 1) * 1.6 : 2 + ((task - 1) * chunks + k) * 5;
      events.push({ type: 'chunk', task, bytes: 10 + task, at });
    }
  }
  return events.sort((a, b) => a.at - b.at);
}

function row(contender: string, kind: Row['kind'], wallMs: number, raw: Sample[] | undefined, events?: boolean): Row {
  const own = samples(wallMs);
  const walls = own.map((sample) => sample.wallMs).sort((a, b) => a - b);
  const ratios = raw
    ? roundRatios(
        own.map((s) => ({ run: s.run, value: s.wallMs })),
        raw.map((s) => ({ run: s.run, value: s.wallMs })),
      )
    : [];
  const cpuRatios = raw
    ? roundRatios(
        own.map((s) => ({ run: s.run, value: s.cpuMs })),
        raw.map((s) => ({ run: s.run, value: s.cpuMs })),
      )
    : [];
  return {
    contender,
    title: `${contender} (fixture)`,
    kind,
    status: 'ok',
    notes: [],
    samples: own,
    median: { wallMs, cpuMs: wallMs * 0.2, maxRssMB: 60, serverCpuMs: 10 },
    spread: { minMs: walls[0]!, maxMs: walls.at(-1)!, pct: ((walls.at(-1)! - walls[0]!) / wallMs) * 100 },
    ...(raw && {
      vsRaw: wallMs / 100,
      paired: { wall: pairedRatio(ratios)!, cpu: pairedRatio(cpuRatios)! },
    }),
    ...(events !== undefined && { timeline: timeline(events) }),
  };
}

const skipped = (contender: string, kind: Row['kind'], why: string): Row => ({
  contender,
  title: `${contender} (fixture)`,
  kind,
  status: 'skipped',
  notes: [why],
  samples: [],
});

function scenario(name: string, withTimelines: boolean, walls: Record<string, number>): ScenarioResult {
  const raw = samples(walls.raw!);
  const rows: Row[] = [
    row('raw', 'baseline', walls.raw!, undefined, withTimelines ? true : undefined),
    walls.blocking === undefined
      ? skipped('blocking', 'model', 'one after another would take minutes')
      : row('blocking', 'model', walls.blocking, raw, withTimelines ? false : undefined),
    row('reactor', 'model', walls.reactor!, raw, withTimelines ? true : undefined),
    walls.lazy === undefined
      ? { ...skipped('lazy', 'model', 'wrong poem from task 2'), status: 'failed' as const }
      : row('lazy', 'model', walls.lazy, raw, withTimelines ? true : undefined),
    row('twisted', 'peer', walls.twisted!, raw),
  ];
  return {
    name,
    title: `${name} (fixture)`,
    description: `the ${name} scenario, built for the report's tests`,
    tasks: 3,
    ...(withTimelines && { idealMs: 200, sumMs: 600 }),
    taskGroups: ['classic', 'classic', 'classic'],
    warnings: [],
    rows,
  };
}

/** Classic: raw 100 ms, reactor 1.5×, lazy 3×, blocking 6×, twisted 2×; faults: lazy failed, blocking skipped. */
export function fixtureReport(): BenchReport {
  return {
    format: 'poetry-bench/1',
    startedAt: '2026-12-01T10:00:00.000Z',
    finishedAt: '2026-12-01T10:01:00.000Z',
    quick: true,
    runs: rounds,
    environment: {
      node: 'v20.0.0',
      platform: 'Linux fixture',
      cpu: 'Fixture CPU',
      cores: 2,
      memoryGB: 4,
      gitCommit: 'abc1234',
      descriptorLimit: 'soft 1024, hard 4096',
      hostname: 'fixture',
      pinning: { pinned: true, serverCore: 0, clientCore: 1, note: 'pinned: servers on core 0, clients on core 1' },
    },
    scenarios: [
      scenario('classic', true, { raw: 100, blocking: 600, reactor: 150, lazy: 300, twisted: 200 }),
      scenario('faults', false, { raw: 400, reactor: 400, twisted: 800 }),
    ],
    micro: [
      {
        module: 'bench/micro/fixture.ts',
        name: 'fixture-suite',
        description: 'a micro suite for the tests',
        baseline: 'plain',
        rows: [
          { name: 'plain', opsPerSec: 1000, nsPerOp: 1e6, rmePct: 1, samples: 10, vsBaseline: 1 },
          { name: 'wrapped', opsPerSec: 500, nsPerOp: 2e6, rmePct: 2, samples: 10, vsBaseline: 0.5 },
        ],
      },
    ],
    notes: ['a fixture, not a measurement'],
  };
}

/** The same report run again with `contender` `factor` times slower in classic, every round, its ratios to raw with it. */
export function slower(report: BenchReport, contender: string, factor: number): BenchReport {
  const slowed = (r: Row, raw: Row): Row => {
    const own = r.samples.map((s) => ({ ...s, wallMs: s.wallMs * factor }));
    const walls = (samples: readonly Sample[]) => samples.map((s) => ({ run: s.run, value: s.wallMs }));
    return {
      ...r,
      samples: own,
      median: { ...r.median!, wallMs: r.median!.wallMs * factor },
      vsRaw: (r.median!.wallMs * factor) / raw.median!.wallMs,
      paired: { ...r.paired!, wall: pairedRatio(roundRatios(walls(own), walls(raw.samples)))! },
    };
  };
  return {
    ...report,
    startedAt: '2026-12-02T10:00:00.000Z',
    scenarios: report.scenarios.map((one) => {
      const raw = one.rows.find((r) => r.contender === 'raw')!;
      return one.name !== 'classic'
        ? one
        : { ...one, rows: one.rows.map((r) => (r.contender === contender && r.median ? slowed(r, raw) : r)) };
    }),
  };
}
