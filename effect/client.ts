/**
 * The `effect` model: the poetry client as Effect programs, the way Effect's documentation teaches
 * them. Nothing runs where it is written: `download`, `transformPoem` and `getPoem` are
 * descriptions — values of type `Effect<A, E>` whose error channel `E` names, as tagged errors,
 * what can go wrong — and the edge, `getPoems`, runs the whole program once with `Effect.runPromise`.
 *
 * Read it for what the types and the fiber tree promise. A socket is a resource acquired in a scope
 * (`Effect.acquireRelease`), so whatever ends the scope — the end of the poem, a failure, a timeout,
 * the caller's cancel — releases it. The poem's chunks are decoded as they come, in one `Effect.async`
 * over the socket; the transform's reply is a `Stream` of chunks.
 * The timeout, the retries and the limit are combinators (`Effect.timeoutFail`, `Effect.retry` with a
 * `Schedule`, `Effect.forEach` with `concurrency`), and a cancel is no error at all but interruption:
 * the caller's `AbortSignal` interrupts the root fiber, which interrupts every child, whose scopes
 * close every socket before the run returns.
 */
import net from 'node:net';
import { Chunk, Data, Duration, Effect, Option, Schedule, type Scope, Stream } from 'effect';
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

// The error channel. Each failure a download can meet is a tagged error (its `_tag` lets
// `Effect.catchTag` pick it out); the edge turns them into the contract's `PoetryError`s. A cancel
// is not among them: it is interruption, which no `catchAll` catches and no `retry` retries.

/** The socket failed: refused, reset mid-poem, an unusable address — what the OS said is `cause`. */
export class SocketError extends Data.TaggedError('SocketError')<{
  readonly address: Address;
  readonly cause: unknown;
}> {}

/** One attempt took longer than `ms`. */
export class Timeout extends Data.TaggedError('Timeout')<{ readonly address: Address; readonly ms: number }> {}

/** The bytes are not UTF-8; `error` is the shared decoder's `BAD_ENCODING`. */
export class BadEncoding extends Data.TaggedError('BadEncoding')<{ readonly error: PoetryError }> {}

/** The transform server closed without answering. */
export class NoReply extends Data.TaggedError('NoReply')<{ readonly address: Address }> {}

/** The transform failed; the task keeps the original poem and says why with `error`. */
export class TransformFailed extends Data.TaggedError('TransformFailed')<{ readonly error: PoetryError }> {}

/** What one download (connect and receive, one attempt) can fail with. */
export type DownloadError = SocketError | Timeout | BadEncoding;

type Emit = ((event: PoetryEvent) => void) | undefined;

// #region connect
/**
 * A socket, not connected yet, acquired in the current scope: whatever closes the scope — the end
 * of the poem, a failure, a timeout, an interruption — destroys it. It connects only when told to,
 * after its reader is listening, so no event of the socket's can come before anyone hears it.
 */
const acquireSocket: Effect.Effect<net.Socket, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => new net.Socket()),
  (socket) => Effect.sync(() => socket.destroy()),
);

/** Connects `socket` to `address`; an address `net` refuses outright (a port out of range) goes to `onRefused`. */
function dial(socket: net.Socket, address: Address, onRefused: (cause: unknown) => void): void {
  try {
    socket.connect({ host: address.host, port: address.port });
  } catch (cause) {
    onRefused(cause);
  }
}
// #endregion

/**
 * One attempt at the poem at `address`: its text and the bytes it took, or a typed failure. A
 * description: nothing connects until it is run, and each run connects again.
 *
 * The receive is one `Effect.async` over the socket's events, not a `Stream` of chunks (the
 * transform's reply is one, below): a `Stream` per download measured three times the cost of the
 * whole rest of the model (README, Cost).
 */
export function download(address: Address, task: number, emit: Emit): Effect.Effect<Downloaded, DownloadError> {
  const where = formatAddress(address);
  return Effect.scoped(
    Effect.flatMap(acquireSocket, (socket) =>
      Effect.async<Downloaded, DownloadError>((resume) => {
        const decoder = new PoemDecoder(address);
        let bytes = 0;
        // #region connect
        if (emit)
          socket.once('connect', () => emit({ type: 'connected', task, address: where, at: performance.now() }));
        // #endregion
        // #region receive
        socket.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          emit?.({ type: 'chunk', task, address: where, bytes: chunk.length, at: performance.now() });
          try {
            decoder.push(chunk);
          } catch (error) {
            resume(Effect.fail(new BadEncoding({ error: toPoetryError(error, address) })));
          }
        });
        // #endregion
        // #region finish
        // The server closed: the poem is what came, if the decoder holds no half-read character.
        socket.once('end', () => resume(Effect.map(decodeEnd(decoder, address), (poem) => ({ poem, bytes }))));
        // #endregion
        // #region fail
        const fail = (cause: unknown) => resume(Effect.fail(new SocketError({ address, cause })));
        socket.once('error', fail);
        // #endregion
        // #region connect
        dial(socket, address, fail);
        // #endregion
      }),
    ),
  );
}

