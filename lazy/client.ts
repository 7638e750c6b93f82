/**
 * The `lazy` model: the poetry client as the series' second Haskell client would be written with
 * lazy async iterators. Read it top to bottom.
 *
 * A poem is `contents(address)`: it looks like the whole text, but is read only as it is asked for.
 * That is exactly the catch. A purely demand-driven client — "print poem 1, then poem 2, …" over
 * `contents` — reads server 2 only when poem 2's turn comes: the downloads run one after another,
 * and a server that serves one client at a time (`serial` in our slow server) holds up everyone
 * behind it. Laziness gives "as much as you need", not concurrency.
 *
 * The Haskell client gets its concurrency by forking a thread per server (`forkIO`) that forces its
 * download. Here `fork(source)` is that thread: every download starts at once and reads in the
 * background into its own buffer, whatever the printer is doing. The printer then walks the poems
 * in order: the first one line by line as its lines arrive, the others (by then read, or still
 * arriving) when their turn comes. The per-download policies are combinators wrapped around
 * `contents` — `timeout`, the slot of the concurrency limit, `cancelOn` — and stopping is just
 * closing the sequence, which hangs up the socket.
 *
 * `getPoems` (the contract's edge) is `lazyPoems` without the printer.
 */
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
import { cancelOn, concatMap, drop, fork, lines, map, take, timeout } from './combinators.ts';
import { type ContentsOptions, contents } from './contents.ts';
import { forEach, Lazy, type Puller, reduce, toArray } from './lazy.ts';

export interface LazyPoemsOptions extends GetPoemsOptions {
  /** Each line of each poem, in input order: the first poem's as they arrive, the rest in their turn. */
  readonly onLine?: (task: number, line: string) => void;
}

/** Every poem, one result per address in input order; never rejects. */
export async function lazyPoems(addresses: readonly Address[], options: LazyPoemsOptions = {}): Promise<PoemResult[]> {
  const limit = options.concurrency;
  const slots = limit !== undefined && Number.isFinite(limit) ? new Slots(limit) : undefined;
  const received = addresses.map((): Received => ({ bytes: 0 }));
  // forkIO: each first attempt starts reading now, in the background, while the loop below prints.
  const readers = addresses.map((address, index) =>
    fork(download(address, index + 1, slots, options, received[index]!)),
  );
  // #region collect
  const results: PoemResult[] = [];
  for (const [index, address] of addresses.entries()) {
    results.push(await takePoem(address, index + 1, readers[index]!, slots, options, received[index]!));
  }
  return results;
  // #endregion
}

/**
 * The bytes the current attempt at a poem has read, for its `done` event. Counted from the socket's
 * chunks as they pass: measuring the decoded text afterwards costs about as much as decoding it.
 */
interface Received {
  bytes: number;
}

/** One attempt at one poem, as lazy text: the policies are layers around `contents`. */
function download(
  address: Address,
  task: number,
  slots: Slots | undefined,
  options: GetPoemsOptions,
  received: Received,
): Lazy<string> {
  // #region connect
  // Nothing connects yet: `contents` connects on the first pull, which `fork` makes at once.
  const poem = contents(address, options.onEvent && progress(address, task, options.onEvent, received));
  // #endregion
  // The deadline sits inside the slot, so waiting for a slot does not count; a cancel reaches a waiter too.
  return cancellable(address, limited(slots, withDeadline(address, poem, options)), options);
}

/**
 * The progress callbacks of one attempt. Only made when someone listens: over thousands of
 * downloads, unheard events (and their closures) are pure cost.
 */
function progress(
  address: Address,
  task: number,
  emit: (event: PoetryEvent) => void,
  received: Received,
): Pick<ContentsOptions, 'onConnected' | 'onBytes'> {
  const where = formatAddress(address);
  return {
    onConnected: () => emit({ type: 'connected', task, address: where, at: performance.now() }),
    onBytes: (bytes) => {
      received.bytes += bytes;
      emit({ type: 'chunk', task, address: where, bytes, at: performance.now() });
    },
  };
}

// #region timeout
/** Fails the attempt with `TIMEOUT` if it has not ended `timeoutMs` after its first pull; closing hangs up. */
function withDeadline<T>(address: Address, source: Lazy<T>, { timeoutMs }: GetPoemsOptions): Lazy<T> {
  if (timeoutMs === undefined) return source;
  return timeout(timeoutMs, source, () => poetryErrors.timeout(address, timeoutMs));
}
// #endregion

// #region cancel
/** Stops with `CANCELLED` when the caller aborts: the pending read rejects at once and the socket closes. */
function cancellable<T>(address: Address, source: Lazy<T>, { signal }: GetPoemsOptions): Lazy<T> {
  if (!signal) return source;
  return cancelOn(signal, source, () => poetryErrors.cancelled(address));
}
// #endregion

/**
 * Reads one poem to the end — from the forked first attempt, then from fresh attempts if it fails —
 * handing each line to `onLine` as it passes, and ends the task with its one `done` or `failed`.
 */
