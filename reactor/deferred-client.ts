/**
 * The `deferred` model: the poetry client of the series' clients 4–8, on our reactor and Deferreds.
 *
 * `getPoetry(reactor, address)` is the heart: it returns a Deferred at once and the protocol fires it
 * with the poem, or a Failure, when the connection ends. Everything else is built by hanging links
 * on such Deferreds: the transform (`TransformProxy.xform`, falling back to the original poem),
 * retries (an errback that returns a fresh attempt), the timeout (`addTimeout`), the limit
 * (`DeferredSemaphore.run`) and the collection (`DeferredList` with `consumeErrors`). Cancelling is
 * one `cancel()` on the list: it travels down the chains to whichever Deferred is waiting, whose
 * canceller closes the connection.
 *
 * Read it top to bottom: protocol, getPoetry, the transform, one task, then all of them.
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
import {
  CancelledError,
  type Deferred,
  DeferredList,
  DeferredSemaphore,
  Failure,
  type ListEntry,
  TimeoutError,
} from './defer.ts';
import { toPoetryFailure } from './errors.ts';
import { type Download, getPoetry, runOnReactor, TransformProxy } from './get-poetry.ts';
import type { ReactorTime } from './interfaces.ts';
import type { Reactor } from './reactor.ts';

// Until generators/client.ts imports these from reactor/get-poetry.ts and reactor/errors.ts.
export { type Download, getPoetry, runOnReactor, TransformProxy, toPoetryFailure };

/** A task's outcome: the poem (maybe transformed, or not with the reason), and the bytes downloaded. */
interface Fetched {
  readonly poem: string;
  readonly transformError?: PoetryError;
  readonly bytes: number;
}

// #region transform
/** The transformed poem, or the original with the reason when the transform fails; a cancel still cancels. */
function transformed(
  proxy: TransformProxy,
  options: TransformOptions,
  poem: string,
  clock: ReactorTime,
  timeoutMs: number | undefined,
): Deferred<{ poem: string; transformError?: PoetryError }> {
  const d = proxy.xform(options.name, poem);
  if (timeoutMs !== undefined) d.addTimeout(timeoutMs / 1000, clock);
  return d.addCallbacks(
    (result) => ({ poem: result }),
    (failure) => {
      if (failure.check(CancelledError)) return failure;
      const why = failure.check(TimeoutError)
        ? poetryErrors.noReplyWithin(timeoutMs)
        : toPoetryFailure(failure.value, options.address).message;
      const transformError = poetryErrors.transformFailed(options.address, why, failure.value);
      return { poem, transformError };
    },
  );
}
// #endregion

// #region limit
/**
 * One attempt at one poem, with its timeout. Retries by chaining: while retries are left, the
 * errback returns a fresh attempt, which the chain then waits on. (A function of its own rather than
 * a named closure made per task: under tsx, whose keepNames renames every named closure, each such
 * closure would carry a dictionary of properties — 5,000 downloads, 5,000 dictionaries.)
 */
function attempt(
  reactor: Reactor,
  address: Address,
  task: number,
  options: GetPoemsOptions,
  retriesLeft: number,
): Deferred<Download> {
  const d = getPoetry(reactor, address, options.onEvent, task);
  // #region timeout
  if (options.timeoutMs !== undefined) d.addTimeout(options.timeoutMs / 1000, reactor);
  // #endregion
  return d.addErrback((failure) => {
    const error = failureToPoetryError(failure, address, options);
    if (error.code === 'CANCELLED' || retriesLeft === 0) return new Failure(error);
    return attempt(reactor, address, task, options, retriesLeft - 1);
  });
}
// #endregion

