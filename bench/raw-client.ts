/**
 * The raw baseline: the leanest plain `net` client that still gets the bench's job right, and the
 * yardstick every model's time is divided by. It is written for the machine, not for the reader —
 * the models are what this project asks people to read — so it spends nothing it does not need:
 *
 * - one socket per address and nothing around it: each download *is* its socket (`Download` extends
 *   `net.Socket`), and its listeners are methods shared by every download, which the socket calls
 *   with itself as `this`, so no closure is made per connection;
 * - a poem's chunks are kept in an array and decoded once, at the end, with one fatal UTF-8 decode;
 *   only a poem that grows past `streamPastBytes` is decoded as it comes (`PoemDecoder`);
 * - no `destroy()` for a socket that is closing anyway (after the server's FIN, or an error), only
 *   for one it gives up on (timeout, cancel, a big poem that is not UTF-8);
 * - no progress events at all unless `onEvent` is given.
 *
 * What it must still do, so that every model's row is a ratio to a client that does the same job:
 * the contract's typed errors (refused, reset, timeout, bad UTF-8, cancelled), results in input order,
 * the per-attempt timeout (also beyond setTimeout's 2^31 − 1 ms, through `setLongTimeout`), the
 * concurrency limit, cancel through the caller's signal, leaving nothing open, and the CPU step when
 * asked (the `cpu` scenario), right as each poem ends. Retries and the transform are not part of what
 * the bench asks of it, and it ignores them.
 */
import { addAbortListener } from 'node:events';
import net from 'node:net';
import { type AnalyseOptions, analysePoem } from '../poetry/analyse.ts';
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
  type PoetryEvent,
} from '../poetry/contract.ts';
import { PoemDecoder } from '../poetry/decode.ts';
import { poetryErrors, toPoetryError } from '../poetry/errors.ts';
import { type LongTimeout, setLongTimeout } from '../poetry/long-timeout.ts';

/**
 * A poem is collected while it is at most this many bytes, and decoded as it comes once it passes.
 * One decode at the end blocks the event loop for as long as it takes, and the chunks and their copy
 * are held beside the text: on this project's generated verse (dense with 2- to 4-byte characters),
 * one decode of 1 MB takes about 5 ms on the bench machine (4 MB about 15 ms, 100 MB over half a
 * second), while the shortest slow-server tick the bench uses is 20 ms. At 1 MB, the worst a decode
 * at the end can do is a quarter of a tick late and 2 MB more memory for one poem; every short poem
 * (the many-* scenarios' 3,003 bytes) pays no streaming decoder at all, and a long poem's streaming
 * costs no more than one decode of it.
 */
export const streamPastBytes = 1024 * 1024;

/** One decoder for every poem decoded whole: without `stream`, a decode keeps no state between calls. */
const wholePoem = new TextDecoder('utf-8', { fatal: true });

/** The poem in `chunks` (`bytes` in all), decoded once; a `BAD_ENCODING` `PoetryError` if it is not UTF-8. */
function decodeWhole(chunks: readonly Buffer[], bytes: number, where: string): string {
  const poem = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
  try {
    return wholePoem.decode(poem);
  } catch {
    // Rare, so the shared decoder finds and words the error, exactly as every model reports it.
    const decoder = new PoemDecoder(where);
    decoder.push(poem);
    return decoder.end();
  }
}

/** One `getPoems` call: starts downloads up to the limit, collects results in input order, cancels. */
class Run {
  readonly onEvent: ((event: PoetryEvent) => void) | undefined;
  readonly timeoutMs: number | undefined;
  readonly analyse: AnalyseOptions | undefined;
  readonly #addresses: readonly Address[];
  readonly #signal: AbortSignal | undefined;
  readonly #results: PoemResult[];
  /** The downloads in flight by input index, the only ones a cancel has to reach; cleared as each ends. */
  readonly #inFlight: (Download | undefined)[];
  readonly #resolve: (results: PoemResult[]) => void;
  readonly #listening: Disposable | undefined;
  #started = 0;
  #finished = 0;

