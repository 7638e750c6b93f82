/**
 * The `deferred` model: the poetry client as the series' clients 5–8 hang it on Deferreds.
 *
 * `getPoetry(reactor, address)` (shared, in reactor/get-poetry.ts) returns a Deferred at once; the
 * protocol fires it with the poem, or a Failure, when the connection ends. This file is the chain
 * hung on that Deferred, in the order of the story: a timeout on each attempt, an errback that
 * starts another attempt while retries are left, the callback that sends the poem through the
 * transform server (and its errback, which keeps the original), then the pair that reports the
 * poem or its failure. A `DeferredSemaphore` runs each task's chain when a place is free, and a
 * `DeferredList` waits for them all. Cancelling is one `cancel()` on the list: it travels down the
 * chains to whichever Deferred is waiting, whose canceller closes the connection.
 *
 * Read it top to bottom: the attempts and their retries, the transform, then `getPoems`, which
 * unpacks the caller's options and hangs each task's chain.
 */

import { analysePoem, type PoemAnalysis } from '../poetry/analyse.ts';
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
  type PoetryError,
  type PoetryEvent,
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
} from '../reactor/defer.ts';
import { toPoetryFailure } from '../reactor/errors.ts';
import { type Download, getPoetry, runOnReactor, TransformProxy } from '../reactor/get-poetry.ts';
import type { Reactor } from '../reactor/reactor.ts';

// #uses connect: getPoetry (reactor/get-poetry.ts)
// #uses receive: PoetryProtocol (reactor/get-poetry.ts)
// #uses finish: PoetryClientFactory.poemFinished (reactor/get-poetry.ts)
// #uses fail: toPoetryFailure (reactor/errors.ts)
// #uses cancel: connectForDeferred (reactor/get-poetry.ts)
// #uses transform: TransformProxy.xform (reactor/get-poetry.ts)

/** What every attempt at one poem needs, unpacked from the caller's options in `getPoems`. */
interface Attempts {
  readonly timeoutMs: number | undefined;
  readonly retries: number;
  readonly onEvent: ((event: PoetryEvent) => void) | undefined;
}

/** A poem as one task fetched it: the text, why the transform was skipped if it was, the bytes downloaded. */
interface Fetched {
  readonly poem: string;
  readonly transformError?: PoetryError;
  readonly bytes: number;
  readonly analysis?: PoemAnalysis;
}

// #region retry
/**
 * One poem, tried again after a failure while retries are left: the errback of an attempt starts
 * the next one and returns its Deferred, so the chain goes on with whatever that attempt fires. A
 * cancel is not retried.
 */
function getPoetryRetrying(
  reactor: Reactor,
  address: Address,
  task: number,
  { timeoutMs, retries, onEvent }: Attempts,
): Deferred<Download> {
  let retriesLeft = retries;
  const attempt = (): Deferred<Download> => {
    const d = getPoetry(reactor, address, onEvent, task);
    // #region timeout
    if (timeoutMs !== undefined) d.addTimeout(timeoutMs / 1000, reactor);
    // #endregion
    return d.addErrback(tryAgain);
  };
  const tryAgain = (failure: Failure): Failure | Deferred<Download> => {
    if (retriesLeft === 0 || failure.check(CancelledError)) return failure;
    retriesLeft -= 1;
    return attempt();
  };
  return attempt();
}
// #endregion

// #region transform
/**
 * The series' `try_to_cummingsify`, as a callback for a downloaded poem: the poem after the
 * transform server, or, when the transform fails, the original and the reason. A cancel stays a
 * cancel.
 */
function transformer(
  reactor: Reactor,
  transform: TransformOptions,
  timeoutMs: number | undefined,
): (download: Download) => Deferred<Fetched> {
  const proxy = new TransformProxy(reactor, transform);
  return ({ poem, bytes }) => {
    const d = proxy.xform(transform.name, poem);
    if (timeoutMs !== undefined) d.addTimeout(timeoutMs / 1000, reactor);
    return d.addCallbacks(
      (transformed): Fetched => ({ poem: transformed, bytes }),
      (failure): Fetched | Failure => {
        if (failure.check(CancelledError)) return failure;
        const why = failure.check(TimeoutError)
          ? poetryErrors.noReplyWithin(timeoutMs)
          : toPoetryFailure(failure.value, transform.address).message;
        return { poem, bytes, transformError: poetryErrors.transformFailed(transform.address, why, failure.value) };
      },
    );
  };
}
// #endregion

