/**
 * The `promises` model: the poetry client as a TypeScript programmer would write it today, with
 * nothing but Node's `net`, async/await, `AbortSignal` and a concurrency limiter. It is the
 * yardstick the five models are read against: every part of the client is a few lines of
 * straight-line code, and the event loop's concurrency is entirely hidden behind `await`.
 *
 * One download is an async function that connects and awaits one promise over the socket's events,
 * decoding each chunk as it comes; the timeout and the caller's cancel are abort signals (merged
 * into one when both are set), which `net` honours by destroying the socket. `fetchPoem` wraps a
 * download in the retry loop, the transform and the done/failed event; the `blocking` baseline
 * reuses it one address at a time.
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
  const { socket, deadline } = dial(address, options);
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
    if (deadline?.aborted) throw poetryErrors.timeout(address, options.timeoutMs as number);
    throw toPoetryError(error, address);
    // #endregion
  } finally {
    socket.destroy();
  }
}

// #region timeout
/**
 * Starts a connection that `net` destroys when `timeoutMs` passes or the caller aborts, whichever
 * comes first; `deadline` tells the caller afterwards whether it was the timeout.
 *
 * Signals are made only when there is something to stop for, and merged only when there are two:
 * each one is an `EventTarget` whose listener `net` must add and remove, and Node 20's
 * `AbortSignal.any` also tracks its sources with weak references the garbage collector has to
 * process. Built for every download even with neither option set, they took a fifth of the
 * client's CPU time at 5,000 connections.
 */
function dial(
  address: Address,
  { timeoutMs, signal }: GetPoemsOptions,
): { socket: net.Socket; deadline?: AbortSignal } {
  const deadline = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  const stop = signal && deadline ? AbortSignal.any([signal, deadline]) : (signal ?? deadline);
  return { socket: net.connect({ host: address.host, port: address.port, signal: stop }), deadline };
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
  const { socket, deadline } = dial(transform.address, options);
  try {
    await once(socket, 'connect');
    const reply =
      transform.protocol === 'raw' ? await askRaw(socket, poem) : await askNetstring(socket, poem, transform);
    const decoder = new PoemDecoder(transform.address);
    decoder.push(reply);
    return { poem: decoder.end() };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const why = deadline?.aborted
      ? `no reply within ${options.timeoutMs} ms`
      : toPoetryError(error, transform.address).message;
    const transformError = poetryErrors.transformFailed(transform.address, why, error);
    return { poem, transformError };
  } finally {
    socket.destroy();
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
  title: 'Idiomatic modern Node: async/await, AbortSignal, Promise.allSettled',
  summary:
    'The baseline every other model is measured against. Each download is one async function: connect, ' +
    'await one promise over the socket’s data, end and error events, decode; a timeout and the caller’s ' +
    'cancel are abort signals, merged with `AbortSignal.any` when both are set, which `net` honours by ' +
    'destroying the socket. Retries are a loop, the concurrency limit is p-limit, and `Promise.allSettled` ' +
    'collects the results in input order. Look at how little of the concurrency shows: the event loop is ' +
    'there, but `await` hides it.',
  files: ['baselines/promises.ts'],
  getPoems,
};
