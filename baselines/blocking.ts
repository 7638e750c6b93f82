/**
 * The `blocking` model: the series' first client, which fetched one poem, then the next, then the
 * next. Its wall time is the sum of every server's schedule, which is the number the concurrent
 * models are there to beat; `npm start` prints it beside theirs.
 *
 * Node has no blocking sockets, so "blocking" here means the shape of the program, not the system
 * call: each download is awaited to the end before the next one starts. A single download — connect,
 * receive, finish, fail, timeout, cancel, transform, retries — is exactly the `promises` baseline's
 * `fetchPoem`, so reading the two side by side shows the only difference: how the tasks are collected.
 */
import { type Address, formatAddress, type GetPoemsOptions, type Model, type PoemResult } from '../poetry/contract.ts';
import { toPoetryError } from '../poetry/errors.ts';
import { fetchPoem } from './promises.ts';

async function getPoems(addresses: readonly Address[], options: GetPoemsOptions = {}): Promise<PoemResult[]> {
  const results: PoemResult[] = [];
  // #region limit
  // One download at a time, whatever `concurrency` allows: the next starts only when this one ends.
  for (const [index, address] of addresses.entries()) {
    // #region collect
    const where = formatAddress(address);
    try {
      results.push({ ok: true, address: where, ...(await fetchPoem(address, index + 1, options)) });
    } catch (error) {
      results.push({ ok: false, address: where, error: toPoetryError(error, address) });
    }
    // #endregion
  }
  // #endregion
  return results;
}

export const blockingModel: Model = {
  name: 'blocking',
  title: 'Blocking client: one poem after another',
  summary:
    'The classic blocking client, kept as the slow end of every comparison. It fetches the poems strictly in ' +
    'turn, so a slow first server holds up all the rest and the wall time is the sum of the schedules. The ' +
    'download itself is the promises baseline’s; only the loop that collects the results differs. It still ' +
    'honours timeouts, retries, the transform, cancellation and progress events, one task at a time.',
  clientFiles: ['baselines/blocking.ts'],
  runtimeFiles: ['baselines/promises.ts'],
  getPoems,
};
