/**
 * One attempt at one poem, written as Node's documentation teaches it today: `net.connect`,
 * `events.once` for the connect, `for await` over the socket (but for one measured bend: see
 * `eachChunk`), and an `AbortSignal` per connection that joins the caller's signal with a timeout
 * (`AbortSignal.any`). Both baselines run it — the `promises` model many at once, the `blocking`
 * model one after another — so it is neither's client: each shows the parts it takes from here as
 * `#uses` pointers and writes its own limit, retry, collection and the wiring of the caller's cancel.
 */
import { addAbortListener, once } from 'node:events';
import net from 'node:net';
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type PoetryError,
  type PoetryEvent,
  type TransformOptions,
} from '../poetry/contract.ts';
import { PoemDecoder } from '../poetry/decode.ts';
import { poetryErrors, toPoetryError } from '../poetry/errors.ts';
import { timeoutSignal } from '../poetry/long-timeout.ts';
import { encodeNetstring, NetstringDecoder } from '../poetry/netstring.ts';

/** A poem as one task ends it: the text, plus why the transform was skipped if it was. */
export interface FetchedPoem {
  readonly poem: string;
  readonly transformError?: PoetryError;
}

/** What one download needs of the caller's options; a whole `GetPoemsOptions` fits too. */
export type DownloadOptions = Pick<GetPoemsOptions, 'timeoutMs' | 'signal' | 'transform' | 'onEvent'>;

/**
 * One attempt at the poem at `address` for task `task`: the download, then the transform if one is
 * asked for. It emits `connected` and `chunk` as they happen and `done` once the poem is in hand.
 * It rejects with a `PoetryError` — `CANCELLED` whatever broke once the caller's signal aborted —
 * and emits nothing for a failure: whether this failure is the task's last, and so whether to send
 * `failed`, is for the caller's retries to say. A caller who has already aborted connects nowhere.
 */
export async function fetchPoem(
  address: Address,
  task: number,
  { timeoutMs, signal, transform, onEvent }: DownloadOptions,
): Promise<FetchedPoem> {
  const bounds = { timeoutMs, signal };
  const { poem, bytes } = await downloadPoem(address, task, bounds, onEvent);
  const fetched = transform ? await transformPoem(poem, transform, bounds) : { poem };
  onEvent?.({ type: 'done', task, address: formatAddress(address), bytes, at: performance.now() });
  return fetched;
}

/** What may end one connection early: the caller's cancel, and the timeout each connection gets. */
interface Bounds {
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/** The poem's text and how many bytes it took; a decoder error or a broken socket rejects. */
async function downloadPoem(
  address: Address,
  task: number,
  bounds: Bounds,
  onEvent: ((event: PoetryEvent) => void) | undefined,
): Promise<{ poem: string; bytes: number }> {
  const where = formatAddress(address);
  const connection = new Connection(address, bounds);
  try {
    const socket = await connection.open();
    onEvent?.({ type: 'connected', task, address: where, at: performance.now() });
    const decoder = new PoemDecoder(address);
    let bytes = 0;
    // Speed: `eachChunk`, not `for await (const chunk of socket)`; see eachChunk and the Cost section.
    await eachChunk(socket, (chunk) => {
      bytes += chunk.length;
      onEvent?.({ type: 'chunk', task, address: where, bytes: chunk.length, at: performance.now() });
      decoder.push(chunk);
    });
    // The server closed: the poem is what came, if the decoder has nothing left half-read.
    return { poem: decoder.end(), bytes };
  } catch (error) {
    throw connection.failure(error);
  } finally {
    connection.close();
  }
}

/**
 * `for await (const chunk of socket) onChunk(chunk)`, as one promise over the socket's 'data', 'end'
 * and 'error' events: it resolves when the server closes and rejects on a socket error or when
 * `onChunk` throws. The stream's async iterator wraps every read in a promise of its own and
 * watches the stream with `finished()`; at 5,000 one-chunk downloads (many-fast, two same-run
 * measurements on a loaded machine) this made the promises baseline 1.14× and 1.29× the raw client
 * against 1.32× and 1.37× with `for await`: worth more than 5%, so the bend stays, as one line in
 * the download (baselines/promises/README.md, Cost). The transform keeps `for await`: one per poem
 * at most, and only when a transform is asked for.
 */
function eachChunk(socket: net.Socket, onChunk: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      try {
        onChunk(chunk);
      } catch (error) {
        reject(error);
      }
    });
    socket.once('end', resolve);
    socket.once('error', reject);
  });
}

