/**
 * The `actors` model: the poetry client as the series' Erlang client, on this runtime.
 *
 * Every download is a process. `getPoetry` connects, then loops on a blocking-style `recv` over a
 * passive socket, reporting each chunk to the main process and sending it `{poem}` when the server
 * closes. It never handles its own failures beyond naming them: a refused connect, a reset or a
 * timeout ends the process with a `PoetryError` as its exit reason. A transient-child supervisor
 * around each download restarts it after such an exit, with its restart intensity as the retry
 * bound. Main spawns one supervised download per server, with a monitor, and collects poems and
 * `DOWN` messages until every server is accounted for. Timeouts are `receive … after`; cancelling
 * is an exit signal sent to main, which passes `shutdown` down the trees; the concurrency limit is
 * a pool of K download slots that main refills as `DOWN`s come in.
 */
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
  type PoetryError,
  type TransformOptions,
} from '../poetry/contract.ts';
import { PoemDecoder } from '../poetry/decode.ts';
import { poetryErrors, toPoetryError } from '../poetry/errors.ts';
import { encodeNetstring, NetstringDecoder } from '../poetry/netstring.ts';
import {
  type DownMessage,
  exit,
  isDown,
  isExit,
  monitor,
  type Pid,
  type ProcessBody,
  type Ref,
  receive,
  run,
  type Suspend,
  self,
  send,
  spawnLink,
  TIMEOUT,
  trapExits,
} from './runtime.ts';
import { supervisor } from './supervisor.ts';
import { close, connect, recv, shutdownWrite, write } from './tcp.ts';

/** What a download tells main. */
type Report =
  | { readonly type: 'connected'; readonly task: number }
  | { readonly type: 'chunk'; readonly task: number; readonly bytes: number }
  | {
      readonly type: 'poem';
      readonly task: number;
      readonly poem: string;
      readonly bytes: number;
      readonly transformError?: PoetryError;
    }
  | { readonly type: 'attemptFailed'; readonly task: number; readonly error: PoetryError };

/** The edge: main runs as a process; the promise settles with its return value. */
export function getPoems(addresses: readonly Address[], options: GetPoemsOptions = {}): Promise<PoemResult[]> {
  return run(() => main(addresses, options));
}

export const actorsModel: Model = {
  name: 'actors',
  title: 'Erlang-style processes, mailboxes and supervisors',
  summary:
    'Each download is a process that blocks on recv over a passive socket and sends its poem to main as a message; ' +
    'main counts DOWN messages to know when all are done. Failures are exit reasons, retries are a supervisor ' +
    'restarting a transient worker, timeouts are receive…after, cancelling is an exit signal.',
  clientFiles: ['actors/client.ts'],
  runtimeFiles: ['actors/runtime.ts', 'actors/supervisor.ts', 'actors/tcp.ts', 'actors/gen_server.ts'],
  getPoems,
};

/** One attempt at one poem, as a process; its exit reason is its only way of failing. */
function* getPoetry(main: Pid, task: number, address: Address, options: GetPoemsOptions): ProcessBody<void> {
  // #region timeout
  const deadline = deadlineAfter(options.timeoutMs);
  // #endregion
  try {
    // #region connect
    const socket = yield* connect(address, timeLeft(deadline));
    if (socket === TIMEOUT) throw poetryErrors.timeout(address, options.timeoutMs as number);
    send(main, { type: 'connected', task } satisfies Report);
    // #endregion
    // #region receive
    const decoder = new PoemDecoder(address);
    let bytes = 0;
    for (;;) {
      const message = yield* recv(socket, timeLeft(deadline));
      if (message === TIMEOUT) throw poetryErrors.timeout(address, options.timeoutMs as number);
      if (message.type === 'tcp_error') throw message.error;
      if (message.type === 'tcp_closed') break;
      bytes += message.data.length;
      send(main, { type: 'chunk', task, bytes: message.data.length } satisfies Report);
      decoder.push(message.data);
    }
    close(socket);
    // #endregion
    // #region finish
    const poem = decoder.end();
    if (options.transform === undefined) send(main, { type: 'poem', task, poem, bytes } satisfies Report);
    else
      send(main, { type: 'poem', task, bytes, ...(yield* transformPoem(poem, options.transform, options.timeoutMs)) });
    // #endregion
  } catch (error) {
    // #region fail
    // Named, reported, and made the exit reason: the supervisor decides whether there is another go.
    const failure = toPoetryError(error, address);
    send(main, { type: 'attemptFailed', task, error: failure } satisfies Report);
    exit(failure);
    // #endregion
  }
}

