/**
 * The `workers` model, the main thread's half: the poetry client spread over worker threads.
 *
 * Each call starts a pool of threads (one per core by default), each running a session of
 * `worker.ts`: an event-loop client of its own that downloads, retries and analyses. Main does no
 * I/O on a poem. It hands out addresses one at a time as slots free — at most `concurrency` in
 * flight across all threads together, each to the thread with the fewest — turns the threads'
 * batched messages into the caller's events, in the order each thread sent them, and puts the
 * results in input order. The caller's abort is a flag in memory the threads share, and a `cancel` message to each. When every
 * result is in, the pool is closed: no thread outlives the call.
 */
import os from 'node:os';
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
  PoetryError,
} from '../poetry/contract.ts';
import { poetryErrors } from '../poetry/errors.ts';
import { type FromWorker, receiveError, type SessionOptions, sharedNow } from './messages.ts';
import { openPool, type Session } from './pool.ts';

/** How the model is built: how many threads each call starts. */
export interface WorkersModelOptions {
  /** Threads per call; default one per core (`os.availableParallelism()`), never more than addresses. */
  readonly threads?: number;
}

/** A `workers` model whose calls start `threads` threads each. */
export function workersModel({ threads }: WorkersModelOptions = {}): Model {
  return {
    name: 'workers',
    title: 'Worker threads: a piscina pool, one event-loop client per core',
    summary:
      'Real parallelism: each call starts a pool of worker threads (piscina), one per core, and every thread ' +
      'runs an event-loop client of its own that downloads, retries and analyses. The main thread only hands ' +
      'out addresses as slots free — the limit holds across all threads — turns the threads’ batched messages ' +
      'into events and collects the results in input order; an abort is a flag in shared memory and a message to every thread. Look at ' +
      'what crosses between threads: only copies, so errors travel as records and are rebuilt.',
    clientFiles: ['workers/client.ts', 'workers/worker.ts'],
    runtimeFiles: [
      'workers/pool.ts',
      'workers/messages.ts',
      'workers/turns.ts',
      'workers/entry.mjs',
      'baselines/download.ts',
    ],
    getPoems: (addresses, options) => getPoems(addresses, options, threads ?? os.availableParallelism()),
  };
}

