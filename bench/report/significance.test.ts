/**
 * The rank-sum test at its edges: the exact p-values a table gives for small samples, ties, one
 * round against one, symmetry, and the normal approximation beyond the exact limit.
 */
import { describe, expect, it } from 'vitest';
import { rankSumTest, smallestP } from './significance.ts';

describe('rankSumTest', () => {
  it('gives the exact two-sided p of fully separated 5 against 5: 2 of the 252 splits', () => {
    const test = rankSumTest([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(test).toEqual({ u: 0, p: 2 / 252, exact: true });
    expect(test!.p).toBeLessThan(0.05);
  });

  it('matches the exact table for 4 against 5 with U = 3 (7 of 126 splits each side)', () => {
    const test = rankSumTest([1.1, 2.2, 3.3, 4.4], [2.5, 3.5, 4.5, 5.5, 6.5]);
    expect(test!.u).toBe(3);
    expect(test!.p).toBeCloseTo(14 / 126, 12);
  });

  it('is the same whichever sample comes first', () => {
    const a = [3.1, 2.9, 3.4, 3.0, 3.3];
    const b = [3.2, 3.6, 3.5, 3.8, 3.7];
    expect(rankSumTest(a, b)!.p).toBeCloseTo(rankSumTest(b, a)!.p, 12);
    expect(rankSumTest(a, b)!.u + rankSumTest(b, a)!.u).toBe(25);
  });

  it('cannot call 3 rounds against 3, nor 1 against 1, significant', () => {
    expect(rankSumTest([1, 2, 3], [4, 5, 6])!.p).toBeCloseTo(0.1, 12);
    expect(rankSumTest([1], [9])!.p).toBe(1);
  });

  it('gives p = 1 when every value is tied, and for samples that interleave evenly', () => {
    expect(rankSumTest([2, 2, 2], [2, 2, 2])!.p).toBe(1);
    expect(rankSumTest([1, 4, 5, 8], [2, 3, 6, 7])!.p).toBe(1);
  });

  it('shares mid-ranks among ties', () => {
    // Pooled ranks: 1 → 1, the three 2s → 3, 3 → 5; the first sample's rank sum is 1 + 3 = 4.
    expect(rankSumTest([1, 2], [2, 2, 3])!.u).toBe(1);
  });

  it('leaves out values that are not finite, and has no answer for an empty sample', () => {
    expect(rankSumTest([Number.NaN], [1, 2])).toBeUndefined();
    expect(rankSumTest([1, 2, Number.NaN], [3, 4])).toEqual(rankSumTest([1, 2], [3, 4]));
  });

  it('uses the normal approximation for large samples, and still tells a shift from none', () => {
    const low = Array.from({ length: 15 }, (_, i) => 100 + i);
    const high = low.map((value) => value + 10);
    const shifted = rankSumTest(low, high)!;
    expect(shifted.exact).toBe(false);
    expect(shifted.p).toBeLessThan(0.001);
    const odd = Array.from({ length: 15 }, (_, i) => 2 * i + 1);
    const even = odd.map((value) => value + 1);
    expect(rankSumTest(odd, even)!.p).toBeGreaterThan(0.5);
  });

  it('knows the smallest p a pair of sample sizes allows: 4 against 4 can be significant, 3 against 4 cannot', () => {
    expect(smallestP(4, 4)).toBeCloseTo(2 / 70, 12);
    expect(smallestP(3, 4)).toBeCloseTo(2 / 35, 12);
    expect(smallestP(1, 1)).toBe(1);
    expect(smallestP(0, 5)).toBe(1);
    expect(smallestP(5, 5)).toBe(rankSumTest([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])!.p);
  });
});