/** One task: download (with timeout and retries), then transform. */
function poemTask(
  reactor: Reactor,
  address: Address,
  task: number,
  options: GetPoemsOptions,
  proxy: TransformProxy | undefined,
): Deferred<Fetched> {
  const downloaded = attempt(reactor, address, task, options, options.retries ?? 0);
  const { transform } = options;
  // A download (the poem and its bytes) is already all a task fetches when there is no transform.
  if (transform === undefined || proxy === undefined) return downloaded;
  return downloaded.addCallback((download) =>
    transformed(proxy, transform, download.poem, reactor, options.timeoutMs).addCallback((result) => ({
      ...result,
      bytes: download.bytes,
    })),
  );
}

/** The contract's error for a failure; anything after the caller aborted counts as cancelled. */
function failureToPoetryError(failure: Failure, address: Address, options: GetPoemsOptions): PoetryError {
  if (options.signal?.aborted) return poetryErrors.cancelled(address);
  return toPoetryFailure(failure.value, address);
}

/** Every poem, as one Deferred of the contract's results in input order. */
export function getPoems(
  reactor: Reactor,
  addresses: readonly Address[],
  options: GetPoemsOptions = {},
): Deferred<PoemResult[]> {
  const proxy = options.transform === undefined ? undefined : new TransformProxy(reactor, options.transform);
  // #region limit
  // With no limit there is no semaphore: it would only add a Deferred and two links to every task.
  const semaphore = options.concurrency === undefined ? undefined : new DeferredSemaphore(options.concurrency);
  const report = options.onEvent;
  const tasks = addresses.map((address, index) => {
    const task = index + 1;
    // Reported outside the semaphore, so a task cancelled while still waiting for its turn reports too.
    const fetching = semaphore
      ? semaphore.run(poemTask, reactor, address, task, options, proxy)
      : poemTask(reactor, address, task, options, proxy);
    return fetching.addCallbacks(
      (fetched) => {
        report?.({ type: 'done', task, address: formatAddress(address), bytes: fetched.bytes, at: performance.now() });
        return fetched;
      },
      (failure) => {
        const error = failureToPoetryError(failure, address, options);
        report?.({ type: 'failed', task, address: formatAddress(address), error, at: performance.now() });
        return new Failure(error);
      },
    );
  });
  // #endregion
  // #region collect
  const list = new DeferredList(tasks, { consumeErrors: true });
  const results = list.addCallback((entries: ListEntry<Fetched>[]) =>
    entries.map((entry, index): PoemResult => {
      const address = addresses[index] as Address;
      const where = formatAddress(address);
      if (!entry[0]) return { ok: false, address: where, error: failureToPoetryError(entry[1], address, options) };
      const { poem, transformError } = entry[1];
      return transformError === undefined
        ? { ok: true, address: where, poem }
        : { ok: true, address: where, poem, transformError };
    }),
  );
  // #endregion
  // #region cancel
  const abort = () => reactor.callLater(0, () => list.cancel());
  if (options.signal?.aborted) list.cancel();
  else options.signal?.addEventListener('abort', abort, { once: true });
  results.addBoth((result) => {
    options.signal?.removeEventListener('abort', abort);
    return result;
  });
  // #endregion
  return results;
}

export const deferredModel: Model = {
  name: 'deferred',
  title: 'Twisted-style Deferreds on the reactor',
  summary:
    'The series’ clients 4–8: getPoetry returns a Deferred at once, and the protocol fires it when the poem ' +
    'is in. The rest of the client is links hung on Deferreds: a TransformProxy whose xform returns a Deferred ' +
    '(falling back to the original poem), retries as an errback returning a fresh attempt, addTimeout, a ' +
    'DeferredSemaphore for the limit and a DeferredList for the collection. Look at how cancel() travels: one ' +
    'call on the list reaches whichever Deferred is waiting, and its canceller closes the socket.',
  clientFiles: ['reactor/deferred-client.ts'],
  runtimeFiles: ['reactor/defer.ts', 'reactor/defer/deferred.ts', 'reactor/tcp.ts'],
  getPoems: (addresses, options = {}) => runOnReactor((reactor) => getPoems(reactor, addresses, options)),
};
