/**
 * Runs the micro-benchmark suites of one `bench/micro/<area>.ts` module with tinybench, in a child
 * process of its own (one area's garbage and JIT state never touches another's), and writes the
 * medians to a JSON file. All rows of a suite run in the same Bench, one after another, so they are
 * compared under the same conditions; each row is divided by the suite's baseline row.
 *
 * Usage: `node --import tsx bench/micro-process.ts <module path> <ms per row> <result.json>`
 */
import { writeFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { type MicroModule, suitesOf } from './micro/suite.ts';

export interface MicroRow {
  readonly name: string;
  readonly opsPerSec: number;
  readonly nsPerOp: number;
  /** Relative margin of error of the latency mean, in percent. */
  readonly rmePct: number;
  readonly samples: number;
  /** ops/s ÷ the baseline row's ops/s: above 1 is faster than the baseline. */
  readonly vsBaseline: number;
  readonly error?: string;
}

export interface MicroResult {
  readonly module: string;
  readonly name: string;
  readonly description: string;
  readonly baseline: string;
  readonly budget?: string;
  /** Undefined when the suite gives no way to judge its budget. */
  readonly budgetMet?: boolean;
  readonly rows: readonly MicroRow[];
  /** Set when the module or the suite could not be run at all. */
  readonly error?: string;
}

async function main(): Promise<void> {
  const [modulePath, rowMs, resultPath] = process.argv.slice(2) as [string, string, string];
  const loaded = (await import(new URL(`../${modulePath}`, import.meta.url).href)) as MicroModule;
  const results: MicroResult[] = [];
  for (const suite of suitesOf(loaded)) {
    const base = { module: modulePath, name: suite.name, description: suite.description, baseline: suite.baseline };
    try {
      await suite.setup?.();
      // The time budget decides, not tinybench's minimum of 64 iterations: some rows move 100 MB per
      // iteration, and those get one warm-up and one measured iteration.
      const bench = new Bench({
        name: suite.name,
        time: Number(rowMs),
        iterations: 1,
        warmupTime: Math.min(100, Number(rowMs)),
        warmupIterations: 1,
      });
      for (const [name, fn] of Object.entries(suite.tasks)) bench.add(name, fn);
      await bench.run();
      await suite.teardown?.();
      // An errored row keeps its place with NaN figures and the error, so the table shows why.
      const measured = bench.tasks.map((task): Omit<MicroRow, 'vsBaseline'> => {
        const result = task.result;
        if (!('latency' in result)) {
          const error = 'error' in result ? String(result.error) : result.state;
          return { name: task.name, opsPerSec: NaN, nsPerOp: NaN, rmePct: NaN, samples: 0, error };
        }
        return {
          name: task.name,
          // Both from the median latency, so ops/s and ns/op always agree (tinybench's own throughput
          // median is computed per sample and can disagree with it when samples are skewed).
          opsPerSec: 1000 / result.latency.p50,
          nsPerOp: result.latency.p50 * 1e6,
          rmePct: result.latency.rme,
          samples: result.latency.samplesCount,
        };
      });
      const baselineOps = measured.find((row) => row.name === suite.baseline)?.opsPerSec ?? NaN;
      const rows: MicroRow[] = measured.map((row) => ({ ...row, vsBaseline: row.opsPerSec / baselineOps }));
      const ratios = Object.fromEntries(rows.map((row) => [row.name, row.vsBaseline]));
      results.push({
        ...base,
        ...(suite.budget && { budget: suite.budget }),
        ...(suite.budgetMet && { budgetMet: suite.budgetMet(ratios) }),
        rows,
      });
    } catch (error) {
      results.push({ ...base, rows: [], error: error instanceof Error ? error.message : String(error) });
    }
  }
  writeFileSync(resultPath, JSON.stringify(results));
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`micro process: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
