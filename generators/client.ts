/**
 * The `generators` model: the series' client 7. The Deferred-returning building blocks of the
 * `deferred` model (`getPoetry`, `TransformProxy.xform`, `DeferredSemaphore`, `addTimeout`) are
 * composed with generators driven by `inlineCallbacks` instead of with callbacks: each `yield`
 * waits for one Deferred, `try`/`catch` replaces errbacks, a `for` loop replaces the errback that
 * returns a fresh attempt, `finally` gives the semaphore's place back, and a whole task reads top
 * to bottom in one namespace.
 *
 * Connecting, receiving and finishing a poem happen inside `getPoetry` (reactor/deferred-client.ts),
 * exactly as in the `deferred` model; what this file changes is how the pieces are put together.
 */
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
  type PoetryError,
  type TransformOptions,
} from '../poetry/contract.ts';
import { poetryErrors } from '../poetry/errors.ts';
import { CancelledError, type Deferred, DeferredSemaphore, TimeoutError } from '../reactor/defer.ts';
import { type Download, getPoetry, runOnReactor, TransformProxy, toPoetryFailure } from '../reactor/deferred-client.ts';
import type { Reactor } from '../reactor/reactor.ts';
import { inlineCallbacks, wait } from './inline-callbacks.ts';

/** What every task of one `getPoems` call shares. */
interface Job {
  readonly reactor: Reactor;
  readonly options: GetPoemsOptions;
  readonly transform: { readonly options: TransformOptions; readonly proxy: TransformProxy } | undefined;
  /** Only when there is a limit: with none, a semaphore would only add a Deferred per task. */
  readonly semaphore: DeferredSemaphore | undefined;
}

/** A poem as a task ends it: the text, why the transform was skipped if it was, the bytes downloaded. */
interface Fetched {
  readonly poem: string;
  readonly transformError?: PoetryError;
  readonly bytes: number;
}

/** One attempt at one poem. A failure is thrown at the caller's `yield*`, as a `PoetryError`. */
function* downloadPoem({ reactor, options }: Job, address: Address, task: number): Generator<unknown, Download> {
  // #region connect
  const download = getPoetry(reactor, address, options.onEvent, task);
  // #endregion
  // #region timeout
  if (options.timeoutMs !== undefined) download.addTimeout(options.timeoutMs / 1000, reactor);
  // #endregion
  try {
    return yield* wait(download);
  } catch (error) {
    // #region fail
    if (error instanceof TimeoutError) throw poetryErrors.timeout(address, options.timeoutMs ?? 0);
    throw toPoetryFailure(error, address);
    // #endregion
  }
}

// #region transform
/** The poem after the transform server, or the original and the reason. A cancel is not a transform failure. */
function* transformPoem(
  { reactor, options }: Job,
  transform: NonNullable<Job['transform']>,
  poem: string,
): Generator<unknown, { poem: string; transformError?: PoetryError }> {
  const reply = transform.proxy.xform(transform.options.name, poem);
  if (options.timeoutMs !== undefined) reply.addTimeout(options.timeoutMs / 1000, reactor);
  try {
    return { poem: yield* wait(reply) };
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    const why =
      error instanceof TimeoutError
        ? poetryErrors.noReplyWithin(options.timeoutMs)
        : toPoetryFailure(error, transform.options.address).message;
    const transformError = poetryErrors.transformFailed(transform.options.address, why, error);
    return { poem, transformError };
  }
}
// #endregion

/**
 * The series' `get_transformed_poem`: download, then transform, keeping the original when the
 * transform fails. Errors are caught where they are thrown in, at the `yield*`. A task runs it by
 * delegation (`yield*`), inside the task's own coroutine: one driver per task, not one per step.
 */
function* getTransformedPoem(job: Job, address: Address, task: number): Generator<unknown, Fetched> {
  // #region limit
  // Retries: a fresh attempt after any failure except a cancel, up to `retries` more.
  for (let attempt = 0; ; attempt++) {
    try {
      const { poem, bytes } = yield* downloadPoem(job, address, task);
      if (!job.transform) return { poem, bytes };
      const transformed = yield* transformPoem(job, job.transform, poem);
      return { ...transformed, bytes };
    } catch (error) {
      const failure = toTaskError(job, error, address);
      if (failure.code === 'CANCELLED' || attempt >= (job.options.retries ?? 0)) throw failure;
    }
  }
  // #endregion
}

