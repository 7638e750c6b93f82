/**
 * The `promises` model: the poetry client as a TypeScript programmer writes it today, with nothing
 * but Node's `net`, async/await, `AbortSignal` and a concurrency limiter. It is the yardstick the
 * other models are read against: each part is a few lines of straight-line code, and the event
 * loop's concurrency is entirely hidden behind `await`.
 *
 * One attempt at one poem is `fetchPoem`, in `../download.ts`, which the `blocking` baseline runs
 * too; this file is what makes it a concurrent client: a task is attempts until one succeeds,
 * p-limit keeps at most `concurrency` tasks in flight, and `Promise.allSettled` collects them.
 */
import pLimit from 'p-limit';
import { analysePoem, type PoemAnalysis } from '../../poetry/analyse.ts';
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
} from '../../poetry/contract.ts';
import { toPoetryError } from '../../poetry/errors.ts';
import { type DownloadOptions, type FetchedPoem, fetchPoem } from '../download.ts';

// #uses connect: Connection.open (baselines/download.ts)
// #uses receive, finish: downloadPoem (baselines/download.ts)
// #uses fail, timeout, cancel: Connection (baselines/download.ts)
// #uses transform: transformPoem (baselines/download.ts)

/** One task: attempts at the poem until one succeeds, the retries run out or the caller cancels. */
async function getPoem(
  address: Address,
  task: number,
  retries: number,
  download: DownloadOptions,
): Promise<FetchedPoem> {
  // #region retry
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchPoem(address, task, download);
    } catch (error) {
      const failure = toPoetryError(error, address);
      // #region cancel
      // A cancelled attempt is never retried: the caller asked for everything to stop.
      if (failure.code !== 'CANCELLED' && attempt < retries) continue;
      // #endregion
      const where = formatAddress(address);
      download.onEvent?.({ type: 'failed', task, address: where, error: failure, at: performance.now() });
      throw failure;
    }
  }
  // #endregion
}

async function getPoems(
  addresses: readonly Address[],
  { concurrency, retries = 0, timeoutMs, signal, transform, onEvent, analyse }: GetPoemsOptions = {},
): Promise<PoemResult[]> {
  // #region cancel
  // The caller's signal goes into every attempt, whose connections listen to it.
  const download: DownloadOptions = { timeoutMs, signal, transform, onEvent };
  // #endregion
  // #region analyse
  // The work on a finished poem runs in the task, while it still holds its slot under the limit.
  const getAnalysedPoem = async (
    address: Address,
    task: number,
  ): Promise<FetchedPoem & { analysis?: PoemAnalysis }> => {
    const fetched = await getPoem(address, task, retries, download);
    return analyse ? { ...fetched, analysis: analysePoem(fetched.poem, analyse.rounds) } : fetched;
  };
  // #endregion
  // #region limit
  const limit = pLimit(concurrency ?? Number.POSITIVE_INFINITY);
  // #endregion
  // #region collect
  const outcomes = await Promise.allSettled(
    addresses.map((address, index) => limit(() => getAnalysedPoem(address, index + 1))),
  );
  return outcomes.map((outcome, index) => {
    const address = formatAddress(addresses[index] as Address);
    return outcome.status === 'fulfilled'
      ? { ok: true, address, ...outcome.value }
      : { ok: false, address, error: toPoetryError(outcome.reason, address) };
  });
  // #endregion
}

export const promisesModel: Model = {
  name: 'promises',
  title: 'Idiomatic modern Node: async/await, net sockets, Promise.allSettled',
  summary:
    'The baseline every other model is measured against, written as Node’s documentation teaches today. ' +
    'Each attempt is one async function: `net.connect`, `events.once` for the connect, the socket’s chunks ' +
    'decoded as they come; an `AbortSignal` per connection joins the caller’s cancel with a timeout ' +
    '(`AbortSignal.any`). Retries are a loop, the concurrency limit is p-limit, and `Promise.allSettled` ' +
    'collects the results in input order. Look at how little of the concurrency shows: the event loop is ' +
    'there, but `await` hides it.',
  clientFiles: ['baselines/promises/client.ts'],
  runtimeFiles: ['baselines/download.ts'],
  getPoems,
};