// #region timeout
/** When an attempt started now must be over, for `receive … after`; none without a timeout. */
function deadlineAfter(timeoutMs: number | undefined): number | undefined {
  return timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
}

/** What is left until `deadline` (these are module functions: a download makes no closures). */
function timeLeft(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(0, deadline - performance.now());
}
// #endregion

// #region cancel
/** Aborting sends main an exit signal; main traps exits and turns it into `shutdown` for every download. */
function cancelOnAbort(signal: AbortSignal | undefined, main: Pid): () => void {
  if (signal === undefined) return () => {};
  const onAbort = () => exit(main, 'cancelled');
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
// #endregion

// #region transform
/** The poem through the transform server, within the same time limit; on any failure, the original and why. */
function* transformPoem(
  poem: string,
  transform: TransformOptions,
  timeoutMs: number | undefined,
): Generator<Suspend, { poem: string; transformError?: PoetryError }, unknown> {
  const deadline = deadlineAfter(timeoutMs);
  const failed = (why: string, cause?: unknown) => ({
    poem,
    transformError: poetryErrors.transformFailed(transform.address, why, cause),
  });
  try {
    const socket = yield* connect(transform.address, timeLeft(deadline));
    if (socket === TIMEOUT) return failed(poetryErrors.noReplyWithin(timeoutMs));
    const raw = transform.protocol === 'raw';
    write(socket, raw ? Buffer.from(poem) : encodeNetstring(`${transform.name}.${poem}`));
    if (raw) shutdownWrite(socket);
    const netstrings = new NetstringDecoder();
    const decoder = new PoemDecoder(transform.address);
    for (;;) {
      const message = yield* recv(socket, timeLeft(deadline));
      if (message === TIMEOUT) return failed(poetryErrors.noReplyWithin(timeoutMs));
      if (message.type === 'tcp_error') throw message.error;
      if (message.type === 'tcp_closed') {
        if (!raw) return failed('the transform server closed without a reply');
        return { poem: decoder.end() };
      }
      if (raw) {
        decoder.push(message.data);
        continue;
      }
      const [reply] = netstrings.push(message.data);
      if (reply !== undefined) {
        close(socket);
        decoder.push(reply);
        return { poem: decoder.end() };
      }
    }
  } catch (error) {
    return failed(toPoetryError(error, transform.address).message, error);
  }
}
// #endregion

// #region limit
/**
 * One server's download under its own supervisor: a transient worker restarted after each failure,
 * at most `retries` times (the restart intensity). Its success, a normal exit, is significant:
 * the supervisor then shuts itself down, which is main's `DOWN`.
 */
function supervisedDownload(main: Pid, task: number, address: Address, options: GetPoemsOptions): ProcessBody {
  return supervisor(
    { strategy: 'one_for_one', intensity: options.retries ?? 0, period: 1e9, autoShutdown: 'any_significant' },
    [
      {
        id: 'getPoetry',
        start() {
          return getPoetry(main, task, address, options);
        },
        restart: 'transient',
        significant: true,
        shutdown: 'brutal_kill',
      },
    ],
  );
}
// #endregion

// #region collect
/**
 * Main: starts downloads (at most `concurrency` at once), relays their reports as events, and
 * counts a `DOWN` per server. A server's result is its poem if one came, else its last failure.
 */
function* main(addresses: readonly Address[], options: GetPoemsOptions): ProcessBody<PoemResult[]> {
  trapExits(true);
  const me = self();
  const stopListening = cancelOnAbort(options.signal, me);
  // Called as `emit?.({...})`, so with no listener no event object is even built.
  const emit = options.onEvent;
  const where = addresses.map(formatAddress);
  const results: (PoemResult | undefined)[] = addresses.map(() => undefined);
  const lastFailure = new Map<number, PoetryError>();
  const poems = new Map<number, Extract<Report, { type: 'poem' }>>();
  const inFlight = new Map<Ref, { task: number; pid: Pid }>();
  const slots = options.concurrency ?? addresses.length;
  let next = 0;
  let cancelled = options.signal?.aborted ?? false;
  let settled = 0;

  const settle = (task: number, result: PoemResult) => {
    results[task - 1] = result;
    settled++;
    if (result.ok) {
      emit?.({
        type: 'done',
        task,
        address: result.address,
        bytes: poems.get(task)?.bytes ?? 0,
        at: performance.now(),
      });
    } else emit?.({ type: 'failed', task, address: result.address, error: result.error, at: performance.now() });
  };
  const cancelRest = () => {
    while (next < addresses.length) {
      next++;
      settle(next, {
        ok: false,
        address: where[next - 1] as string,
        error: poetryErrors.cancelled(where[next - 1] as string),
      });
    }
  };

  /** Fills the free download slots, each with a supervised download and a monitor on it. */
  const startDownloads = () => {
    while (!cancelled && next < addresses.length && inFlight.size < slots) {
      const task = ++next;
      const pid = spawnLink(() => supervisedDownload(me, task, addresses[task - 1] as Address, options));
      inFlight.set(monitor(pid), { task, pid });
    }
  };
  /** A download's supervisor is gone: the server is accounted for, with its poem or its last failure. */
  const downloadEnded = (down: DownMessage) => {
    const download = inFlight.get(down.ref);
    if (download === undefined) return;
    inFlight.delete(down.ref);
    const { task } = download;
    const address = where[task - 1] as string;
    const poem = poems.get(task);
    if (poem !== undefined) {
      settle(task, {
        ok: true,
        address,
        poem: poem.poem,
        ...(poem.transformError && { transformError: poem.transformError }),
      });
    } else if (cancelled) {
      settle(task, { ok: false, address, error: poetryErrors.cancelled(address) });
    } else {
      const error = lastFailure.get(task) ?? toPoetryError(down.reason, address);
      settle(task, { ok: false, address, error });
    }
  };
  const reported = (report: Report) => {
    const address = where[report.task - 1] as string;
    if (report.type === 'poem') poems.set(report.task, report);
    else if (report.type === 'attemptFailed') lastFailure.set(report.task, report.error);
    else if (report.type === 'connected')
      emit?.({ type: 'connected', task: report.task, address, at: performance.now() });
    else emit?.({ type: 'chunk', task: report.task, address, bytes: report.bytes, at: performance.now() });
  };

  // The receive loop stays small, with each kind of message handled by its own function: a loop
  // with every case inline was the costliest thing V8 compiled in a run, and it compiled it 4 times
  // as new message shapes arrived.
  try {
    if (cancelled) cancelRest();
    while (settled < addresses.length) {
      startDownloads();
      const message = yield* receive();
      if (isExit(message)) {
        // The caller's cancel; our own children's EXITs are already covered by their DOWNs.
        if (message.reason !== 'cancelled' || cancelled) continue;
        cancelled = true;
        for (const { pid } of inFlight.values()) exit(pid, 'shutdown');
        cancelRest();
      } else if (isDown(message)) downloadEnded(message);
      else reported(message as Report);
    }
    return results as PoemResult[];
  } finally {
    stopListening();
  }
}
// #endregion
