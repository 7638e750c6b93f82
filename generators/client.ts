/**
 * The `generators` model: the series' client 7, where `inlineCallbacks` turns Deferreds into
 * straight-line code. The protocol, the factories, `getPoetry` and the `TransformProxy` are the
 * Deferred-returning pieces the `deferred` model stands on too (`reactor/get-poetry.ts`); what
 * this file changes is how they are put together. Each function below is a generator driven by
 * `inlineCallbacks`: `yield* wait(d)` waits for one Deferred, `try`/`catch` replaces errbacks, a
 * `for` loop replaces the errback that returns a fresh attempt, `finally` gives the semaphore's
 * place back, and each function still returns a Deferred, which is what a cancel travels down.
 *
 * Read it top to bottom: the pieces taken whole from shared code, the download
 * (`getTransformedPoem`, the series' `get_transformed_poem`), then the many-download code: the
 * retries, one task under the limit, and all the tasks.
 */

import { type AnalyseOptions, analysePoem, type PoemAnalysis } from '../poetry/analyse.ts';
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
  type PoetryError,
  type PoetryEvent,
} from '../poetry/contract.ts';
import { poetryErrors } from '../poetry/errors.ts';
import { CancelledError, type Deferred, DeferredSemaphore, TimeoutError } from '../reactor/defer.ts';
import { toPoetryFailure } from '../reactor/errors.ts';
import { getPoetry, runOnReactor, TransformProxy } from '../reactor/get-poetry.ts';
import type { Reactor } from '../reactor/reactor.ts';
import { type InlineGenerator, inlineCallbacks, wait } from './inline-callbacks.ts';

// #uses connect, receive, finish: getPoetry (reactor/get-poetry.ts)
// #uses fail: toPoetryFailure (reactor/errors.ts)
// #uses transform: TransformProxy.xform (reactor/get-poetry.ts)

/** What one download needs, unpacked from the caller's options once, in `getPoems`. */
interface Fetch {
  readonly reactor: Reactor;
  readonly timeoutMs: number | undefined;
  readonly report: ((event: PoetryEvent) => void) | undefined;
  readonly transform: { readonly proxy: TransformProxy; readonly name: string; readonly address: Address } | undefined;
}

/** A poem as a download ends it: the text, why the transform was skipped if it was, the bytes downloaded. */
interface Fetched {
  readonly poem: string;
  readonly transformError?: PoetryError;
  readonly bytes: number;
  readonly analysis?: PoemAnalysis;
}

/**
 * The series' `get_transformed_poem`: download the poem, then send it through the transform,
 * keeping the original when the transform fails. A failure is thrown in at the `yield*` that waited
 * for it: the transform's is caught there, the download's is not, so the Deferred this returns
 * fails with it (the contract's error from `getPoetry`, `addTimeout`'s `TimeoutError`, or the
 * `CancelledError` of a cancel), and `getPoemWithRetries` decides what it means.
 */
const getTransformedPoem = inlineCallbacks(function* (
  { reactor, timeoutMs, report, transform }: Fetch,
  address: Address,
  task: number,
): InlineGenerator<Fetched> {
  const download = getPoetry(reactor, address, report, task);
  // #region timeout
  if (timeoutMs !== undefined) download.addTimeout(timeoutMs / 1000, reactor);
  // #endregion
  const { poem, bytes } = yield* wait(download);
  // #region transform
  if (transform === undefined) return { poem, bytes };
  const reply = transform.proxy.xform(transform.name, poem);
  // #region timeout
  if (timeoutMs !== undefined) reply.addTimeout(timeoutMs / 1000, reactor);
  // #endregion
  try {
    return { poem: yield* wait(reply), bytes };
  } catch (error) {
    // A cancel is not a transform failure: the task is being stopped, so it goes on up.
    if (error instanceof CancelledError) throw error;
    const why =
      error instanceof TimeoutError
        ? poetryErrors.noReplyWithin(timeoutMs)
        : toPoetryFailure(error, transform.address).message;
    return { poem, bytes, transformError: poetryErrors.transformFailed(transform.address, why, error) };
  }
  // #endregion
});

/** What every task of one `getPoems` call shares. */
interface Job {
  readonly fetch: Fetch;
  readonly retries: number;
  readonly semaphore: DeferredSemaphore;
  readonly signal: AbortSignal | undefined;
  readonly analyse: AnalyseOptions | undefined;
}

// #region retry
/** The download, tried again after any failure but a cancel, up to `retries` more times. */
const getPoemWithRetries = inlineCallbacks(function* (
  job: Job,
  address: Address,
  task: number,
): InlineGenerator<Fetched> {
  for (let attempt = 0; ; attempt++) {
    try {
      return yield* wait(getTransformedPoem(job.fetch, address, task));
    } catch (error) {
      const failure = toTaskError(job.signal, error, address);
      if (failure.code === 'CANCELLED' || attempt >= job.retries) throw failure;
    }
  }
});
// #endregion

