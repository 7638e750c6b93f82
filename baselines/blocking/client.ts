/**
 * The `blocking` model: the series' first client, which fetched one poem, then the next, then the
 * next. Its wall time is the sum of every server's schedule, which is the number the concurrent
 * models are there to beat; `npm start` prints it beside theirs.
 *
 * Node has no blocking sockets, so "blocking" here means the shape of the program, not the system
 * call: each download is awaited to the end before the next one starts. One attempt at one poem is
 * `fetchPoem`, in `../download.ts`, which the `promises` baseline runs too, so reading the two side
 * by side shows the only difference: a plain loop instead of a limiter and `Promise.allSettled`.
 */

import { analysePoem } from '../../poetry/analyse.ts';
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
} from '../../poetry/contract.ts';
import { toPoetryError } from '../../poetry/errors.ts';
import { type DownloadOptions, fetchPoem } from '../download.ts';

// #uses connect: Connection.open (baselines/download.ts)
// #uses receive, finish: downloadPoem (baselines/download.ts)
// #uses fail, timeout, cancel: Connection (baselines/download.ts)
// #uses transform: transformPoem (baselines/download.ts)

/** One poem: attempts until one succeeds, the retries run out or the caller cancels; never rejects. */
async function getPoem(
  address: Address,
  task: number,
  retries: number,
  download: DownloadOptions,
): Promise<PoemResult> {
  const where = formatAddress(address);
  // #region retry
  for (let attempt = 0; ; attempt++) {
    try {
      return { ok: true, address: where, ...(await fetchPoem(address, task, download)) };
    } catch (error) {
      const failure = toPoetryError(error, address);
      // #region cancel
      // A cancelled attempt is never retried: the caller asked for everything to stop.
      if (failure.code === 'CANCELLED' || attempt >= retries) return { ok: false, address: where, error: failure };
      // #endregion
    }
  }
  // #endregion
}

async function getPoems(
  addresses: readonly Address[],
  { retries = 0, timeoutMs, signal, transform, onEvent, analyse }: GetPoemsOptions = {},
): Promise<PoemResult[]> {
  // #region cancel
  // The caller's signal goes into every attempt, whose connections listen to it; once it has
  // aborted, each poem still to come fails at once, without connecting.
  const download: DownloadOptions = { timeoutMs, signal, transform, onEvent };
  // #endregion
  // #region limit — not applicable: one download in flight, by design (the sum of the schedules is what this model is for); `concurrency` is ignored
  // #endregion
  // #region collect
  const results: PoemResult[] = [];
  for (const [index, address] of addresses.entries()) {
    const task = index + 1;
    const fetched = await getPoem(address, task, retries, download);
    // #region analyse
    // Each poem is analysed as soon as it is in, before the next download starts.
    const result =
      fetched.ok && analyse ? { ...fetched, analysis: analysePoem(fetched.poem, analyse.rounds) } : fetched;
    // #endregion
    // A poem that failed for good is announced as it is collected: no attempt is left to make.
    if (!result.ok)
      onEvent?.({ type: 'failed', task, address: result.address, error: result.error, at: performance.now() });
    results.push(result);
  }
  return results;
  // #endregion
}

export const blockingModel: Model = {
  name: 'blocking',
  title: 'Blocking client: one poem after another',
  summary:
    'The classic blocking client, kept as the slow end of every comparison. It fetches the poems strictly in ' +
    'turn, so a slow first server holds up all the rest and the wall time is the sum of the schedules. One ' +
    'attempt at a poem is the download the promises baseline runs too; only the loops around it differ: the ' +
    'retries, and the collection in input order. It still honours timeouts, retries, the transform, ' +
    'cancellation and progress events, one task at a time.',
  clientFiles: ['baselines/blocking/client.ts'],
  runtimeFiles: ['baselines/download.ts'],
  getPoems,
};
