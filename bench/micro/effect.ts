/**
 * Micro-benchmarks for `effect/`: what Effect's own machinery costs against the Promise code it
 * replaces, in the same Bench. Two comparisons, the two things the client leans on per download:
 *
 * - fork/join: N fibers forked and joined, against `Promise.all` of N async functions;
 * - `Effect.forEach` with `{ concurrency: K }` over N small effects, against p-limit (what the
 *   promises model uses for the limit) over N async functions.
 *
 * Each iteration is one `Effect.runPromise` of the whole batch, so a run's start-up is paid once per N
 * items, as the client pays it once per `getPoems`. Every row returns the sum of 0…N−1 and throws if it
 * is wrong, so a row that skipped its work could not look fast.
 */
import { Effect, Fiber } from 'effect';
import pLimit from 'p-limit';
import type { MicroSuite } from './suite.ts';

/** Items per iteration. */
const N = 1000;
/** The concurrency limit of the limited rows. */
const K = 50;

const indices = Array.from({ length: N }, (_, i) => i);
const expectedSum = (N * (N - 1)) / 2;

/** Throws unless `sum` is what every row must compute; returns it so rows stay one expression. */
function checked(sum: number): number {
  if (sum !== expectedSum) throw new Error(`sum ${sum}, expected ${expectedSum}: the row skipped work`);
  return sum;
}

const add = (a: number, b: number): number => a + b;
const sumOf = (values: readonly number[]): number => checked(values.reduce(add, 0));

/** The smallest asynchronous unit on the Promise side: an async function returning its item. */
const asyncItem = async (i: number): Promise<number> => i;

/**
 * p-limit over N async functions, summed. Exported because the RxJS suite uses the same baseline:
 * one definition keeps the two suites' p-limit rows the same work.
 */
export async function pLimitSum(limit: number): Promise<number> {
  const run = pLimit(limit);
  return sumOf(await Promise.all(indices.map((i) => run(asyncItem, i))));
}

// ------------------------------------------------------------------ fork/join

function forkJoin(): Promise<number> {
  return Effect.runPromise(
    Effect.gen(function* () {
      const fibers = yield* Effect.forEach(indices, (i) => Effect.fork(Effect.sync(() => i)));
      return sumOf(yield* Fiber.joinAll(fibers));
    }),
  );
}

const promiseAllRow = `Promise.all of ${N} async functions`;

export const forkJoinSuite: MicroSuite = {
  name: 'effect-fork-join',
  description: `fork ${N} fibers and join them all (one Effect.runPromise per iteration) vs Promise.all of ${N} async functions, same run`,
  baseline: promiseAllRow,
  tasks: {
    [promiseAllRow]: async () => sumOf(await Promise.all(indices.map(asyncItem))),
    [`Effect fork/join of ${N} fibers`]: forkJoin,
  },
};

// ------------------------------------------------------------------ forEach with a limit

/** `Effect.forEach` with a limit over `item`s, summed: the shape of the client's `getPoems`. */
function forEachSum(item: (i: number) => Effect.Effect<number>): Promise<number> {
  return Effect.runPromise(Effect.map(Effect.forEach(indices, item, { concurrency: K }), sumOf));
}

const pLimitRow = `p-limit ${K} over ${N} async functions`;

export const forEachSuite: MicroSuite = {
  name: 'effect-forEach',
  description:
    `Effect.forEach with concurrency ${K} over ${N} small effects (synchronous, and each wrapping a promise as ` +
    `a download does) vs p-limit ${K} over ${N} async functions, same run`,
  baseline: pLimitRow,
  tasks: {
    [pLimitRow]: () => pLimitSum(K),
    [`Effect.forEach concurrency ${K}, Effect.sync items`]: () => forEachSum((i) => Effect.sync(() => i)),
    [`Effect.forEach concurrency ${K}, Effect.promise items`]: () =>
      forEachSum((i) => Effect.promise(() => asyncItem(i))),
  },
};

export const suites: readonly MicroSuite[] = [forkJoinSuite, forEachSuite];
