/**
 * Dimension 3, timeout precision: 100 downloads from a server that sends one line and then
 * stalls, each with a 200 ms timeout. A download's clock starts when it can have started at the
 * earliest: the call, or the end of the last download before its connect (for a model that runs
 * them one after another); the cell is how far past 200 ms its `TIMEOUT` arrived, median and worst.
 */
import { startFaultyServer } from '../../poetry/servers/index.ts';
import { failed, measured, type Probe, single } from './cell.ts';
import { fetchInChild } from './fetch.ts';
import { count, median, ms, tenth } from './format.ts';

const downloads = 100;
const timeoutMs = 200;

export const timeoutPrecision: Probe = {
  id: 3,
  title: 'Timeout precision',
  says: `how late TIMEOUT arrives past a ${timeoutMs} ms timeout (${downloads} stalled servers): median, max`,
  file: 'harness/matrix/timeout.ts',
  better: 'lower',
  stable: false,
  // A model that runs one download at a time takes 100 × 200 ms.
  budgetMs: 40_000,
  async measure({ client, lab, signal }) {
    const stall = await lab.keep(startFaultyServer({ mode: 'stall' }));
    const tasks = Array.from({ length: downloads }, (_, index) => index + 1);
    const outcome = await client.call(
      fetchInChild,
      { addresses: tasks.map(() => stall.address), options: { timeoutMs }, eventsOf: tasks },
      signal,
    );
    // A download starts no earlier than the call, nor before the last download that ended ahead of
    // its connect (a model running them one after another starts the next then): its timer's start.
    const finals = outcome.events.filter((event) => event[0] === 'failed' || event[0] === 'done');
    const late: number[] = [];
    for (const task of tasks) {
      const own = outcome.events.filter((event) => event[1] === task);
      const connected = own.find((event) => event[0] === 'connected');
      const final = own.find((event) => event[0] === 'failed');
      if (!connected || !final || outcome.results[task - 1]?.code !== 'TIMEOUT') continue;
      const ahead = finals.filter((event) => event[1] !== task && event[3] <= connected[3]).map((event) => event[3]);
      late.push(final[3] - Math.max(outcome.startedAt, ...ahead) - timeoutMs);
    }
    const figures = {
      timedOut: late.length,
      medianLateMs: tenth(median(late)),
      maxLateMs: tenth(Math.max(...late)),
      lateMs: late.map(tenth),
    };
    if (late.length === 0) return single(failed('no download ended in TIMEOUT after a connected event', figures));
    const short = late.length < downloads ? `; only ${count(late.length)} of ${count(downloads)} timed out` : '';
    const text = `median ${ms(median(late))}, max ${ms(Math.max(...late))} late${short}`;
    return single(measured(text, figures, { score: median(late) }));
  },
};
