/**
 * Dimension 8, fairness under a flood: one 100 MB poem from a fast server beside two slow
 * servers sending 60 B every 40 ms, as the bench's `big` scenario. A slow chunk's first byte left
 * its server at a known tick (counted from the server's accept), so arriving after that tick is
 * lateness; the cell is the worst, with the big poem's throughput beside it.
 */
import { generatePoem, poems } from '../../poetry/poems/index.ts';
import { startFastServer } from '../../poetry/servers/index.ts';
import { failed, measured, type Probe, single } from './cell.ts';
import { fetchInChild, sha256 } from './fetch.ts';
import { ms, tenth } from './format.ts';
import { trickle, worstLateness } from './lab.ts';

const bigBytes = 100_000_000;
const numBytes = 60;
const delay = 0.04;
const semaphore = Buffer.from(poems.semaphore.text);

/** Generated once per run: 100 MB takes a while to make, and every model gets the same. */
let big: { readonly poem: Buffer; readonly sha256: string } | undefined;

export const floodFairness: Probe = {
  id: 8,
  title: 'Fairness under a flood',
  says: `how late slow chunks arrive while a ${bigBytes / 1e6} MB poem floods (worst); the big poem's throughput`,
  file: 'harness/matrix/flood.ts',
  better: 'lower',
  stable: false,
  budgetMs: 60_000,
  async measure({ client, lab, signal }) {
    big ??= (() => {
      const poem = generatePoem(bigBytes, 3);
      return { poem, sha256: sha256(poem) };
    })();
    const flood = await lab.keep(startFastServer({ poem: big.poem }));
    const slow = [
      await lab.observed(trickle(semaphore, numBytes, delay)),
      await lab.observed(trickle(semaphore, numBytes, delay)),
    ];
    const outcome = await client.call(
      fetchInChild,
      { addresses: [flood.address, slow[0]!.address, slow[1]!.address], eventsOf: [1, 2, 3] },
      signal,
    );
    const intact =
      outcome.results[0]?.sha256 === big.sha256 &&
      outcome.results.slice(1).every((r) => r.sha256 === sha256(semaphore));
    const late = worstLateness(outcome.events, [2, 3], slow, numBytes, delay);
    const done = outcome.events.find(([type, task]) => type === 'done' && task === 1);
    const mbps = done ? bigBytes / 1e6 / ((done[3] - outcome.startedAt) / 1000) : Number.NaN;
    const figures = { worstLateMs: tenth(late), bigMBps: tenth(mbps), intact };
    if (!intact) return single(failed('a poem arrived damaged or not at all', figures));
    return single(
      measured(`slow chunks up to ${ms(late)} late; big poem ${tenth(mbps)} MB/s`, figures, { score: late }),
    );
  },
};