// #region limit
/** Runs `steps` holding one of the semaphore's places (waiting for one first), or at once with no limit. */
function* limited<R>(semaphore: DeferredSemaphore | undefined, steps: Generator<unknown, R>): Generator<unknown, R> {
  if (semaphore === undefined) return yield* steps;
  // A cancel while still waiting in line is thrown in here, before the place is ours: nothing to release.
  yield* wait(semaphore.acquire());
  try {
    return yield* steps;
  } finally {
    semaphore.release();
  }
}
// #endregion

// #region cancel
/** Whatever broke once the caller aborted, the task was cancelled. */
function toTaskError({ options }: Job, error: unknown, address: Address): PoetryError {
  if (options.signal?.aborted) return poetryErrors.cancelled(address);
  return toPoetryFailure(error, address);
}
// #endregion

/**
 * One task, start to end: wait for a place under the limit, fetch, and report the final event.
 * It never fails: a failure becomes the `{ ok: false }` result.
 */
const runTask = inlineCallbacks(function* (job: Job, address: Address, task: number): Generator<unknown, PoemResult> {
  const where = formatAddress(address);
  const report = job.options.onEvent;
  try {
    // #region limit
    const { poem, transformError, bytes } = yield* limited(job.semaphore, getTransformedPoem(job, address, task));
    // #endregion
    report?.({ type: 'done', task, address: where, bytes, at: performance.now() });
    // Only a failed transform sets `transformError`, and only then does the result carry it.
    return transformError ? { ok: true, address: where, poem, transformError } : { ok: true, address: where, poem };
  } catch (error) {
    // #region fail
    const failure = toTaskError(job, error, address);
    report?.({ type: 'failed', task, address: where, error: failure, at: performance.now() });
    return { ok: false, address: where, error: failure };
    // #endregion
  }
});

/** Every poem, in input order. Aborting the signal cancels every task, wherever it is waiting. */
const getPoems = inlineCallbacks(function* (reactor: Reactor, addresses: readonly Address[], options: GetPoemsOptions) {
  const transform = options.transform && {
    options: options.transform,
    proxy: new TransformProxy(reactor, options.transform),
  };
  // #region limit
  const semaphore = options.concurrency === undefined ? undefined : new DeferredSemaphore(options.concurrency);
  // #endregion
  const job: Job = { reactor, options, transform, semaphore };
  const tasks: Deferred<PoemResult>[] = addresses.map((address, index) => runTask(job, address, index + 1));
  // #region cancel
  // The abort arrives from outside the reactor; the cancels run in a reactor turn, like all the rest.
  const cancelAll = () => {
    for (const task of tasks) task.cancel();
  };
  const onAbort = () => reactor.callLater(0, cancelAll);
  if (options.signal?.aborted) cancelAll();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  // #endregion
  try {
    // #region collect
    const results: PoemResult[] = [];
    for (const task of tasks) results.push(yield* wait(task));
    return results;
    // #endregion
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
});

export const generatorsModel: Model = {
  name: 'generators',
  title: 'Generators over Deferreds (inlineCallbacks)',
  summary:
    'The series’ client 7: the same Deferred-returning getPoetry and TransformProxy as the deferred model, ' +
    'composed with generators that inlineCallbacks drives. Each task is one function read top to bottom: ' +
    '`yield* wait(getPoetry(...))`, then the transform inside try/catch that falls back to the original poem; ' +
    'retries are a for loop, the limit is a DeferredSemaphore acquired at a yield and released in a finally, ' +
    'and cancelling a task ' +
    'cancels the Deferred its generator is waiting on, which throws CancelledError in at that yield.',
  clientFiles: ['generators/client.ts'],
  runtimeFiles: ['generators/inline-callbacks.ts', 'reactor/deferred-client.ts'],
  getPoems: (addresses, options = {}) => runOnReactor((reactor) => getPoems(reactor, addresses, options)),
};
