/**
 * The shape of a micro-benchmark suite. Each model area contributes one file in `bench/micro/`
 * exporting `suite`; the bench harness runs every suite with tinybench, all rows of a suite side
 * by side in one run, and reports each row as a ratio to the suite's `baseline` row.
 */
export interface MicroSuite {
  /** Short name, e.g. `deferred-chain`. */
  readonly name: string;
  /** One sentence: what is compared and why. */
  readonly description: string;
  /** The row the others are divided by (usually the native or peer equivalent). */
  readonly baseline: string;
  /** The budget from the issue, in words, e.g. "already-fired chain faster than Promise chain". */
  readonly budget?: string;
  /**
   * Whether the budget is met, given each row's speed relative to the baseline (ops/s ÷ baseline
   * ops/s, so 2 means twice as fast). Without it the budget is shown but not judged.
   */
  readonly budgetMet?: (ratios: Readonly<Record<string, number>>) => boolean;
  /** Row name → one iteration of the work (may return a promise). */
  readonly tasks: Readonly<Record<string, () => unknown>>;
  readonly setup?: () => Promise<void> | void;
  readonly teardown?: () => Promise<void> | void;
}

/**
 * What a `bench/micro/<area>.ts` file exports: one `suite`, or several as `suites`, or both.
 * An area with more than one comparison (say, actor ping-pong and spawn) uses `suites`.
 */
export interface MicroModule {
  readonly suite?: MicroSuite;
  readonly suites?: readonly MicroSuite[];
}

/** The suites a micro-benchmark module contributes, in order. */
export function suitesOf(module: MicroModule): MicroSuite[] {
  return [...(module.suite ? [module.suite] : []), ...(module.suites ?? [])];
}
