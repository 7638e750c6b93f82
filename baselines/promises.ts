/**
 * The `promises` model: the poetry client as a TypeScript programmer would write it today, with
 * nothing but Node's `net`, async/await, `AbortSignal` and a concurrency limiter. It is the
 * yardstick the five models are read against: every part of the client is a few lines of
 * straight-line code, and the event loop's concurrency is entirely hidden behind `await`.
 *
 * One download is an async function that connects and awaits one promise over the socket's events,
 * decoding each chunk as it comes; the timeout (a timer) and the caller's cancel (one listener on
 * its signal for all the sockets open under it) destroy the socket. `fetchPoem` wraps a download in
 * the retry loop, the transform and the done/failed event; the `blocking` baseline reuses it one
 * address at a time.
 */
import { once } from 'node:events';
import net from 'node:net';
import pLimit from 'p-limit';
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
import { type LongTimeout, setLongTimeout } from '../poetry/long-timeout.ts';
import { encodeNetstring, NetstringDecoder } from '../poetry/netstring.ts';

/** A poem as one task ends it: the text, plus why the transform was skipped if it was. */
export interface FetchedPoem {
  readonly poem: string;
  readonly transformError?: PoetryError;
}

/** Resolves with the poem or rejects with a `PoetryError`, after emitting the task's final event. */
export async function fetchPoem(address: Address, task: number, options: GetPoemsOptions): Promise<FetchedPoem> {
  const where = formatAddress(address);
  const emit = options.onEvent ?? (() => {});
  // #region limit
  // Retries: a fresh attempt after any failure except the caller's own cancel.
  for (let attempt = 0; ; attempt++) {
    try {
      const { poem, bytes } = await downloadPoem(address, task, options);
      const fetched = options.transform ? await transformPoem(poem, options.transform, options) : { poem };
      emit({ type: 'done', task, address: where, bytes, at: performance.now() });
      return fetched;
    } catch (error) {
      // #region cancel
      // Whatever broke once the caller aborted, the task was cancelled; that is never retried.
      const failure = options.signal?.aborted ? poetryErrors.cancelled(address) : toPoetryError(error, address);
      // #endregion
      if (failure.code === 'CANCELLED' || attempt >= (options.retries ?? 0)) {
        emit({ type: 'failed', task, address: where, error: failure, at: performance.now() });
        throw failure;
      }
    }
  }
  // #endregion
}

/** One attempt at one poem: the text and how many bytes it took. */
async function downloadPoem(
  address: Address,
  task: number,
  options: GetPoemsOptions,
): Promise<{ poem: string; bytes: number }> {
  const where = formatAddress(address);
  // #region connect
  // Not `await once(socket, 'connect')`: a failed connect rejects the receive promise below through
  // the same 'error' event, so a promise of its own would only be one more to settle per download.
  const connection = dial(address, options);
  const { socket } = connection;
  socket.once('connect', () => options.onEvent?.({ type: 'connected', task, address: where, at: performance.now() }));
  // #endregion
  try {
    // #region receive
    // The socket's 'data', 'end' and 'error' events as one promise rather than `for await (const
    // chunk of socket)`: the stream's async iterator wraps every read in a promise and watches the
    // stream with `finished()`, which measured about a sixth of the client's CPU time at 5,000
    // downloads of one chunk each, for nothing this loop needs.
    const decoder = new PoemDecoder(address);
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        options.onEvent?.({ type: 'chunk', task, address: where, bytes: chunk.length, at: performance.now() });
        try {
          decoder.push(chunk);
        } catch (error) {
          reject(error);
        }
      });
      socket.once('end', resolve);
      socket.once('error', reject);
    });
    // #endregion
    // #region finish
    return { poem: decoder.end(), bytes };
    // #endregion
  } catch (error) {
    // #region fail
    // A timeout or a cancel destroyed the socket with its own PoetryError, which passes through.
    throw toPoetryError(error, address);
    // #endregion
  } finally {
    hangUp(connection);
  }
}

// #region timeout
/** A socket `dial` opened, what may end it early, and whether its timeout did. */
interface Connection {
  readonly socket: net.Socket;
  readonly address: Address;
  readonly signal: AbortSignal | undefined;
  timer: LongTimeout | undefined;
  timedOut: boolean;
}

/**
 * Connects to `address`; the socket is destroyed with a `TIMEOUT` when `timeoutMs` passes and with
 * a `CANCELLED` when the caller aborts, whichever comes first. `hangUp` ends it either way.
 * Once the caller has aborted, it throws `CANCELLED` instead of connecting.
 *
 * Neither is an abort signal handed to `net.connect`. `AbortSignal.timeout` fires at once for a
 * delay beyond 2^31 - 1 ms (a `setLongTimeout` waits it out), and `net` adds an abort listener to
 * the signal it is given for each socket that Node 20 removes only on abort: thousands of downloads
 * under one signal piled up listeners, and the sockets they hold, and Node warned of a leak from
 * the 11th. Signals per download were also costly: built for every download, they once took a fifth
 * of the client's CPU time at 5,000 connections.
 */