async function takePoem(
  address: Address,
  task: number,
  firstAttempt: Lazy<string>,
  slots: Slots | undefined,
  options: LazyPoemsOptions,
  received: Received,
): Promise<PoemResult> {
  const where = formatAddress(address);
  const emit = options.onEvent;
  // Lines already printed stay printed: a retry reads the poem again from the start and skips them.
  let printed = 0;
  for (let attempt = 0; ; attempt++) {
    // #region limit
    // A retry starts when the poem's turn comes; only first attempts run ahead in the background.
    if (attempt > 0) received.bytes = 0;
    const reader = attempt === 0 ? firstAttempt : fork(download(address, task, slots, options, received));
    // #endregion
    try {
      // #region receive
      // The printer does not await between lines, so `forEach` walks each chunk's lines in one go
      // (one promise per chunk, not per line). With nobody printing, the poem is only its text:
      // the chunks are folded together and never split into lines.
      let poem = '';
      const onLine = options.onLine;
      if (onLine) {
        const keep = (chunk: string) => {
          poem += chunk;
          return chunk;
        };
        await forEach(
          (line: string) => {
            onLine(task, line);
            printed += 1;
          },
          drop(printed, lines(map(keep, reader))),
        );
      } else {
        poem = await reduce(append, '', reader);
      }
      // #endregion
      // #region finish
      // A poem read in the background but not yet handed over when the caller aborts is cancelled too.
      if (options.signal?.aborted) throw poetryErrors.cancelled(address);
      const result: PoemResult = options.transform
        ? { ok: true, address: where, ...(await transformPoem(poem, options.transform, options)) }
        : { ok: true, address: where, poem };
      emit?.({ type: 'done', task, address: where, bytes: received.bytes, at: performance.now() });
      return result;
      // #endregion
    } catch (error) {
      // #region fail
      const failure = options.signal?.aborted ? poetryErrors.cancelled(address) : toPoetryError(error, address);
      if (failure.code === 'CANCELLED' || attempt >= (options.retries ?? 0)) {
        emit?.({ type: 'failed', task, address: where, error: failure, at: performance.now() });
        return { ok: false, address: where, error: failure };
      }
      // #endregion
    }
  }
}

function append(text: string, chunk: string): string {
  return text + chunk;
}

// #region transform
/**
 * The poem after the transform server, or the original with the reason when that fails (a cancel
 * is not a transform failure: it fails the task). The reply is lazy bytes, like a poem; in netstring
 * mode only the first netstring is read, and taking it hangs up.
 */
async function transformPoem(
  poem: string,
  transform: TransformOptions,
  options: GetPoemsOptions,
): Promise<{ poem: string; transformError?: PoetryError }> {
  const raw = transform.protocol === 'raw';
  const request = raw ? poem : encodeNetstring(`${transform.name}.${poem}`);
  const reply = cancellable(
    transform.address,
    withDeadline(
      transform.address,
      contents(transform.address, { send: request, halfClose: raw, decode: false }),
      options,
    ),
    options,
  );
  try {
    const bytes = raw ? Buffer.concat(await toArray(reply)) : await firstNetstring(reply);
    const decoder = new PoemDecoder(transform.address);
    decoder.push(bytes);
    return { poem: decoder.end() };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const why = toPoetryError(error, transform.address).message;
    const transformError = poetryErrors.transformFailed(transform.address, why, error);
    return { poem, transformError };
  }
}

async function firstNetstring(bytes: Lazy<Buffer>): Promise<Buffer> {
  const decoder = new NetstringDecoder();
  for await (const payload of take(
    1,
    concatMap((chunk) => decoder.push(chunk), bytes),
  ))
    return payload;
  throw new Error('the transform server closed without a reply');
}
// #endregion

// #region limit
/** At most `size` downloads hold a slot at once; the rest wait, first come first served. */
class Slots {
  #free: number;
  readonly #queue: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  /** Resolves when a slot is ours; `abandon` takes back a request that no longer wants one. */
  acquire(): { granted: Promise<void>; abandon: () => void } {
    if (this.#free > 0) {
      this.#free -= 1;
      return { granted: Promise.resolve(), abandon: () => {} };
    }
    let grant = () => {};
    const granted = new Promise<void>((resolve) => (grant = resolve));
    this.#queue.push(grant);
    return {
      granted,
      abandon: () => {
        const at = this.#queue.indexOf(grant);
        if (at !== -1) this.#queue.splice(at, 1);
      },
    };
  }

  release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#free += 1;
  }
}

/**
 * `source`, opened only once a slot is free (the wait is inside its first pull), holding it until it
 * ends, fails or is closed. Without a limit there is nothing to wait for, and no layer.
 */
function limited<T>(slots: Slots | undefined, source: Lazy<T>): Lazy<T> {
  if (!slots) return source;
  return new Lazy(() => {
    let inner: Puller<T> | undefined;
    let request: ReturnType<Slots['acquire']> | undefined;
    let holding = false;
    let closed = false;
    const release = () => {
      if (!holding) return;
      holding = false;
      slots.release();
    };
    return {
      async pull() {
        if (!inner) {
          request ??= slots.acquire();
          await request.granted;
          if (closed) return undefined;
          holding = true;
          inner = source.open();
        }
        try {
          const run = await inner.pull();
          if (!run) release();
          return run;
        } catch (error) {
          release();
          throw error;
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        if (!holding) request?.abandon();
        await inner?.close();
        release();
      },
    };
  });
}
// #endregion

export const lazyModel: Model = {
  name: 'lazy',
  title: 'Lazy async iterators: hGetContents, demand-driven reading, a forked reader per server',
  summary:
    'A poem is `contents(address)`, an async iterable that connects on the first pull and reads the socket ' +
    'only when pulled, so a consumer that stops pulling stalls the server through TCP backpressure. ' +
    'Combinators (`lines`, `map`, `take`, `merge`, `timeout`, …) stay lazy and pass a stop back to the socket. ' +
    'Look for the catch the Haskell series shows: demand-driven reading alone would read the servers one ' +
    'after another; the concurrency comes from `fork`, a background reader per server like `forkIO`.',
  clientFiles: ['lazy/client.ts'],
  runtimeFiles: ['lazy/combinators.ts', 'lazy/contents.ts', 'lazy/lazy.ts'],
  getPoems: (addresses, options) => lazyPoems(addresses, options),
};