/** Every poem, as one Deferred of the contract's results in input order. */
export function getPoems(
  reactor: Reactor,
  addresses: readonly Address[],
  options: GetPoemsOptions = {},
): Deferred<PoemResult[]> {
  const { timeoutMs, concurrency, retries = 0, transform, signal, onEvent, analyse } = options;
  const attempts: Attempts = { timeoutMs, retries, onEvent };
  const tryToTransform = transform && transformer(reactor, transform, timeoutMs);
  // #region fail
  /** The contract's error for a task's failure; whatever broke once the caller aborted counts as cancelled. */
  const poetryErrorOf = (failure: Failure, address: Address): PoetryError =>
    signal?.aborted ? poetryErrors.cancelled(address) : toPoetryFailure(failure.value, address);
  // #endregion
  // #region limit
  // No limit: a place for every poem (a semaphore needs at least one).
  const semaphore = new DeferredSemaphore(concurrency ?? Math.max(addresses.length, 1));
  // #endregion

  const tasks = addresses.map((address, index) => {
    const task = index + 1;
    const where = formatAddress(address);
    // #region limit
    const d = semaphore.run((): Deferred<Fetched> => {
      const downloaded = getPoetryRetrying(reactor, address, task, attempts);
      const fetching = tryToTransform ? downloaded.addCallback(tryToTransform) : downloaded;
      // #region analyse
      // One more callback on the chain; it runs on the reactor's thread, holding the task's place.
      return analyse
        ? fetching.addCallback((fetched) => ({ ...fetched, analysis: analysePoem(fetched.poem, analyse.rounds) }))
        : fetching;
      // #endregion
    });
    // #endregion
    // Reported outside the semaphore, so a task cancelled while still waiting for its turn reports too.
    return d.addCallbacks(
      (fetched: Fetched) => {
        onEvent?.({ type: 'done', task, address: where, bytes: fetched.bytes, at: performance.now() });
        return fetched;
      },
      // #region fail
      (failure: Failure) => {
        const error = poetryErrorOf(failure, address);
        onEvent?.({ type: 'failed', task, address: where, error, at: performance.now() });
        return new Failure(error);
      },
      // #endregion
    );
  });

  // #region collect
  const list = new DeferredList(tasks, { consumeErrors: true });
  const results = list.addCallback((entries: ListEntry<Fetched>[]) =>
    entries.map((entry, index): PoemResult => {
      const address = addresses[index] as Address;
      const where = formatAddress(address);
      if (!entry[0]) return { ok: false, address: where, error: poetryErrorOf(entry[1], address) };
      const { poem, transformError, analysis } = entry[1];
      return {
        ok: true,
        address: where,
        poem,
        ...(transformError && { transformError }),
        ...(analysis && { analysis }),
      };
    }),
  );
  // #endregion

  // #region cancel
  // The abort arrives from outside the reactor; the cancel runs in a reactor turn, like all the rest.
  const abort = () => reactor.callLater(0, () => list.cancel());
  if (signal?.aborted) list.cancel();
  else signal?.addEventListener('abort', abort, { once: true });
  results.addBoth((result) => {
    signal?.removeEventListener('abort', abort);
    return result;
  });
  // #endregion
  return results;
}

export const deferredModel: Model = {
  name: 'deferred',
  title: 'Twisted-style Deferreds on the reactor',
  summary:
    'The series’ clients 5–8: getPoetry returns a Deferred at once, and the protocol fires it when the poem ' +
    'is in. The rest of the client is links hung on Deferreds: addTimeout on each attempt, retries as an ' +
    'errback that starts a fresh attempt, a TransformProxy whose xform returns a Deferred (falling back to the ' +
    'original poem), a DeferredSemaphore for the limit and a DeferredList for the collection. Look at how ' +
    'cancel() travels: one call on the list reaches whichever Deferred is waiting, and its canceller closes ' +
    'the socket.',
  clientFiles: ['deferred/client.ts'],
  runtimeFiles: [
    'reactor/get-poetry.ts',
    'reactor/errors.ts',
    'reactor/defer.ts',
    'reactor/defer/deferred.ts',
    'reactor/defer/primitives.ts',
    'reactor/defer/list.ts',
    'reactor/reactor.ts',
    'reactor/tcp.ts',
  ],
  getPoems: (addresses, options = {}) => runOnReactor((reactor) => getPoems(reactor, addresses, options)),
};