/** What a socket is opened for, as a stream: the address, and what to send at once (a transform's request). */
interface Dial {
  readonly address: Address;
  readonly send: Uint8Array | string;
  /** Half-close after sending: the transform's raw protocol. */
  readonly halfClose: boolean;
}

/**
 * The bytes a server sends, as a `Stream` of chunks, over a socket acquired in the stream's scope:
 * the end of the reply, a failure, a consumer that takes no more (`runHead`) or an interruption
 * closes the scope and so the socket.
 */
function socketChunks({ address, send, halfClose }: Dial): Stream.Stream<Buffer, SocketError> {
  return Stream.asyncPush<Buffer, SocketError>(
    (emit) =>
      Effect.tap(acquireSocket, (socket) => {
        const fail = (cause: unknown) => emit.fail(new SocketError({ address, cause }));
        socket.on('data', (chunk: Buffer) => emit.single(chunk));
        socket.once('end', () => emit.end());
        socket.once('error', fail);
        dial(socket, address, fail);
        halfClose ? socket.end(send) : socket.write(send);
      }),
    // Push, not pull: the socket is never paused, and what the reader has not taken yet waits here.
    { bufferSize: 'unbounded' },
  );
}

export interface Downloaded {
  readonly poem: string;
  readonly bytes: number;
}

function decodeEnd(decoder: PoemDecoder, address: Address): Effect.Effect<string, BadEncoding> {
  return Effect.try({
    try: () => decoder.end(),
    catch: (error) => new BadEncoding({ error: toPoetryError(error, address) }),
  });
}

// #region timeout
/** `attempt`, failing with `Timeout` when it has not finished within `ms`; the timeout interrupts it, which closes its socket. */
function within<A, E>(
  address: Address,
  ms: number | undefined,
): (attempt: Effect.Effect<A, E>) => Effect.Effect<A, E | Timeout> {
  if (ms === undefined) return (attempt) => attempt;
  return Effect.timeoutFail({ duration: Duration.millis(ms), onTimeout: () => new Timeout({ address, ms }) });
}
// #endregion

// #region transform
/**
 * The poem after the transform server, a second Effect with a socket and a timeout of its own. In
 * netstring mode the first netstring of the reply is the answer, and taking it (`runHead`) ends the
 * stream and so the connection; in raw mode the answer is everything until the server closes.
 */
function transformPoem(
  poem: string,
  transform: TransformOptions,
  timeoutMs: number | undefined,
): Effect.Effect<string, TransformFailed> {
  const { address } = transform;
  const raw = transform.protocol === 'raw';
  const reply = socketChunks({
    address,
    send: raw ? poem : encodeNetstring(`${transform.name}.${poem}`),
    halfClose: raw,
  });
  const answer: Effect.Effect<Uint8Array, SocketError | NoReply> = raw
    ? reply.pipe(
        Stream.runCollect,
        Effect.map((chunks) => Buffer.concat(Chunk.toReadonlyArray(chunks))),
      )
    : Effect.suspend(() => {
        const netstrings = new NetstringDecoder();
        return reply.pipe(
          Stream.mapConcat((chunk) => netstrings.push(chunk)),
          Stream.runHead,
          Effect.flatMap(Option.match({ onNone: () => Effect.fail(new NoReply({ address })), onSome: Effect.succeed })),
        );
      });
  return answer.pipe(
    Effect.flatMap((bytes) => {
      const decoder = new PoemDecoder(address);
      decoder.push(bytes);
      return decodeEnd(decoder, address);
    }),
    within(address, timeoutMs),
    Effect.mapError(
      (error) => new TransformFailed({ error: poetryErrors.transformFailed(address, why(error), error) }),
    ),
  );
}

function why(error: SocketError | NoReply | BadEncoding | Timeout): string {
  switch (error._tag) {
    case 'Timeout':
      return poetryErrors.noReplyWithin(error.ms);
    case 'NoReply':
      return 'the transform server closed without a reply';
    default:
      return toContract(error).message;
  }
}
// #endregion

/** What `getPoem` needs of the caller's options, unpacked once by `getPoems`. */
interface Policy {
  readonly retries: number;
  readonly timeoutMs: number | undefined;
  readonly transform: TransformOptions | undefined;
  readonly analyse: AnalyseOptions | undefined;
  readonly onEvent: Emit;
}

