/**
 * The report's explorable figures on a fixture whose answers are known: factors versus the fastest
 * shown and versus raw, the colour scale at its anchors, the overall score over the scenarios a
 * contender ran, and the selection's round trip through the hash.
 */
import { describe, expect, it } from 'vitest';
import { fixtureReport } from './report-fixture.ts';
import {
  factorColour,
  factorTable,
  formatSelection,
  overallScores,
  pageFunctions,
  parseSelection,
  scenarioFactors,
} from './score.ts';

const report = fixtureReport();
const [classic, faults] = report.scenarios as [(typeof report.scenarios)[0], (typeof report.scenarios)[0]];
const everyone = classic.rows.map((row) => row.contender);

describe('scenarioFactors', () => {
  it('puts the fastest at 1× and the others at their paired ratio over it, fastest first', () => {
    const factors = scenarioFactors(classic.rows, everyone);
    expect(factors.map((f) => f.contender)).toEqual(['raw', 'reactor', 'twisted', 'lazy', 'blocking']);
    const by = Object.fromEntries(factors.map((f) => [f.contender, f]));
    expect(by.raw!.vsFastest).toBe(1);
    expect(by.reactor!.vsFastest).toBeCloseTo(1.5, 9);
    expect(by.blocking!.vsFastest).toBeCloseTo(6, 9);
    expect(by.twisted!.label).toBe('twisted (peer)');
    // Every round drifts alike, so the paired interval is a point; the spread is the rounds' range.
    expect(by.lazy!.low).toBeCloseTo(3, 9);
    expect(by.lazy!.high).toBeCloseTo(3, 9);
    expect(by.lazy!.vsRaw).toBeCloseTo(3, 9);
    expect(by.lazy!.spreadPct).toBeCloseTo(2, 9);
  });

  it('measures against the fastest of those shown: without raw, reactor is 1×', () => {
    const factors = scenarioFactors(classic.rows, ['reactor', 'lazy', 'blocking']);
    expect(factors.map((f) => [f.contender, +f.vsFastest.toFixed(6)])).toEqual([
      ['reactor', 1],
      ['lazy', 2],
      ['blocking', 4],
    ]);
    // The ratio to raw does not depend on what is shown.
    expect(factors[1]!.vsRaw).toBeCloseTo(3, 9);
  });

  it('gives no interval for raw (the reference) nor for a single round', () => {
    const raw = scenarioFactors(classic.rows, everyone)[0]!;
    expect([raw.contender, raw.vsRaw, raw.low, raw.rawLow]).toEqual(['raw', 1, undefined, undefined]);
    const oneRound = classic.rows.map((row) =>
      row.paired
        ? {
            ...row,
            samples: row.samples.slice(0, 1),
            paired: { ...row.paired, wall: { median: 2, low: 2, high: 2, rounds: 1 } },
          }
        : row,
    );
    const lazy = scenarioFactors(oneRound, everyone).find((f) => f.contender === 'lazy')!;
    expect([lazy.vsRaw, lazy.low, lazy.rawLow, lazy.spreadPct]).toEqual([2, undefined, undefined, undefined]);
  });

  it('leaves out skipped and failed rows', () => {
    expect(scenarioFactors(faults.rows, everyone).map((f) => f.contender)).toEqual(['raw', 'reactor', 'twisted']);
  });

  it('falls back to median wall times when the report has no paired rounds', () => {
    const old = classic.rows.map(({ paired: _, vsRaw: __, ...row }) => row);
    const factors = scenarioFactors(old, everyone);
    expect(factors.find((f) => f.contender === 'lazy')!.vsFastest).toBeCloseTo(3, 9);
    expect(factors.find((f) => f.contender === 'lazy')!.low).toBeUndefined();
  });
});

describe('overallScores', () => {
  it('is the geometric mean over the scenarios a contender ran, naming those it did not', () => {
    const perScenario = report.scenarios.map((s) => ({ scenario: s.name, factors: scenarioFactors(s.rows, everyone) }));
    const scores = Object.fromEntries(overallScores(perScenario).map((s) => [s.contender, s]));
    expect(scores.raw!.score).toBeCloseTo(1, 9);
    // reactor: 1.5× in classic, 1× in faults → √1.5.
    expect(scores.reactor!.score).toBeCloseTo(Math.sqrt(1.5), 9);
    // twisted: 2× and 2× → 2×.
    expect(scores.twisted!.score).toBeCloseTo(2, 9);
    // blocking ran only classic (6×); faults is named as missing rather than counted.
    expect(scores.blocking!.score).toBeCloseTo(6, 9);
    expect(scores.blocking!.scenarios).toEqual(['classic']);
    expect(scores.blocking!.missing).toEqual(['faults']);
    expect(overallScores(perScenario).map((s) => s.contender)).toEqual([
      'raw',
      'reactor',
      'twisted',
      'lazy',
      'blocking',
    ]);
  });
});

describe('factorColour', () => {
  it('is green at 1×, yellow at 2×, red from 4× on, and halfway in hue at √2 on the log scale', () => {
    expect(factorColour(1)).toBe('hsl(120, 70%, 78%)');
    expect(factorColour(2)).toBe('hsl(60, 70%, 78%)');
    expect(factorColour(4)).toBe('hsl(0, 70%, 78%)');
    expect(factorColour(40)).toBe('hsl(0, 70%, 78%)');
    expect(factorColour(Math.SQRT2)).toBe('hsl(90, 70%, 78%)');
    expect(factorColour(0.5)).toBe('hsl(120, 70%, 78%)');
  });
});

describe('the selection in the hash', () => {
  const models = ['raw', 'reactor', 'twisted (x)'];
  const scenarios = ['classic', 'faults'];

  it('shows everything without a hash, and writes no hash for everything', () => {
    expect(parseSelection('', models, scenarios)).toEqual({ models, scenarios });
    expect(formatSelection({ models, scenarios }, models, scenarios)).toBe('');
  });

  it('round-trips a narrowed selection, names with spaces included, in the report order', () => {
    const chosen = { models: ['twisted (x)', 'raw'], scenarios: ['faults'] };
    const hash = formatSelection(chosen, models, scenarios);
    expect(hash).toBe('models=raw,twisted%20(x)&scenarios=faults');
    expect(parseSelection(`#${hash}`, models, scenarios)).toEqual({
      models: ['raw', 'twisted (x)'],
      scenarios: ['faults'],
    });
  });

  it('drops names the report lacks and ignores malformed parts', () => {
    expect(parseSelection('#models=raw,nosuch&junk&scenarios=', models, scenarios)).toEqual({
      models: ['raw'],
      scenarios: [],
    });
  });
});

describe('pageFunctions', () => {
  it('are self-contained: their source text alone, evaluated, gives the same answers', () => {
    // What the page gets: each function's text, with the identity helper a bundler may call.
    const source = `const __name = (target) => target;\n${pageFunctions.map(String).join('\n')}\nreturn { scenarioFactors, factorColour, factorTable };`;
    const inPage = new Function(source)() as {
      scenarioFactors: typeof scenarioFactors;
      factorColour: typeof factorColour;
      factorTable: typeof factorTable;
    };
    const factors = scenarioFactors(classic.rows, everyone);
    expect(inPage.factorTable(factors)).toBe(factorTable(factors));
    expect(inPage.scenarioFactors(classic.rows, everyone)).toEqual(scenarioFactors(classic.rows, everyone));
    expect(inPage.factorColour(3)).toBe(factorColour(3));
  });
});