async function getPoems(
  addresses: readonly Address[],
  { concurrency, retries = 0, timeoutMs, transform, analyse, signal, onEvent }: GetPoemsOptions = {},
  threads: number,
): Promise<PoemResult[]> {
  const where = addresses.map(formatAddress);
  const results = new Array<PoemResult>(addresses.length);
  let received = 0;
  /**
   * An event's time on main's clock: when it happened in its thread, but never before the event
   * delivered last — two threads' batches interleave here, and the events must not go back in time.
   */
  let lastAt = Number.NEGATIVE_INFINITY;
  const timeOf = (sharedAt: number) => {
    lastAt = Math.max(lastAt, sharedAt - performance.timeOrigin);
    return lastAt;
  };

  /** Ends task `task` with `result`; the caller's listener hears a failure main decided itself. */
  const end = (task: number, result: PoemResult) => {
    results[task - 1] = result;
    received++;
  };
  /** A task main fails itself, never handed out or lost with its thread. */
  const failHere = (task: number, error: PoetryError) => {
    const address = where[task - 1] as string;
    onEvent?.({ type: 'failed', task, address, error, at: timeOf(sharedNow()) });
    end(task, { ok: false, address, error });
  };

  // #region cancel
  // A caller who has aborted already gets no thread at all.
  if (signal?.aborted) {
    for (let task = 1; task <= addresses.length; task++)
      failHere(task, poetryErrors.cancelled(where[task - 1] as string));
    return results;
  }
  // #endregion
  if (addresses.length === 0) return results;

  const cancelled = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const events = onEvent !== undefined;
  const options: SessionOptions = { retries, timeoutMs, transform, analyse, events, cancelled };
  const pool = openPool(Math.min(threads, addresses.length), options);
  const load = new Map<Session, number>(pool.sessions.map((session) => [session, 0]));
  const owner = new Map<number, Session>();
  let next = 0;
  let inFlight = 0;
  let allIn: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    allIn = resolve;
  });

  // #region limit
  // Main hands out one address at a time, as slots free, to the thread with the fewest in flight:
  // the limit counts every thread's downloads together, and no thread sits idle while another queues.
  const limit = concurrency ?? Number.POSITIVE_INFINITY;
  const handOut = () => {
    while (next < addresses.length && inFlight < limit && !signal?.aborted && load.size > 0) {
      const [session, count] = [...load].reduce((least, entry) => (entry[1] < least[1] ? entry : least));
      const task = ++next;
      owner.set(task, session);
      load.set(session, count + 1);
      inFlight++;
      session.send({ type: 'task', task, address: addresses[task - 1] as Address });
    }
  };
  // #endregion

  // #region collect
  // Each thread's messages come in the order it sent them, so a task's events come before its
  // result; events are delivered here, synchronously, stamped with when they happened in their thread.
  /** A task's result from its thread: its slot frees, and the next address goes out. */
  const settle = (task: number, result: PoemResult) => {
    const session = owner.get(task);
    // A task already failed with its thread (see below) is not ended twice.
    if (session === undefined) return;
    owner.delete(task);
    load.set(session, (load.get(session) as number) - 1);
    inFlight--;
    end(task, result);
    handOut();
    if (received === addresses.length) allIn();
  };
  const hear = (message: FromWorker) => {
    if (message.type === 'ready') return;
    const { task } = message;
    const address = where[task - 1] as string;
    switch (message.type) {
      case 'poem': {
        const { poem, transformError, analysis } = message;
        return settle(task, {
          ok: true,
          address,
          poem,
          ...(transformError && { transformError: receiveError(transformError) }),
          ...(analysis && { analysis }),
        });
      }
      case 'failure':
        return settle(task, { ok: false, address, error: receiveError(message.error) });
      case 'failed':
        return onEvent?.({ type: 'failed', task, address, error: receiveError(message.error), at: timeOf(message.at) });
      case 'connected':
        return onEvent?.({ type: 'connected', task, address, at: timeOf(message.at) });
      default:
        return onEvent?.({ type: message.type, task, address, bytes: message.bytes, at: timeOf(message.at) });
    }
  };
  // #endregion

  for (const session of pool.sessions) {
    session.port.on('message', (batch: FromWorker[]) => {
      for (const message of batch) hear(message);
    });
    // A thread that dies takes its tasks with it: they fail, naming why, and it is given no more.
    session.ended.catch((error: unknown) => {
      load.delete(session);
      const lost = (task: number) => failHere(task, threadFailed(where[task - 1] as string, error));
      for (const [task, holder] of owner) {
        if (holder !== session) continue;
        owner.delete(task);
        inFlight--;
        lost(task);
      }
      if (load.size === 0) while (next < addresses.length) lost(++next);
      handOut();
      if (received === addresses.length) allIn();
    });
  }

  // #region cancel
  // The abort reaches every thread through the shared flag and a message; what was never handed
  // out fails here.
  const cancel = () => {
    Atomics.store(cancelled, 0, 1);
    for (const session of pool.sessions) session.send({ type: 'cancel' });
    while (next < addresses.length) failHere(++next, poetryErrors.cancelled(where[next - 1] as string));
    if (received === addresses.length) allIn();
  };
  signal?.addEventListener('abort', cancel, { once: true });
  // #endregion

  try {
    await pool.ready;
    handOut();
    await finished;
    return results;
  } finally {
    signal?.removeEventListener('abort', cancel);
    await pool.close();
  }
}

/** Why a task failed whose thread died under it. */
function threadFailed(address: string, cause: unknown): PoetryError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new PoetryError('NETWORK', address, `the worker thread running it failed (${why})`, { cause });
}

export const model: Model = workersModel();
