/**
 * The `actors` model: the poetry client as the series' Erlang client, on this runtime.
 *
 * Read it as that client reads: `main` spawns a download per server and collects what comes back,
 * `getPoetry` connects and loops on `recv` over a passive socket, telling main about each chunk and
 * sending it the poem when the server closes, and main's receive has one clause per kind of message,
 * as `collect_poems` does — the poem, a failure, a progress report, a `DOWN`, the caller's cancel.
 *
 * What the series' client does not have is added the Erlang way. A download never handles its own
 * failure beyond naming it: a refused connect, a reset or a timeout is its exit reason. A
 * transient-child supervisor around each download restarts it after such an exit, its restart
 * intensity being the retry bound. Timeouts are `receive … after`; cancelling is an exit signal sent
 * to main, which passes `shutdown` down the trees; the limit is K download slots that main refills
 * as `DOWN`s come in.
 */

import { type AnalyseOptions, analysePoem, type PoemAnalysis } from '../poetry/analyse.ts';
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
  type PoetryError,
  type PoetryEvent,
  type TransformOptions,
} from '../poetry/contract.ts';
import { PoemDecoder } from '../poetry/decode.ts';
import { poetryErrors, toPoetryError } from '../poetry/errors.ts';
import { encodeNetstring, NetstringDecoder } from '../poetry/netstring.ts';
import {
  clause,
  type ExitMessage,
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

/** What one attempt at a poem needs to know: its time limit and the transform, if any. */
interface Attempt {
  readonly timeoutMs: number | undefined;
  readonly transform: TransformOptions | undefined;
  readonly analyse: AnalyseOptions | undefined;
}

/** The edge: the options unpacked into what each layer needs, and main run as a process. */
export function getPoems(addresses: readonly Address[], options: GetPoemsOptions = {}): Promise<PoemResult[]> {
  const { concurrency = addresses.length, retries = 0, timeoutMs, transform, signal, onEvent, analyse } = options;
  const attempt: Attempt = { timeoutMs, transform, analyse };
  return run(() => main(addresses, concurrency, retries, attempt, signal, onEvent));
}

export const actorsModel: Model = {
  name: 'actors',
  title: 'Erlang-style processes, mailboxes and supervisors',
  summary:
    'Each download is a process that blocks on recv over a passive socket and sends its poem to main as a message; ' +
    'main collects with one receive clause per kind of message, and a DOWN per server tells it when all are done. ' +
    'Failures are exit reasons, retries are a supervisor restarting a transient worker, timeouts are receive…after, ' +
    'cancelling is an exit signal.',
  clientFiles: ['actors/client.ts'],
  runtimeFiles: ['actors/runtime.ts', 'actors/supervisor.ts', 'actors/tcp.ts', 'actors/gen_server.ts'],
  getPoems,
};

/** What a download tells main: one kind of message for each clause of main's receive. */
type Report =
  | { readonly type: 'connected'; readonly task: number }
  | { readonly type: 'chunk'; readonly task: number; readonly bytes: number }
  | {
      readonly type: 'poem';
      readonly task: number;
      readonly poem: string;
      readonly bytes: number;
      readonly transformError?: PoetryError;
      readonly analysis?: PoemAnalysis;
    }
  | { readonly type: 'failure'; readonly task: number; readonly error: PoetryError };

/** The pattern for one kind of report, by its `type`. */
function reportOf<K extends Report['type']>(type: K) {
  return (message: unknown): message is Extract<Report, { type: K }> =>
    typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

const isConnected = reportOf('connected');
const isChunk = reportOf('chunk');
const isPoem = reportOf('poem');
const isFailure = reportOf('failure');

/**
 * Main: starts the downloads, at most `concurrency` at once, and collects. A server is accounted
 * for when its download's supervisor is `DOWN`: its result is then its poem if one came, else
 * `CANCELLED` if the caller aborted, else its last failure.
 */
function* main(
  addresses: readonly Address[],
  concurrency: number,
  retries: number,
  attempt: Attempt,
  signal: AbortSignal | undefined,
  onEvent: ((event: PoetryEvent) => void) | undefined,
): ProcessBody<PoemResult[]> {
  trapExits(true);
  const me = self();
  const where = addresses.map(formatAddress);
  const addressOf = (task: number) => where[task - 1] as string;
  const results: PoemResult[] = [];
  const poems = new Map<number, Extract<Report, { type: 'poem' }>>();
  const failures = new Map<number, PoetryError>();
  const downloads = new Map<Ref, { task: number; pid: Pid }>();
  let started = 0;
  let settled = 0;
  let cancelled = signal?.aborted ?? false;

  // #region limit
  /** Fills the free download slots, each with a supervised download and a monitor on it; each `DOWN` frees one. */
  const startDownloads = () => {
    while (!cancelled && started < addresses.length && downloads.size < concurrency) {
      const task = ++started;
      const address = addresses[task - 1] as Address;
      const pid = spawnLink(() => supervisedDownload(me, task, address, retries, attempt));
      downloads.set(monitor(pid), { task, pid });
    }
  };
  // #endregion

  // #region cancel
  /** The servers no download was started for yet are settled as cancelled at once. */
  const cancelUnstarted = () => {
    while (started < addresses.length) {
      const task = ++started;
      settle(task, { ok: false, address: addressOf(task), error: poetryErrors.cancelled(addressOf(task)) });
    }
  };
  // #endregion

  // #region collect
  /** A server accounted for: its result in its place, in input order, and the event that says so. */
  const settle = (task: number, result: PoemResult) => {
    results[task - 1] = result;
    settled++;
    const at = performance.now();
    if (result.ok) onEvent?.({ type: 'done', task, address: result.address, bytes: poems.get(task)?.bytes ?? 0, at });
    else onEvent?.({ type: 'failed', task, address: result.address, error: result.error, at });
  };

  const clauses = [
    clause(isConnected, ({ task }) => {
      onEvent?.({ type: 'connected', task, address: addressOf(task), at: performance.now() });
    }),
    clause(isChunk, ({ task, bytes }) => {
      onEvent?.({ type: 'chunk', task, address: addressOf(task), bytes, at: performance.now() });
    }),
    clause(isPoem, (poem) => {
      poems.set(poem.task, poem);
    }),
    clause(isFailure, ({ task, error }) => {
      failures.set(task, error);
    }),
    clause(isDown, (down) => {
      const download = downloads.get(down.ref);
      if (download === undefined) return;
      downloads.delete(down.ref);
      const { task } = download;
      const address = addressOf(task);
      const poem = poems.get(task);
      if (poem !== undefined) {
        const { transformError, analysis } = poem;
        settle(task, {
          ok: true,
          address,
          poem: poem.poem,
          ...(transformError && { transformError }),
          ...(analysis && { analysis }),
        });
      } else if (cancelled) settle(task, { ok: false, address, error: poetryErrors.cancelled(address) });
      else settle(task, { ok: false, address, error: failures.get(task) ?? toPoetryError(down.reason, address) });
    }),
    // #region cancel
    clause(isCancel, () => {
      cancelled = true;
      for (const { pid } of downloads.values()) exit(pid, 'shutdown');
      cancelUnstarted();
    }),
    // #endregion
    // A download's own EXIT (main is linked to each, and traps exits): its DOWN has said the same.
    clause(isExit, () => {}),
  ];

  const stopListening = cancelOnAbort(signal, me);
  try {
    if (cancelled) cancelUnstarted();
    while (settled < addresses.length) {
      startDownloads();
      yield* receive(clauses);
    }
    return results;
  } finally {
    stopListening();
  }
  // #endregion
}

// #region retry
/**
 * One server's download under its own supervisor: a transient worker restarted after each failure,
 * at most `retries` times (the restart intensity, over a period that never runs out). Its success,
 * a normal exit of a significant child, shuts the supervisor down, which is main's `DOWN`.
 */
function supervisedDownload(main: Pid, task: number, address: Address, retries: number, attempt: Attempt): ProcessBody {
  return supervisor({ strategy: 'one_for_one', intensity: retries, period: 1e9, autoShutdown: 'any_significant' }, [
    {
      id: 'getPoetry',
      start: getPoetry,
      args: [main, task, address, attempt],
      restart: 'transient',
      significant: true,
      shutdown: 'brutal_kill',
    },
  ]);
}
// #endregion

/** One attempt at one poem, as a process; its exit reason is its only way of failing. */
function* getPoetry(main: Pid, task: number, address: Address, attempt: Attempt): ProcessBody<void> {
  const { timeoutMs, transform, analyse } = attempt;
  // #region timeout
  const deadline = deadlineAfter(timeoutMs);
  // #endregion
  try {
    // #region connect
    const socket = yield* connect(address, timeLeft(deadline));
    if (socket === TIMEOUT) throw poetryErrors.timeout(address, timeoutMs as number);
    send(main, { type: 'connected', task } satisfies Report);
    // #endregion
    // #region receive
    // Erlang's get_poetry calls itself once per chunk with the poem so far; here each call would nest
    // one more `yield*` (V8 has no tail calls), and the stack runs out at about 5,200 chunks (see the
    // README). So the recursion is a loop, with the poem so far in the decoder.
    const decoder = new PoemDecoder(address);
    let bytes = 0;
    for (;;) {
      const message = yield* recv(socket, timeLeft(deadline));
      if (message === TIMEOUT) throw poetryErrors.timeout(address, timeoutMs as number);
      if (message.type === 'tcp_error') throw message.error;
      if (message.type === 'tcp_closed') break;
      send(main, { type: 'chunk', task, bytes: message.data.length } satisfies Report);
      bytes += message.data.length;
      decoder.push(message.data);
    }
    close(socket);
    // #endregion
    // #region finish
    const poem = decoder.end();
    const result = transform === undefined ? { poem } : yield* transformPoem(poem, transform, timeoutMs);
    // #region analyse
    // The download's own process does the work before it reports; a process is never preempted, so
    // every other process waits until it is done.
    const analysis = analyse && analysePoem(result.poem, analyse.rounds);
    // #endregion
    send(main, { type: 'poem', task, bytes, ...result, ...(analysis && { analysis }) } satisfies Report);
    // #endregion
  } catch (error) {
    // #region fail
    // Named, reported, and made the exit reason: the supervisor decides whether there is another go.
    const failure = toPoetryError(error, address);
    send(main, { type: 'failure', task, error: failure } satisfies Report);
    exit(failure);
    // #endregion
  }
}

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

// #region timeout
/** When an attempt started now must be over, for `receive … after`; none without a timeout. */
function deadlineAfter(timeoutMs: number | undefined): number | undefined {
  return timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
}

/** What is left until `deadline`. */
function timeLeft(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(0, deadline - performance.now());
}
// #endregion

// #region cancel
/** The exit reason an abort sends main; main traps exits, so it arrives as an `EXIT` to match. */
const CANCEL = 'cancelled';

function isCancel(message: unknown): message is ExitMessage {
  return isExit(message) && message.reason === CANCEL;
}

/** Aborting sends main an exit signal; returns what stops listening. */
function cancelOnAbort(signal: AbortSignal | undefined, main: Pid): () => void {
  if (signal === undefined) return () => {};
  const onAbort = () => exit(main, CANCEL);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
// #endregion
