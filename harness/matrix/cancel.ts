/**
 * Dimensions 1 and 2: what an abort reaches, and how fast.
 *
 * Cancel latency: 1,000 downloads of a poem that takes half a minute to trickle out, the signal
 * aborted 300 ms in; the servers note when each connection closes, so the cell is the time from the
 * abort (taken in the model process) to the last close the servers saw, with what the model
 * process still held once its promise had resolved.
 *
 * Cancel reach: a transform server that takes the request and never answers; the abort comes
 * while it holds the request, and the transform server says whether its connection was closed.
 */
import { poems } from '../../poetry/poems/index.ts';
import { failed, measured, type Probe, single } from './cell.ts';
import { anyLeft, describeLeftovers, fetchInChild } from './fetch.ts';
import { count, median, ms, tenth } from './format.ts';
import { hold, trickle, until } from './lab.ts';

const downloads = 1000;
const abortAtMs = 300;
const ferry = Buffer.from(poems['night-ferry'].text);

export const cancelLatency: Probe = {
  id: 1,
  title: 'Cancel latency',
  says: `ms from abort() to every socket closed (${count(downloads)} slow downloads, abort at ${abortAtMs} ms); what is left open`,
  file: 'harness/matrix/cancel.ts',
  better: 'lower',
  stable: false,
  budgetMs: 20_000,
  async measure({ client, lab, signal }) {
    // Four servers, so no listen backlog overflows as a thousand connects arrive together.
    const servers = await Promise.all([0, 1, 2, 3].map(() => lab.observed(trickle(ferry, 10, 0.1))));
    const addresses = Array.from({ length: downloads }, (_, index) => servers[index % 4]!.address);
    const outcome = await client.call(fetchInChild, { addresses, options: {}, abortAfterMs: abortAtMs }, signal);
    const abortedAt = outcome.abortedAt ?? Number.NaN;
    const log = servers.flatMap((server) => server.log);
    await until(() => log.every((record) => record.hungUpAt !== undefined), 3000, signal);
    const openAtAbort = log.filter((r) => r.acceptedAt <= abortedAt && (r.hungUpAt ?? Infinity) > abortedAt);
    const lateConnects = log.filter((r) => r.acceptedAt > abortedAt).length;
    const stillOpen = log.filter((r) => r.hungUpAt === undefined).length;
    const latencies = openAtAbort.flatMap((r) => (r.hungUpAt === undefined ? [] : [r.hungUpAt - abortedAt]));
    const notCancelled = outcome.results.filter((r) => r.code !== 'CANCELLED').length;
    const figures = {
      openAtAbort: openAtAbort.length,
      connectsAfterAbort: lateConnects,
      neverClosed: stillOpen,
      lastCloseMs: tenth(Math.max(0, ...latencies)),
      medianCloseMs: tenth(median(latencies)),
      resolvedAfterAbortMs: tenth(outcome.resolvedAt - abortedAt),
      notCancelled,
      leftAtResolve: describeLeftovers(outcome.leftAtResolve),
      leftAfterSecond: describeLeftovers(outcome.leftAfterSecond),
    };
    if (openAtAbort.length === 0) return single(failed('no connection was open at the abort', figures));
    const last = Math.max(...latencies);
    const faults = [
      ...(stillOpen > 0 ? [`${count(stillOpen)} never closed`] : []),
      ...(lateConnects > 0 ? [`${count(lateConnects)} connected after the abort`] : []),
      ...(notCancelled > 0 ? [`${count(notCancelled)} results not CANCELLED`] : []),
    ];
    const left = anyLeft(outcome.leftAtResolve)
      ? `${describeLeftovers(outcome.leftAtResolve)} at resolve (${describeLeftovers(outcome.leftAfterSecond)} 1 s later)`
      : 'nothing left open';
    const text = `${ms(last)} for ${count(openAtAbort.length)} open (median ${ms(median(latencies))}); ${[...faults, left].join('; ')}`;
    return single(measured(text, figures, { score: stillOpen > 0 ? Number.POSITIVE_INFINITY : last }));
  },
};

export const cancelReach: Probe = {
  id: 2,
  title: 'Cancel reach',
  says: 'does an abort close the connection the model opened to the transform server?',
  file: 'harness/matrix/cancel.ts',
  better: 'lower',
  stable: true,
  budgetMs: 15_000,
  async measure({ client, lab, signal }) {
    const { startFastServer } = await import('../../poetry/servers/index.ts');
    const poem = await lab.keep(startFastServer({ poem: poems.kettle.text }));
    const transform = await lab.observed(hold);
    const stop = new AbortController();
    const forward = () => stop.abort();
    signal.addEventListener('abort', forward, { once: true });
    const fetching = client.call(
      fetchInChild,
      { addresses: [poem.address], options: { transform: { address: transform.address, name: 'cummingsify' } } },
      stop.signal,
    );
    // The abort comes once the whole request (a netstring holding the poem) has reached the transform server.
    const held = await until(() => (transform.log[0]?.bytesIn ?? 0) > poems.kettle.text.length, 5000, signal);
    stop.abort();
    const outcome = await fetching;
    signal.removeEventListener('abort', forward);
    const record = transform.log[0];
    if (!held || record === undefined) {
      return single(
        failed('the transform server never held a whole request', { resultCode: outcome.results[0]?.code ?? 'ok' }),
      );
    }
    const abortedAt = outcome.abortedAt ?? Number.NaN;
    await until(() => record.hungUpAt !== undefined, 2000, signal);
    const result = outcome.results[0];
    const resultText = result?.ok
      ? `poem kept${result.transformError ? `, ${result.transformError}` : ''}`
      : (result?.code ?? '?');
    const closed = record.hungUpAt !== undefined;
    const figures = {
      closed,
      closedAfterAbortMs: closed ? tenth(record.hungUpAt! - abortedAt) : 'not within 2 s',
      result: resultText,
      leftAtResolve: describeLeftovers(outcome.leftAtResolve),
    };
    const reach = closed ? 'yes' : 'no: still open 2 s after the abort';
    const text = closed
      ? `yes, ${ms(record.hungUpAt! - abortedAt)} after the abort (${resultText})`
      : `${reach} (${resultText})`;
    return single(measured(text, figures, { stable: `${reach} (${resultText})`, score: closed ? 0 : 1 }));
  },
};
