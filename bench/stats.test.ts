/**
 * The paired-ratio statistics at their edges: one round, identical rounds, an outlier, a seed that
 * gives the same interval twice, pairing by round number, and the verdicts against a goal.
 */
import { describe, expect, it } from 'vitest';
import { combine, median, pairedRatio, roundRatios, verdict } from './stats.ts';

describe('pairedRatio', () => {
  it('has no figure without rounds, and one round is its own interval', () => {
    expect(pairedRatio([])).toBeUndefined();
    expect(pairedRatio([1.3])).toEqual({ median: 1.3, low: 1.3, high: 1.3, rounds: 1 });
  });

  it('gives identical ratios an interval of that one value', () => {
    expect(pairedRatio([1.2, 1.2, 1.2, 1.2, 1.2])).toEqual({ median: 1.2, low: 1.2, high: 1.2, rounds: 5 });
  });

  it('keeps one wild round from moving the median or the interval of ten', () => {
    const ratio = pairedRatio([1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 5])!;
    expect(ratio).toEqual({ median: 1.1, low: 1.1, high: 1.1, rounds: 10 });
  });

  it('spans the rounds that disagree, the median inside', () => {
    const ratio = pairedRatio([1.3, 1.1, 1.2, 1.25, 1.15])!;
    expect(ratio.median).toBe(1.2);
    expect(ratio.low).toBeLessThan(ratio.median);
    expect(ratio.high).toBeGreaterThan(ratio.median);
    expect(ratio.low).toBeGreaterThanOrEqual(1.1);
    expect(ratio.high).toBeLessThanOrEqual(1.3);
  });

  it('gives the same interval for the same seed, every time', () => {
    const ratios = [1.02, 1.4, 1.17, 1.09, 1.33, 1.21, 1.11];
    expect(pairedRatio(ratios, 7)).toEqual(pairedRatio(ratios, 7));
    expect(pairedRatio(ratios)).toEqual(pairedRatio(ratios));
  });
});

describe('roundRatios', () => {
  it('divides each round by the raw baseline of the same round, leaving out rounds either side lacks', () => {
    const model = [
      { run: 1, value: 30 },
      { run: 2, value: 22 },
      { run: 3, value: Number.NaN },
      { run: 4, value: 40 },
    ];
    const raw = [
      { run: 2, value: 20 },
      { run: 1, value: 10 },
      { run: 3, value: 10 },
    ];
    expect(roundRatios(model, raw)).toEqual([3, 1.1]);
  });
});

describe('verdict', () => {
  const ratio = (low: number, high: number, rounds = 5) => ({ median: (low + high) / 2, low, high, rounds });

  it('is met when the whole interval is within the goal, not met when all of it is beyond', () => {
    expect(verdict(ratio(1.1, 1.25), 1.25)).toBe('met');
    expect(verdict(ratio(1.26, 1.4), 1.25)).toBe('not met');
  });

  it('is undecided when the interval straddles the goal, or with fewer than three rounds', () => {
    expect(verdict(ratio(1.2, 1.3), 1.25)).toBe('undecided');
    expect(verdict(ratio(1.0, 1.0, 2), 1.25)).toBe('undecided');
    expect(verdict(ratio(2.0, 2.0, 1), 1.25)).toBe('undecided');
  });

  it('judges wall and CPU together: met only if both are, not met if either is', () => {
    expect(combine(['met', 'met'])).toBe('met');
    expect(combine(['met', 'undecided'])).toBe('undecided');
    expect(combine(['undecided', 'not met'])).toBe('not met');
    expect(combine([])).toBe('undecided');
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