  constructor(addresses: readonly Address[], options: GetPoemsOptions, resolve: (results: PoemResult[]) => void) {
    this.onEvent = options.onEvent;
    this.timeoutMs = options.timeoutMs;
    this.analyse = options.analyse;
    this.#addresses = addresses;
    this.#signal = options.signal;
    this.#results = new Array<PoemResult>(addresses.length);
    this.#inFlight = new Array<Download | undefined>(addresses.length);
    this.#resolve = resolve;
    if (addresses.length === 0) {
      resolve(this.#results);
      return;
    }
    // Already aborted: every poem is cancelled and nothing is connected.
    if (this.#signal?.aborted) {
      this.#cancel();
      return;
    }
    // One listener for the whole call, not one per download.
    this.#listening = this.#signal && addAbortListener(this.#signal, () => this.#cancel());
    const limit = Math.min(options.concurrency ?? addresses.length, addresses.length);
    while (this.#started < limit) this.#startNext();
  }

  /** Download `index` ended with `result`; the next waiting one starts, unless the caller cancelled. */
  settle(index: number, result: PoemResult): void {
    this.#results[index] = result;
    this.#inFlight[index] = undefined;
    if (!result.ok) {
      this.onEvent?.({
        type: 'failed',
        task: index + 1,
        address: result.address,
        error: result.error,
        at: performance.now(),
      });
    }
    this.#finished += 1;
    if (this.#finished === this.#results.length) {
      this.#listening?.[Symbol.dispose]();
      this.#resolve(this.#results);
    } else if (this.#started < this.#results.length && this.#signal?.aborted !== true) {
      this.#startNext();
    }
  }

  #startNext(): void {
    const index = this.#started++;
    const address = this.#addresses[index]!;
    try {
      this.#inFlight[index] = new Download(this, index, address);
    } catch (error) {
      // `getPoems` never rejects: an address `net` will not even try is that poem's typed error.
      this.settle(index, { ok: false, address: formatAddress(address), error: toPoetryError(error, address) });
    }
  }

  /** Ends every download in flight and every one not started yet with `CANCELLED`. */
  #cancel(): void {
    for (let index = 0; index < this.#started; index++) this.#inFlight[index]?.cancel();
    while (this.#started < this.#results.length) {
      const index = this.#started++;
      const address = this.#addresses[index]!;
      this.settle(index, { ok: false, address: formatAddress(address), error: poetryErrors.cancelled(address) });
    }
  }
}

/**
 * One download, as its socket. The listeners are private methods, one function each for all
 * downloads; the socket calls them with itself, the download, as `this`. Only the `error` listener
 * can run after the download has settled (an `end` is followed by an error while the socket closes),
 * so only it checks.
 */
class Download extends net.Socket {
  readonly #run: Run;
  readonly #index: number;
  readonly #where: string;
  readonly #timer: LongTimeout<Download> | undefined;
  #chunks: Buffer[] = [];
  #bytes = 0;
  /** Set once the poem has passed `streamPastBytes`: from then on it is decoded as it comes. */
  #decoder: PoemDecoder | undefined;
  #settled = false;

  constructor(run: Run, index: number, address: Address) {
    super();
    this.#run = run;
    this.#index = index;
    this.#where = formatAddress(address);
    this.on('data', this.#onData);
    this.on('end', this.#onEnd);
    this.on('error', this.#onError);
    if (run.onEvent) this.once('connect', this.#onConnect);
    // Connect first: an address `net` refuses at once (a port out of range) throws here, before a
    // timer exists that would be left behind; the handle `net` made for it is closed.
    try {
      this.connect(address.port, address.host);
    } catch (error) {
      this.destroy();
      throw error;
    }
    this.#timer =
      run.timeoutMs === undefined ? undefined : setLongTimeout<Download>(Download.#timedOut, run.timeoutMs, this);
  }

  /** The caller cancelled: hang up now. */
  cancel(): void {
    this.destroy();
    this.#fail(poetryErrors.cancelled(this.#where));
  }

  static #timedOut(download: Download): void {
    download.destroy();
    download.#fail(poetryErrors.timeout(download.#where, download.#run.timeoutMs!));
  }

  #onConnect(): void {
    this.#run.onEvent?.({ type: 'connected', task: this.#index + 1, address: this.#where, at: performance.now() });
  }

  #onData(chunk: Buffer): void {
    this.#bytes += chunk.byteLength;
    this.#run.onEvent?.({
      type: 'chunk',
      task: this.#index + 1,
      address: this.#where,
      bytes: chunk.byteLength,
      at: performance.now(),
    });
    if (this.#decoder === undefined && this.#bytes <= streamPastBytes) {
      this.#chunks.push(chunk);
      return;
    }
    try {
      if (this.#decoder === undefined) {
        this.#decoder = new PoemDecoder(this.#where);
        for (const held of this.#chunks) this.#decoder.push(held);
        this.#chunks = [];
      }
      this.#decoder.push(chunk);
    } catch (error) {
      // A big poem that is not UTF-8: the rest is not worth reading.
      this.destroy();
      this.#fail(error);
    }
  }

  /** The server closed: the poem is what came. The socket closes itself; nothing to destroy. */
  #onEnd(): void {
    let poem: string;
    try {
      poem = this.#decoder === undefined ? decodeWhole(this.#chunks, this.#bytes, this.#where) : this.#decoder.end();
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#run.onEvent?.({
      type: 'done',
      task: this.#index + 1,
      address: this.#where,
      bytes: this.#bytes,
      at: performance.now(),
    });
    const { analyse } = this.#run;
    this.#settle(
      analyse
        ? { ok: true, address: this.#where, poem, analysis: analysePoem(poem, analyse.rounds) }
        : { ok: true, address: this.#where, poem },
    );
  }

  /** The socket is already destroyed when it reports an error. */
  #onError(error: Error): void {
    if (!this.#settled) this.#fail(error);
  }

  #fail(error: unknown): void {
    this.#settle({ ok: false, address: this.#where, error: toPoetryError(error, this.#where) });
  }

  #settle(result: PoemResult): void {
    this.#settled = true;
    this.#timer?.cancel();
    this.#run.settle(this.#index, result);
  }
}

export const rawClient: Model = {
  name: 'raw',
  title: 'Raw Node net client (baseline)',
  summary:
    'Plain net sockets, each download its own socket with shared listeners, chunks decoded once at the end: ' +
    'the leanest client that does the job right, the practical limit for Node. Every model is reported as a ratio to it.',
  clientFiles: ['bench/raw-client.ts'],
  runtimeFiles: [],
  getPoems(addresses, options = {}) {
    return new Promise((resolve) => new Run(addresses, options, resolve));
  },
};
