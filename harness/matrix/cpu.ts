/**
 * Dimension 9, fairness under CPU work: 20 poems from a fast server, each through the CPU step
 * (about 20 ms of analysis on the bench machine), beside two slow servers sending 60 B every 40 ms.
 * On one thread the analyses run one at a time and nothing is read meanwhile, so slow chunks come
 * late; the cell is the worst lateness (counted as the flood's is), with the wall time beside it,
 * which is at least the sum of the analyses wherever they run on the thread that reads.
 */
import { analysePoem } from '../../poetry/analyse.ts';
import { poems } from '../../poetry/poems/index.ts';
import { startFastServer } from '../../poetry/servers/index.ts';
import { failed, measured, type Probe, single } from './cell.ts';
import { analysisText, fetchInChild, sha256 } from './fetch.ts';
import { ms, tenth } from './format.ts';
import { trickle, worstLateness } from './lab.ts';

const workCount = 20;
/** About 20 ms of CPU for this poem on the bench machine. */
const rounds = 3000;
const numBytes = 60;
const delay = 0.04;
const work = poems['night-ferry'].text;
const semaphore = poems.semaphore.text;

export const cpuFairness: Probe = {
  id: 9,
  title: 'Fairness under CPU work',
  says: `how late slow chunks arrive while ${workCount} other poems are analysed (~20 ms each; worst); the wall time`,
  file: 'harness/matrix/cpu.ts',
  better: 'lower',
  stable: false,
  budgetMs: 30_000,
  async measure({ client, lab, signal }) {
    const fast = await lab.keep(startFastServer({ poem: work }));
    const slow = [
      await lab.observed(trickle(Buffer.from(semaphore), numBytes, delay)),
      await lab.observed(trickle(Buffer.from(semaphore), numBytes, delay)),
    ];
    const addresses = [slow[0]!.address, slow[1]!.address, ...Array.from({ length: workCount }, () => fast.address)];
    const outcome = await client.call(
      fetchInChild,
      { addresses, options: { analyse: { rounds } }, eventsOf: [1, 2] },
      signal,
    );
    const expected = (poem: string) => ({ sha256: sha256(poem), analysis: analysisText(analysePoem(poem, rounds)) });
    const intact = outcome.results.every((result, index) => {
      const want = expected(index < 2 ? semaphore : work);
      return result.sha256 === want.sha256 && result.analysis === want.analysis;
    });
    const late = worstLateness(outcome.events, [1, 2], slow, numBytes, delay);
    const wallMs = outcome.resolvedAt - outcome.startedAt;
    const figures = { worstLateMs: tenth(late), wallMs: tenth(wallMs), intact };
    if (!intact) return single(failed('a poem or its analysis arrived wrong or not at all', figures));
    return single(measured(`slow chunks up to ${ms(late)} late; all done in ${ms(wallMs)}`, figures, { score: late }));
  },
};