// #region cancel
/** Whatever broke once the caller aborted, the task was cancelled. */
function toTaskError(signal: AbortSignal | undefined, error: unknown, address: Address): PoetryError {
  if (signal?.aborted) return poetryErrors.cancelled(address);
  return toPoetryFailure(error, address);
}
// #endregion

/**
 * One task, start to end: wait for a place under the limit, get the poem, and report the final
 * event. It never fails: a failure becomes the `{ ok: false }` result.
 */
const runTask = inlineCallbacks(function* (job: Job, address: Address, task: number): InlineGenerator<PoemResult> {
  const where = formatAddress(address);
  const report = job.fetch.report;
  let fetched: Fetched;
  try {
    // #region limit
    // A cancel while still waiting in line is thrown in here, before the place is ours: nothing to give back.
    yield* wait(job.semaphore.acquire());
    try {
      fetched = yield* wait(getPoemWithRetries(job, address, task));
      // #region analyse
      // Straight after the yield that brought the poem in, on the reactor's thread, still in its place.
      if (job.analyse) fetched = { ...fetched, analysis: analysePoem(fetched.poem, job.analyse.rounds) };
      // #endregion
    } finally {
      job.semaphore.release();
    }
    // #endregion
  } catch (error) {
    // #region fail
    const failure = toTaskError(job.signal, error, address);
    report?.({ type: 'failed', task, address: where, error: failure, at: performance.now() });
    return { ok: false, address: where, error: failure };
    // #endregion
  }
  const { poem, transformError, bytes, analysis } = fetched;
  report?.({ type: 'done', task, address: where, bytes, at: performance.now() });
  // Only a failed transform sets `transformError`, and only then does the result carry it; the same for `analysis`.
  return { ok: true, address: where, poem, ...(transformError && { transformError }), ...(analysis && { analysis }) };
});

/** Every poem, in input order. Aborting the signal cancels every task, wherever it is waiting. */
const getPoems = inlineCallbacks(function* (
  reactor: Reactor,
  addresses: readonly Address[],
  { timeoutMs, retries = 0, concurrency, signal, onEvent, transform, analyse }: GetPoemsOptions,
): InlineGenerator<PoemResult[]> {
  const fetch: Fetch = {
    reactor,
    timeoutMs,
    report: onEvent,
    // #region transform
    transform: transform && {
      proxy: new TransformProxy(reactor, transform),
      name: transform.name,
      address: transform.address,
    },
    // #endregion
  };
  // #region limit
  // With no limit, as many places as there are tasks: every task gets one at once.
  const semaphore = new DeferredSemaphore(concurrency ?? Math.max(1, addresses.length));
  // #endregion
  const job: Job = { fetch, retries, semaphore, signal, analyse };
  const tasks: Deferred<PoemResult>[] = addresses.map((address, index) => runTask(job, address, index + 1));
  // #region cancel
  // The abort arrives from outside the reactor; the cancels run in a reactor turn, like all the rest.
  const cancelAll = () => {
    for (const task of tasks) task.cancel();
  };
  const onAbort = () => reactor.callLater(0, cancelAll);
  if (signal?.aborted) cancelAll();
  else signal?.addEventListener('abort', onAbort, { once: true });
  // #endregion
  try {
    // #region collect
    const results: PoemResult[] = [];
    for (const task of tasks) results.push(yield* wait(task));
    return results;
    // #endregion
  } finally {
    // #region cancel
    signal?.removeEventListener('abort', onAbort);
    // #endregion
  }
});

export const generatorsModel: Model = {
  name: 'generators',
  title: 'Generators over Deferreds (inlineCallbacks)',
  summary:
    'The series’ client 7: the same Deferred-returning getPoetry and TransformProxy as the deferred model, ' +
    'composed with generators that inlineCallbacks drives. The download is one function read top to bottom: ' +
    '`yield* wait(getPoetry(...))`, then the transform inside try/catch that falls back to the original poem; ' +
    'retries are a for loop, the limit is a DeferredSemaphore acquired at a yield and released in a finally, ' +
    'and cancelling a task cancels the Deferred its generator is waiting on, which throws CancelledError in ' +
    'at that yield.',
  clientFiles: ['generators/client.ts'],
  runtimeFiles: [
    'generators/inline-callbacks.ts',
    'reactor/get-poetry.ts',
    'reactor/errors.ts',
    'reactor/defer.ts',
    'reactor/defer/deferred.ts',
    'reactor/defer/failure.ts',
    'reactor/defer/primitives.ts',
  ],
  getPoems: (addresses, options = {}) => runOnReactor((reactor) => getPoems(reactor, addresses, options)),
};
