/**
 * Dimension 5, limit exactness: nine downloads under `concurrency 3` from one server that holds
 * each connection a quarter of a second. The server counts how many it serves at once (a
 * connection stops counting at its last byte), and times how soon after a slot frees (its last
 * byte sent) the next connection arrives.
 */
import { poems } from '../../poetry/poems/index.ts';
import { failed, measured, type Probe, single } from './cell.ts';
import { fetchInChild } from './fetch.ts';
import { median, ms, tenth } from './format.ts';
import { after } from './lab.ts';

const limit = 3;
const downloads = 9;

export const limitExactness: Probe = {
  id: 5,
  title: 'Limit exactness',
  says: `the most connections the server sees at once under concurrency K = ${limit}; how soon a freed slot is reused`,
  file: 'harness/matrix/limit.ts',
  better: 'lower',
  stable: true,
  budgetMs: 20_000,
  async measure({ client, lab, signal }) {
    const gauge = await lab.observed(after(0.25, Buffer.from(poems.kettle.text)));
    const addresses = Array.from({ length: downloads }, () => gauge.address);
    const outcome = await client.call(fetchInChild, { addresses, options: { concurrency: limit } }, signal);
    const ok = outcome.results.filter((result) => result.ok).length;
    const accepts = gauge.log.map((record) => record.acceptedAt).sort((a, b) => a - b);
    const dones = gauge.log
      .flatMap((record) => (record.doneAt === undefined ? [] : [record.doneAt]))
      .sort((a, b) => a - b);
    // The connections opened before the first slot freed are the first wave; each later one took a freed slot.
    const firstWave = accepts.filter((at) => at < (dones[0] ?? Infinity)).length;
    const gaps = accepts.slice(firstWave).map((at, index) => at - (dones[index] ?? Number.NaN));
    const most = gauge.maxServing;
    const figures = {
      K: limit,
      maxServing: most,
      connections: gauge.log.length,
      poems: ok,
      reuseGapsMs: gaps.map(tenth),
      medianReuseMs: tenth(median(gaps)),
    };
    if (ok !== downloads) return single(failed(`${ok} of ${downloads} poems arrived`, figures));
    const exact = most === limit ? '= K' : most > limit ? `${most}: over K = ${limit}` : `${most} (under K = ${limit})`;
    const text = `${exact}; a freed slot reused after ${ms(median(gaps))} (median)`;
    return single(measured(text, figures, { stable: exact, score: Math.abs(most - limit) }));
  },
};