/**
 * A connection that the caller's cancel or its own timeout ends, whichever comes first: the socket
 * is destroyed with the signal's reason, so whatever awaits it hears at once, and `failure` says
 * which it was. `close` hangs up and stops listening, however the connection ended.
 *
 * The two signals are joined by `AbortSignal.any`, one signal per connection. On Node 20 that adds
 * no listener to the caller's signal (counted with `events.getEventListeners` over 20 joined
 * signals: none), so thousands of downloads under one signal raise no MaxListenersExceededWarning.
 * The joined signal is not handed to `net.connect`: the abort listener `net` adds stays after the
 * socket closes (Node 20), and a joined signal with a listener is kept alive with its socket until
 * it aborts — for a caller who never aborts, every socket ever opened. `addAbortListener` gives a
 * listener that `close` removes. The timeout is `timeoutSignal`, as `AbortSignal.timeout` is but
 * honouring delays beyond 2^31 − 1 ms, which `AbortSignal.timeout` fires after 1 ms.
 */
class Connection {
  readonly #address: Address;
  readonly #cancel: AbortSignal | undefined;
  readonly #timeout: { readonly ms: number; readonly signal: AbortSignal } | undefined;
  /** The caller's signal and the timeout joined; none when neither was given. */
  readonly #ends: AbortSignal | undefined;
  #socket: net.Socket | undefined;
  #listening: Disposable | undefined;

  constructor(address: Address, { timeoutMs, signal }: Bounds) {
    this.#address = address;
    this.#cancel = signal;
    this.#timeout = timeoutMs === undefined ? undefined : { ms: timeoutMs, signal: timeoutSignal(timeoutMs) };
    const sources = [signal, this.#timeout?.signal].filter((source) => source !== undefined);
    this.#ends = sources.length > 0 ? AbortSignal.any(sources) : undefined;
  }

  /**
   * The socket, once connected. A caller who has already aborted gets no socket at all: an abort
   * listener added to an aborted signal runs as a microtask, and when `open` is called from a
   * macrotask, `net.connect`'s next-tick connect comes first and reaches the server.
   */
  async open(): Promise<net.Socket> {
    this.#cancel?.throwIfAborted();
    const socket = net.connect({ host: this.#address.host, port: this.#address.port });
    this.#socket = socket;
    const ends = this.#ends;
    if (ends) this.#listening = addAbortListener(ends, () => socket.destroy(ends.reason));
    await once(socket, 'connect');
    return socket;
  }

  /** Whether the timeout ended the connection (and not the caller's cancel). */
  get timedOut(): boolean {
    return this.#timeout?.signal.aborted === true && this.#cancel?.aborted !== true;
  }

  /** The contract's error for `error`: `CANCELLED` once the caller aborted, `TIMEOUT` once the timeout did. */
  failure(error: unknown): PoetryError {
    if (this.#cancel?.aborted) return poetryErrors.cancelled(this.#address);
    if (this.#timeout?.signal.aborted) return poetryErrors.timeout(this.#address, this.#timeout.ms);
    return toPoetryError(error, this.#address);
  }

  close(): void {
    this.#listening?.[Symbol.dispose]();
    this.#socket?.destroy();
  }
}

/**
 * The poem after the transform server, or the original with the reason when the transform fails.
 * The transform gets a connection of its own, with its own timeout. A cancel is not a transform
 * failure: it fails the whole task.
 */
async function transformPoem(poem: string, transform: TransformOptions, bounds: Bounds): Promise<FetchedPoem> {
  const connection = new Connection(transform.address, bounds);
  try {
    const socket = await connection.open();
    const reply =
      transform.protocol === 'raw' ? await askRaw(socket, poem) : await askNetstring(socket, poem, transform.name);
    const decoder = new PoemDecoder(transform.address);
    decoder.push(reply);
    return { poem: decoder.end() };
  } catch (error) {
    const failure = connection.failure(error);
    if (failure.code === 'CANCELLED') throw failure;
    const why = connection.timedOut ? poetryErrors.noReplyWithin(bounds.timeoutMs) : failure.message;
    return { poem, transformError: poetryErrors.transformFailed(transform.address, why, error) };
  } finally {
    connection.close();
  }
}

/** Netstring protocol: `<len>:<name>.<poem>,` out, one `<len>:<poem>,` back. */
async function askNetstring(socket: net.Socket, poem: string, name: string): Promise<Uint8Array> {
  socket.write(encodeNetstring(`${name}.${poem}`));
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
