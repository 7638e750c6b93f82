/**
 * Paired ratios and their interval. A round runs the raw baseline and every model once, one after
 * another, so whatever slowed the machine in that round slowed them alike: the ratio model ÷ raw of
 * one round is freer of drift than either time. A model's figure is the median of its per-round
 * ratios, with a 95% interval, and a goal is judged on the interval, not on the point.
 *
 * The interval is a percentile bootstrap of that median over the rounds, not a t-interval on the log
 * ratios, because:
 * - it is an interval for the figure the table shows (the median), where a t-interval would be one
 *   for the geometric mean, which a single disturbed round (a GC pause, another process) drags along;
 * - it assumes nothing about the shape of the ratios, which a round of interference makes skewed;
 * - at few rounds it is cautious: with 5 rounds it spans about the lowest to the highest ratio, so
 *   rounds that disagree give `undecided` rather than a verdict the data cannot carry.
 * The resampling draws from a fixed, seeded PRNG, so the same samples always give the same interval
 * and a saved report can be checked by computing it again.
 */
import { seededRandom } from '../poetry/random.ts';

/** A ratio over paired rounds: the median, the 95% interval around it, and how many rounds it rests on. */
export interface PairedRatio {
  readonly median: number;
  readonly low: number;
  readonly high: number;
  readonly rounds: number;
}

/** `met`: the interval is entirely within the goal; `not met`: entirely beyond; `undecided`: it straddles, or too few rounds. */
export type Verdict = 'met' | 'not met' | 'undecided';

/** Below this many rounds no verdict is given: one or two rounds say nothing about the spread. */
export const minRoundsForVerdict = 3;

const resamples = 10_000;
const defaultSeed = 14;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The `q` quantile of sorted values, by the nearest rank (an interval bound is always a value seen). */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The median of `ratios` with its 95% percentile-bootstrap interval; undefined when there are no ratios. */
export function pairedRatio(ratios: readonly number[], seed = defaultSeed): PairedRatio | undefined {
  if (ratios.length === 0) return undefined;
  const random = seededRandom(seed);
  const medians: number[] = [];
  const draw = new Array<number>(ratios.length);
  for (let i = 0; i < resamples; i++) {
    for (let j = 0; j < ratios.length; j++) draw[j] = ratios[Math.floor(random() * ratios.length)]!;
    medians.push(median(draw));
  }
  medians.sort((a, b) => a - b);
  return {
    median: median(ratios),
    low: quantile(medians, 0.025),
    high: quantile(medians, 0.975),
    rounds: ratios.length,
  };
}

/** Per-round ratios `model ÷ raw`, paired by round number; a round missing on either side is left out. */
export function roundRatios(
  model: readonly { readonly run: number; readonly value: number }[],
  raw: readonly { readonly run: number; readonly value: number }[],
): number[] {
  return model.flatMap(({ run, value }) => {
    const base = raw.find((sample) => sample.run === run)?.value;
    return base !== undefined && base > 0 && Number.isFinite(value) ? [value / base] : [];
  });
}

/** How a paired ratio stands against a goal of at most `atMost`. */
export function verdict(ratio: PairedRatio, atMost: number): Verdict {
  if (ratio.rounds < minRoundsForVerdict) return 'undecided';
  if (ratio.high <= atMost) return 'met';
  if (ratio.low > atMost) return 'not met';
  return 'undecided';
}

/** Several measures judged together (wall and CPU): met only if all are, not met if any is. */
export function combine(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('not met')) return 'not met';
  return verdicts.length > 0 && verdicts.every((one) => one === 'met') ? 'met' : 'undecided';
}
