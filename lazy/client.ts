/**
 * The `lazy` model: the series' Haskell client — `mapM getPoem addresses`, a thread forked per
 * server — written with lazy async iterators. Read it top to bottom: `getPoem` is one download, a
 * pipeline from `contents(address)` to the poem, and `getPoems` maps it over the addresses.
 *
 * `contents(address)`, the `hGetContents` of this world, looks like the whole poem but reads only as
 * it is asked for. That is the catch the Haskell series shows: a client that prints poem 1 from
 * `contents`, then poem 2, … reads server 2 only when poem 2's turn comes, so the downloads run one
 * after another. Laziness gives "as much as you need", not concurrency. The Haskell client forks a
 * thread per server (`forkIO`) to force its poem; here `mapConcurrent` is that fork, with a bound:
 * it runs `getPoem` for up to `concurrency` addresses at once, each reading its poem to the end, and
 * hands the results back in input order. The per-download policies — the deadline, the caller's
 * cancel — are combinators wrapped around `contents`, and closing the sequence hangs up the socket.
 */

import { type AnalyseOptions, analysePoem } from '../poetry/analyse.ts';
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemRequest,
  type PoemResult,
  type PoetryError,
  type PoetryEvent,
  type TransformOptions,
} from '../poetry/contract.ts';
import { PoemDecoder } from '../poetry/decode.ts';
import { poetryErrors, toPoetryError } from '../poetry/errors.ts';
import { encodeNetstring, NetstringDecoder } from '../poetry/netstring.ts';
import { cancelOn, concatMap, mapConcurrent, take, timeout } from './combinators.ts';
import { type ContentsOptions, contents } from './contents.ts';
import { type Lazy, toArray } from './lazy.ts';

/** What every lazy text of one `getPoems` call is read through: the deadline inside, the caller's cancel outside. */
type Guard = <T>(address: Address, text: Lazy<T>) => Lazy<T>;

/** What `getPoem` needs, unpacked from the options once by `getPoems`. */
interface PoemPolicy {
  readonly guard: Guard;
  readonly retries: number;
  readonly signal: AbortSignal | undefined;
  readonly transform: TransformOptions | undefined;
  readonly onEvent: ((event: PoetryEvent) => void) | undefined;
  readonly analyse: AnalyseOptions | undefined;
}

/** One poem, start to end: its download (tried again after a failure), then the transform. Never rejects. */
async function getPoem(address: Address, task: number, policy: PoemPolicy): Promise<PoemResult> {
  const where = formatAddress(address);
  const emit = policy.onEvent;
  try {
    // #region retry
    const { poem, bytes } = await withRetries(policy.retries, policy.signal, () =>
      download(address, task, policy.guard, emit),
    );
    // #endregion
    // #region finish
    const result: PoemResult = policy.transform
      ? { ok: true, address: where, ...(await transformPoem(poem, policy.transform, policy.guard, policy.signal)) }
      : { ok: true, address: where, poem };
    emit?.({ type: 'done', task, address: where, bytes, at: performance.now() });
    // #region analyse
    // Run once the whole poem has been forced, inside this poem's place under the limit.
    const { analyse } = policy;
    return analyse && result.ok ? { ...result, analysis: analysePoem(result.poem, analyse.rounds) } : result;
    // #endregion
    // #endregion
  } catch (error) {
    // #region fail
    const failure = policy.signal?.aborted ? poetryErrors.cancelled(address) : toPoetryError(error, address);
    emit?.({ type: 'failed', task, address: where, error: failure, at: performance.now() });
    return { ok: false, address: where, error: failure };
    // #endregion
  }
}

/** One attempt: the lazy text of `address`, read through the policies to its end. */
async function download(
  address: Address,
  task: number,
  guard: Guard,
  emit: ((event: PoetryEvent) => void) | undefined,
): Promise<{ poem: string; bytes: number }> {
  const received = { bytes: 0 };
  // #region connect
  // Nothing connects yet: `contents` connects on the first pull, which the loop below makes.
  const text = contents(address, emit && progress(address, task, emit, received));
  // #endregion
  // #region receive
  let poem = '';
  for await (const chunk of guard(address, text)) poem += chunk;
  // #endregion
  return { poem, bytes: received.bytes };
}

/**
 * The progress callbacks of one attempt, counting its bytes for the `done` event as the socket's
 * chunks pass. Only made when someone listens: over thousands of downloads, unheard events cost.
 */