/** One task: the download, tried again after a failure, then the transform. It never fails: a failure is its result. */
function getPoem(address: Address, task: number, { retries, timeoutMs, transform, analyse, onEvent }: Policy) {
  const where = formatAddress(address);
  return Effect.gen(function* () {
    const { poem, bytes } = yield* download(address, task, onEvent).pipe(
      within(address, timeoutMs),
      // #region retry
      // Every failure in the error channel is worth another attempt; a cancel is not in it.
      Effect.retry(Schedule.recurs(retries)),
      // #endregion
    );
    // #region transform
    const result: PoemResult = transform
      ? yield* transformPoem(poem, transform, timeoutMs).pipe(
          Effect.map((transformed): PoemResult => ({ ok: true, address: where, poem: transformed })),
          Effect.catchTag('TransformFailed', ({ error }) =>
            Effect.succeed<PoemResult>({ ok: true, address: where, poem, transformError: error }),
          ),
        )
      : { ok: true, address: where, poem };
    // #endregion
    // #region finish
    onEvent?.({ type: 'done', task, address: where, bytes, at: performance.now() });
    // #endregion
    // #region analyse
    // The work on the finished poem is one more step of the task's fiber, still inside its place
    // under the limit; the runtime runs it to the end, so nothing else on the thread runs meanwhile.
    if (analyse && result.ok) return { ...result, analysis: analysePoem(result.poem, analyse.rounds) };
    // #endregion
    return result;
  }).pipe(
    // #region fail
    Effect.mapError(toContract),
    // A defect (a listener that throws, say) fails this task alone, not the whole run.
    Effect.catchAllDefect((defect) => Effect.fail(toPoetryError(defect, address))),
    Effect.catchAll((error) =>
      Effect.sync((): PoemResult => {
        onEvent?.({ type: 'failed', task, address: where, error, at: performance.now() });
        return { ok: false, address: where, error };
      }),
    ),
    // #endregion
  );
}

// #region fail
/** The contract's error for a tagged one: the edge of the typed world. */
function toContract(error: DownloadError): PoetryError {
  switch (error._tag) {
    case 'SocketError':
      return toPoetryError(error.cause, error.address);
    case 'Timeout':
      return poetryErrors.timeout(error.address, error.ms);
    case 'BadEncoding':
      return error.error;
  }
}
// #endregion

/** What each task needs, unpacked from the options. */
function policyOf(options: GetPoemsOptions): Policy {
  const { retries = 0, timeoutMs, transform, analyse, onEvent } = options;
  return { retries, timeoutMs, transform, analyse, onEvent };
}

/** Every task, at most `concurrency` at once, each leaving its result in its slot of `results`. */
function fetchInto(
  results: (PoemResult | undefined)[],
  addresses: readonly Address[],
  options: GetPoemsOptions,
): Effect.Effect<void> {
  const policy = policyOf(options);
  // #region limit
  return Effect.forEach(
    addresses,
    (address, index) =>
      Effect.map(getPoem(address, index + 1, policy), (result) => {
        results[index] = result;
      }),
    { concurrency: options.concurrency ?? 'unbounded', discard: true },
  );
  // #endregion
}

/** Every poem, one result per address in input order; never rejects. */
async function getPoems(addresses: readonly Address[], options: GetPoemsOptions = {}): Promise<PoemResult[]> {
  // #region collect
  // Each task leaves its result in its own slot, so the order is the input's whatever order they
  // finish in, and what finished before a cancel stands.
  const results: (PoemResult | undefined)[] = new Array(addresses.length);
  // #endregion
  // #region cancel
  // The signal interrupts the root fiber; the interruption reaches every task's fiber, and each
  // scope's finalizer destroys its socket before the run settles. A task that had not finished,
  // or not started, is CANCELLED.
  await Effect.runPromiseExit(fetchInto(results, addresses, options), { signal: options.signal });
  return addresses.map((address, index) => results[index] ?? cancelled(address, index + 1, options.onEvent));
  // #endregion
}

/**
 * The program is the description of the fetch: building it connects nowhere, and each run of it
 * fetches anew, with slots of its own.
 */
function describe(addresses: readonly Address[], options: GetPoemsOptions = {}): PoemRequest {
  const program = Effect.suspend(() => {
    const results: (PoemResult | undefined)[] = new Array(addresses.length);
    return Effect.as(fetchInto(results, addresses, options), results as PoemResult[]);
  });
  return { run: () => Effect.runPromise(program) };
}

function cancelled(address: Address, task: number, onEvent: Emit): PoemResult {
  const error = poetryErrors.cancelled(address);
  const where = formatAddress(address);
  onEvent?.({ type: 'failed', task, address: where, error, at: performance.now() });
  return { ok: false, address: where, error };
}

export const effectModel: Model = {
  name: 'effect',
  title: 'Effect: fibers, typed errors, scoped resources, structured concurrency',
  summary:
    'Each download is an `Effect` whose error channel names its failures as tagged errors; the socket is ' +
    'acquired with `Effect.acquireRelease` in a scope, its bytes are a `Stream` decoded as they come. ' +
    '`Effect.timeoutFail`, `Effect.retry` with a `Schedule` and `Effect.forEach` with `concurrency` are the ' +
    'policies; the caller’s `AbortSignal` interrupts the root fiber, and structured concurrency carries the ' +
    'interruption to every child and its socket. Look for what the types say: a cancel is not an error.',
  clientFiles: ['effect/client.ts'],
  runtimeFiles: [],
  getPoems,
  describe,
};
