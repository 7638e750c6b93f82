/**
 * Whether two runs' per-round samples differ by more than chance: the Mann–Whitney rank-sum test,
 * two-sided. `--compare` uses it so that a change between two saved reports is called significant
 * only when p ≤ 0.05, not whenever the medians differ.
 *
 * A rank test, because a round disturbed by the machine makes the samples skewed and a t-test's
 * mean follows that one round. With few rounds (5 against 5, the default) the p-value is exact: every
 * way of splitting the pooled samples into two groups of those sizes is counted, ties sharing their
 * mid-rank. Beyond `exactLimit` splits it is the normal approximation with the tie correction.
 * The smallest p two runs can reach is 2 / C(n+m, n): 1 round against 1 is never significant, and
 * 3 against 3 (p ≥ 0.1) is not either, which the page says.
 */

export interface RankSumTest {
  /** The Mann–Whitney U of the first sample (how often one of its values exceeds one of the second's). */
  readonly u: number;
  /** Two-sided p: the chance of a U at least this far from the middle if both came from one distribution. */
  readonly p: number;
  /** Whether p was counted exactly over every split (else the normal approximation). */
  readonly exact: boolean;
}

/** At most this many splits are enumerated: C(20, 10) = 184,756 is the largest under it. */
const exactLimit = 200_000;

export const significanceLevel = 0.05;

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return Math.round(result);
}

/**
 * The smallest two-sided p the test can give for samples of `n` and `m` values: every value of one
 * below every value of the other. Above the significance level, no change can be called however
 * large it is.
 */
export function smallestP(n: number, m: number): number {
  return n < 1 || m < 1 ? 1 : Math.min(1, 2 / binomial(n + m, n));
}

/** Mid-ranks (1-based) of `values`: tied values share the mean of the ranks they span. */
function midRanks(values: readonly number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.value === order[start]!.value) end++;
    for (let i = start; i <= end; i++) ranks[order[i]!.index] = (start + end) / 2 + 1;
    start = end + 1;
  }
  return ranks;
}

/** The rank-sum test of `a` against `b`; undefined when either has no finite value. */
export function rankSumTest(a: readonly number[], b: readonly number[]): RankSumTest | undefined {
  const first = a.filter(Number.isFinite);
  const second = b.filter(Number.isFinite);
  const n = first.length;
  const m = second.length;
  if (n === 0 || m === 0) return undefined;
  const ranks = midRanks([...first, ...second]);
  const rankSum = (chosen: readonly number[]) => chosen.reduce((sum, index) => sum + ranks[index]!, 0);
  const uOf = (sum: number) => sum - (n * (n + 1)) / 2;
  const u = uOf(rankSum(first.map((_, index) => index)));
  const middle = (n * m) / 2;
  const distance = Math.abs(u - middle);
  // Rank sums are multiples of 0.5, so a split as extreme as the observed one differs by rounding only.
  const asExtreme = (other: number) => Math.abs(other - middle) >= distance - 1e-9;

  if (binomial(n + m, n) <= exactLimit) {
    let extreme = 0;
    let total = 0;
    const chosen: number[] = [];
    const visit = (from: number) => {
      if (chosen.length === n) {
        total++;
        if (asExtreme(uOf(rankSum(chosen)))) extreme++;
        return;
      }
      for (let index = from; index <= n + m - (n - chosen.length); index++) {
        chosen.push(index);
        visit(index + 1);
        chosen.pop();
      }
    };
    visit(0);
    return { u, p: extreme / total, exact: true };
  }

  const all = n + m;
  const ties = [...new Set(ranks)].reduce((sum, rank) => {
    const count = ranks.filter((one) => one === rank).length;
    return sum + count ** 3 - count;
  }, 0);
  const variance = ((n * m) / 12) * (all + 1 - ties / (all * (all - 1)));
  if (variance <= 0) return { u, p: 1, exact: false };
  // Continuity correction: U moves in steps of 0.5 or 1, the normal curve does not.
  const z = Math.max(0, distance - 0.5) / Math.sqrt(variance);
  return { u, p: Math.min(1, 2 * (1 - normalCdf(z))), exact: false };
}

/** The standard normal distribution function (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
function normalCdf(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