function progress(
  address: Address,
  task: number,
  emit: (event: PoetryEvent) => void,
  received: { bytes: number },
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
function withDeadline<T>(address: Address, timeoutMs: number | undefined, text: Lazy<T>): Lazy<T> {
  if (timeoutMs === undefined) return text;
  return timeout(timeoutMs, text, () => poetryErrors.timeout(address, timeoutMs));
}
// #endregion

// #region cancel
/** Stops with `CANCELLED` when the caller aborts: the pending read rejects at once and the socket closes. */
function cancellable<T>(address: Address, signal: AbortSignal | undefined, text: Lazy<T>): Lazy<T> {
  if (!signal) return text;
  return cancelOn(signal, text, () => poetryErrors.cancelled(address));
}
// #endregion

// #region transform
/**
 * The poem after the transform server, or the original with the reason when that fails (a cancel
 * is not a transform failure: it fails the task). The reply is lazy bytes, like a poem; in netstring
 * mode only the first netstring is read, and taking it hangs up.
 */
async function transformPoem(
  poem: string,
  transform: TransformOptions,
  guard: Guard,
  signal: AbortSignal | undefined,
): Promise<{ poem: string; transformError?: PoetryError }> {
  const raw = transform.protocol === 'raw';
  const request = raw ? poem : encodeNetstring(`${transform.name}.${poem}`);
  const reply = guard(transform.address, contents(transform.address, { send: request, halfClose: raw, decode: false }));
  try {
    const bytes = raw ? Buffer.concat(await toArray(reply)) : await firstNetstring(reply);
    const decoder = new PoemDecoder(transform.address);
    decoder.push(bytes);
    return { poem: decoder.end() };
  } catch (error) {
    if (signal?.aborted) throw error;
    const why = toPoetryError(error, transform.address).message;
    return { poem, transformError: poetryErrors.transformFailed(transform.address, why, error) };
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

// #region retry
/** `attempt` again after a failure, up to `retries` more times; a cancelled attempt is not tried again. */
async function withRetries<T>(retries: number, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
  for (let left = retries; ; left -= 1) {
    try {
      return await attempt();
    } catch (error) {
      if (left <= 0 || signal?.aborted) throw error;
    }
  }
}
// #endregion

/** `mapM getPoem addresses`: every poem, one result per address in input order; never rejects. */
/** The poems as a lazy list, one result per address in input order: built, it has connected nowhere yet. */
function poems(addresses: readonly Address[], options: GetPoemsOptions): Lazy<PoemResult> {
  const {
    timeoutMs,
    concurrency = Number.POSITIVE_INFINITY,
    retries = 0,
    transform,
    signal,
    onEvent,
    analyse,
  } = options;
  // The deadline sits inside the cancel; both sit inside the limit, so waiting for a place does not count.
  const guard: Guard = (address, text) => cancellable(address, signal, withDeadline(address, timeoutMs, text));
  const policy: PoemPolicy = { guard, retries, signal, transform, onEvent, analyse };
  // #region limit
  return mapConcurrent(concurrency, (address, index) => getPoem(address, index + 1, policy), addresses);
  // #endregion
}

export function getPoems(addresses: readonly Address[], options: GetPoemsOptions = {}): Promise<PoemResult[]> {
  // #region collect
  return toArray(poems(addresses, options));
  // #endregion
}

/**
 * The lazy list is the description of the fetch. Forcing it fetches; forcing it again hands back
 * the same poems, as a Haskell list once evaluated is its value (call by need), rather than
 * fetching again as a cold stream would.
 */
function describe(addresses: readonly Address[], options: GetPoemsOptions = {}): PoemRequest {
  const list = poems(addresses, options);
  let forced: Promise<PoemResult[]> | undefined;
  return { run: () => (forced ??= toArray(list)) };
}

export const lazyModel: Model = {
  name: 'lazy',
  title: 'Lazy async iterators: hGetContents, demand-driven reading, mapM getPoem with a bounded fork',
  summary:
    'A poem is `contents(address)`, an async iterable that connects on the first pull and reads the socket ' +
    'only when pulled, so a consumer that stops pulling stalls the server through TCP backpressure. ' +
    'Combinators (`lines`, `map`, `take`, `merge`, `timeout`, …) stay lazy and pass a stop back to the socket. ' +
    'Look for the catch the Haskell series shows: demand-driven reading alone would read the servers one ' +
    'after another; the concurrency comes from `mapConcurrent`, a forked reader per server like `forkIO`, with a bound.',
  clientFiles: ['lazy/client.ts'],
  runtimeFiles: ['lazy/combinators.ts', 'lazy/contents.ts', 'lazy/lazy.ts'],
  getPoems: (addresses, options) => getPoems(addresses, options),
  describe,
};
