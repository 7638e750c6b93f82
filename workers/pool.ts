/**
 * A pool of worker threads for one `getPoems` call, on piscina: `threads` threads, each running one
 * session (`worker.ts`) that lasts the whole call and talks to main over a `MessageChannel` of its
 * own. piscina starts the threads, loads the entry in each and tears them all down; the hand-out of
 * addresses is main's own, over the session ports, so that the limit holds across every thread.
 *
 * `close` ends every session, waits for them, destroys the pool and closes main's ports: after it,
 * no thread, port or timer of the pool is left.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { SessionOptions, SessionStart, ToWorker } from './messages.ts';

/** The entry each thread starts in: plain JavaScript that loads the TypeScript session. */
const entry = new URL('./entry.mjs', import.meta.url).href;

/** One thread's session, as main sees it. */
export interface Session {
  /** Main's end of the session's channel. */
  readonly port: MessagePort;
  /** Resolves when the session listens (its first message), or once it has ended without. */
  readonly ready: Promise<void>;
  /** Resolves when the session has ended; rejects with the reason when its thread failed. */
  readonly ended: Promise<void>;
  send(message: ToWorker): void;
}

export interface Pool {
  readonly sessions: readonly Session[];
  /**
   * Resolves when every session listens. Threads start at different speeds (hundreds of
   * milliseconds apart on a loaded machine); tasks handed out before would pile up on the first.
   */
  readonly ready: Promise<void>;
  /** Ends every session, then destroys the threads; resolves when nothing of the pool is left. */
  close(): Promise<void>;
}

/** Starts `threads` threads (one or more), each with a session under `options`. */
export function openPool(threads: number, options: SessionOptions): Pool {
  if (!(Number.isInteger(threads) && threads >= 1))
    throw new RangeError(`workers: threads must be a whole number from 1, got ${threads}`);
  const piscina = new Piscina<SessionStart, void>({
    filename: entry,
    minThreads: threads,
    maxThreads: threads,
    // One session per thread: a thread running one is given no other.
    concurrentTasksPerWorker: 1,
    // The sessions' ports carry every message; piscina's Atomics.wait between tasks would only stop
    // a thread's event loop between two calls, which it never sees.
    atomics: 'disabled',
    // Not the main thread's flags: under tsx they load tsx's ESM hooks, which the entry does not need.
    execArgv: [],
  });
  const sessions = Array.from({ length: threads }, (): Session => {
    const { port1, port2 } = new MessageChannel();
    const ended = piscina.run({ port: port2, options }, { transferList: [port2] });
    // A failed thread is reported through `ended` to whoever awaits it, and never as unhandled.
    ended.catch(() => {});
    const ready = new Promise<void>((resolve) => {
      port1.once('message', () => resolve());
      ended.then(resolve, resolve);
    });
    return { port: port1, ready, ended, send: (message) => port1.postMessage(message) };
  });
  return {
    sessions,
    ready: Promise.all(sessions.map((session) => session.ready)).then(() => {}),
    async close() {
      for (const session of sessions) session.send({ type: 'end' });
      await Promise.allSettled(sessions.map((session) => session.ended));
      await piscina.destroy();
      for (const session of sessions) session.port.close();
    },
  };
}