function dial(address: Address, { timeoutMs, signal }: GetPoemsOptions): Connection {
  if (signal?.aborted) throw poetryErrors.cancelled(address);
  const socket = net.connect({ host: address.host, port: address.port });
  const connection: Connection = { socket, address, signal, timer: undefined, timedOut: false };
  if (timeoutMs !== undefined) connection.timer = setLongTimeout(() => expire(connection, timeoutMs), timeoutMs);
  if (signal) openUnder(signal).add(connection);
  return connection;
}

function expire(connection: Connection, timeoutMs: number): void {
  connection.timedOut = true;
  connection.socket.destroy(poetryErrors.timeout(connection.address, timeoutMs));
}

function hangUp(connection: Connection): void {
  connection.timer?.cancel();
  connection.socket.destroy();
  const { signal } = connection;
  const open = signal && underSignal.get(signal);
  if (!signal || !open) return;
  open.delete(connection);
  if (open.size > 0) return;
  underSignal.delete(signal);
  signal.removeEventListener('abort', cancelAll);
}
// #endregion

// #region cancel
/**
 * The connections open under each caller's signal, for the one listener on it that cancels them
 * all; a signal's entry (and its listener) goes when its last connection hangs up.
 */
const underSignal = new WeakMap<AbortSignal, Set<Connection>>();

function openUnder(signal: AbortSignal): Set<Connection> {
  let open = underSignal.get(signal);
  if (!open) {
    open = new Set();
    underSignal.set(signal, open);
    signal.addEventListener('abort', cancelAll, { once: true });
  }
  return open;
}

// Destroyed with an error, so a download waiting on 'end' or 'error' hears of it at once.
function cancelAll(this: AbortSignal): void {
  for (const { socket, address } of underSignal.get(this) ?? []) socket.destroy(poetryErrors.cancelled(address));
}
// #endregion

// #region transform
/**
 * The poem after the transform server, or the original with the reason when the transform fails.
 * A cancel is not a transform failure: it fails the whole task.
 */
async function transformPoem(
  poem: string,
  transform: TransformOptions,
  options: GetPoemsOptions,
): Promise<FetchedPoem> {
  const connection = dial(transform.address, options);
  const { socket } = connection;
  try {
    await once(socket, 'connect');
    const reply =
      transform.protocol === 'raw' ? await askRaw(socket, poem) : await askNetstring(socket, poem, transform);
    const decoder = new PoemDecoder(transform.address);
    decoder.push(reply);
    return { poem: decoder.end() };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const why = connection.timedOut
      ? poetryErrors.noReplyWithin(options.timeoutMs)
      : toPoetryError(error, transform.address).message;
    const transformError = poetryErrors.transformFailed(transform.address, why, error);
    return { poem, transformError };
  } finally {
    hangUp(connection);
  }
}

/** Netstring protocol: `<len>:<name>.<poem>,` out, one `<len>:<poem>,` back. */
async function askNetstring(socket: net.Socket, poem: string, transform: TransformOptions): Promise<Uint8Array> {
  socket.write(encodeNetstring(`${transform.name}.${poem}`));
  const replies = new NetstringDecoder();
  for await (const chunk of socket as AsyncIterable<Buffer>) {
    const [reply] = replies.push(chunk);
    if (reply) return reply;
  }
  throw new Error('the transform server closed without a reply');
}

/** Raw protocol: the poem, then a half-close; the answer is everything until the server closes. */
async function askRaw(socket: net.Socket, poem: string): Promise<Uint8Array> {
  socket.end(poem);
  const chunks: Buffer[] = [];
  for await (const chunk of socket as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
// #endregion

async function getPoems(addresses: readonly Address[], options: GetPoemsOptions = {}): Promise<PoemResult[]> {
  // #region limit
  // Without a limit each download starts at once: p-limit would still route every call through its
  // queue and three promises of its own, for nothing to wait for.
  const limit: <T>(start: () => Promise<T>) => Promise<T> =
    options.concurrency === undefined ? (start) => start() : pLimit(options.concurrency);
  // #endregion
  // #region collect
  const outcomes = await Promise.allSettled(
    addresses.map((address, index) => limit(() => fetchPoem(address, index + 1, options))),
  );
  return outcomes.map((outcome, index) => {
    const address = formatAddress(addresses[index] as Address);
    return outcome.status === 'fulfilled'
      ? { ok: true, address, ...outcome.value }
      : { ok: false, address, error: toPoetryError(outcome.reason, address) };
  });
  // #endregion
}

export const promisesModel: Model = {
  name: 'promises',
  title: 'Idiomatic modern Node: async/await, net sockets, Promise.allSettled',
  summary:
    'The baseline every other model is measured against. Each download is one async function: connect, ' +
    'await one promise over the socket’s data, end and error events, decode; a timeout and the caller’s ' +
    'cancel destroy the socket: a timer per download, and one listener on the caller’s `AbortSignal` for ' +
    'all the sockets open under it. Retries are a loop, the concurrency limit is p-limit, and `Promise.allSettled` ' +
    'collects the results in input order. Look at how little of the concurrency shows: the event loop is ' +
    'there, but `await` hides it.',
  clientFiles: ['baselines/promises.ts'],
  runtimeFiles: [],
  getPoems,
};
