/**
 * The `workers` model, the worker thread's half: one session per thread and per `getPoems` call.
 *
 * A session is an event-loop client of its own. Main sends it tasks over its port, one address at
 * a time; it downloads each with the shared one-attempt download (`fetchPoem`, the baselines'),
 * retries as asked, analyses the finished poem on its own thread — one analysis per turn of its
 * loop — and sends progress and results back, batched per turn. It knows nothing of the limit: main
 * hands out no more tasks than the limit allows. A `cancel` from main aborts everything in flight.
 */

import { type FetchedPoem, fetchPoem } from '../baselines/download.ts';
import { analysePoem, type PoemAnalysis } from '../poetry/analyse.ts';
import type { Address, PoetryEvent } from '../poetry/contract.ts';
import { poetryErrors, toPoetryError } from '../poetry/errors.ts';
import { type FromWorker, Outbox, type SessionStart, sendError, sharedNow, type ToWorker } from './messages.ts';
import { TurnQueue } from './turns.ts';

// #uses connect: Connection.open (baselines/download.ts)
// #uses receive, finish: downloadPoem (baselines/download.ts)
// #uses fail, timeout, cancel: Connection (baselines/download.ts)
// #uses transform: transformPoem (baselines/download.ts)

/** The session: resolves once main says every result is in. */
export function session({ port, options }: SessionStart): Promise<void> {
  const { retries, timeoutMs, transform, analyse, events, cancelled } = options;
  const outbox = new Outbox(port);
  const analyses = new TurnQueue();
  // #region cancel
  // One controller for the whole thread: main's `cancel` aborts it, and every connection listens.
  // Main's flag in shared memory says so before the message arrives, which waits behind every
  // task sent before it: the thread looks before each task and each analysis.
  const controller = new AbortController();
  const { signal } = controller;
  const stopped = () => {
    if (Atomics.load(cancelled, 0) === 1) controller.abort();
    return signal.aborted;
  };
  // #endregion

  /**
   * The events `fetchPoem` emits, as messages. Its `done` is kept back (with the byte count it
   * carries) until the task's analysis has run: the task is not done before.
   */
  const forward = (event: PoetryEvent, finished: { bytes: number }): void => {
    if (event.type === 'done') finished.bytes = event.bytes;
    else if (!events) return;
    else if (event.type === 'connected')
      outbox.send({ type: 'connected', task: event.task, at: performance.timeOrigin + event.at });
    else if (event.type === 'chunk')
      outbox.send({ type: 'chunk', task: event.task, bytes: event.bytes, at: performance.timeOrigin + event.at });
  };

  // #region fail
  // The error crosses to main as a record: the structured clone would drop its code and address.
  const fail = (task: number, address: Address, error: unknown): void => {
    const sent = sendError(toPoetryError(error, address));
    if (events) outbox.send({ type: 'failed', task, error: sent, at: sharedNow() });
    outbox.send({ type: 'failure', task, error: sent });
  };
  // #endregion

  const succeed = (task: number, { poem, transformError }: FetchedPoem, bytes: number, analysis?: PoemAnalysis) => {
    if (events) outbox.send({ type: 'done', task, bytes, at: sharedNow() });
    const transformFailed = transformError && { transformError: sendError(transformError) };
    outbox.send({ type: 'poem', task, poem, ...transformFailed, ...(analysis && { analysis }) });
  };

  // #region analyse
  // Queued, not run at once: one analysis per turn of this thread's loop, so a chunk that arrives
  // meanwhile waits for one analysis at most; what is waiting to be sent goes first, so it is not
  // held back by the analysis either. A cancel before its turn fails the task.
  const analysed = (task: number, address: Address, fetched: FetchedPoem, bytes: number): void => {
    if (!analyse) {
      succeed(task, fetched, bytes);
      return;
    }
    analyses.push(() => {
      outbox.flush();
      if (stopped()) fail(task, address, poetryErrors.cancelled(address));
      else succeed(task, fetched, bytes, analysePoem(fetched.poem, analyse.rounds));
      outbox.flush();
    });
  };
  // #endregion

  /** One task: attempts until one succeeds, the retries run out or main cancels. */
  const getPoem = async (task: number, address: Address): Promise<void> => {
    // #region retry
    for (let attempt = 0; ; attempt++) {
      const finished = { bytes: 0 };
      const onEvent = (event: PoetryEvent) => forward(event, finished);
      try {
        const fetched = await fetchPoem(address, task, { timeoutMs, signal, transform, onEvent });
        return analysed(task, address, fetched, finished.bytes);
      } catch (error) {
        // #region cancel
        // A cancelled attempt is never retried: main asked for everything to stop.
        if (toPoetryError(error, address).code !== 'CANCELLED' && attempt < retries) continue;
        // #endregion
        return fail(task, address, error);
      }
    }
    // #endregion
  };

  return new Promise((resolve) => {
    port.postMessage([{ type: 'ready' }] satisfies FromWorker[]);
    port.on('message', (message: ToWorker) => {
      // #region cancel
      // A task that comes after main's abort finds the signal aborted, and connects nowhere.
      if (message.type === 'task') {
        stopped();
        void getPoem(message.task, message.address);
      } else if (message.type === 'cancel') controller.abort();
      // #endregion
      else {
        analyses.clear();
        outbox.flush();
        port.close();
        resolve();
      }
    });
  });
}
