/**
 * The `rxjs` model: the poetry client as RxJS's documentation teaches it. Nothing happens until
 * something subscribes, and everything is a stream. A socket is a cold `Observable` of its chunks:
 * subscribing connects, the server's close completes it, and its teardown hangs up — however the
 * subscription ends, by completion, by error or by unsubscribing. One poem is that stream piped
 * through operators: `reduce` folds the chunks into the text, `timeout` bounds an attempt, `retry`
 * subscribes again (a new connection, since the stream is cold), `catchError` turns a failure into
 * a value. `getPoems` merges the poems with `mergeMap(getPoem, K)`, stops them all by unsubscribing
 * when the caller aborts (`takeUntil`), and gathers them with `toArray`.
 *
 * Read it beside the lazy model (`npm run diff -- lazy rxjs`): the same cold stream of chunks, but
 * pushed — the socket reads as fast as the server sends, whether or not anyone downstream is ready.
 */
import net from 'node:net';
import {
  catchError,
  concatMap,
  defer,
  from,
  fromEvent,
  identity,
  lastValueFrom,
  type MonoTypeOperatorFunction,
  map,
  mergeMap,
  Observable,
  of,
  reduce,
  retry,
  take,
  takeUntil,
  tap,
  throwError,
  throwIfEmpty,
  timeout,
  toArray,
} from 'rxjs';
import { type AnalyseOptions, analysePoem, type PoemAnalysis } from '../poetry/analyse.ts';
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
import { longTimeouts } from './long-timeouts.ts';

type Emit = (event: PoetryEvent) => void;

/** A poem as one attempt ends it: the text, the bytes the socket delivered, why a transform was skipped. */
interface Received {
  readonly poem: string;
  readonly bytes: number;
  readonly transformError?: PoetryError;
  readonly analysis?: PoemAnalysis;
}

/** What `getPoem` needs, unpacked from the options once by `getPoems`. */
interface Policy {
  readonly timeoutMs: number | undefined;
  readonly retries: number;
  readonly transform: TransformOptions | undefined;
  readonly analyse: AnalyseOptions | undefined;
  readonly emit: Emit | undefined;
}

/** A task's result, tagged with the task, since `mergeMap` hands results on as they finish. */
interface Outcome {
  readonly task: number;
  readonly result: PoemResult;
}

/**
 * `tap` for progress events, or no operator at all when nobody listens: with thousands of
 * downloads in flight, an operator per download that does nothing is memory the GC keeps copying.
 */
function announce<T>(emit: Emit | undefined, event: (value: T, heard: Emit) => void): MonoTypeOperatorFunction<T> {
  return emit ? tap((value) => event(value, emit)) : identity;
}

interface SocketOptions {
  /** Called when the connection is made (the `connected` event). */
  readonly onConnect?: () => void;
  /** Written once connected; with `halfClose`, the write side is closed after it. */
  readonly request?: string | Uint8Array;
  readonly halfClose?: boolean;
}

// #region connect
/**
 * The socket to `address` as a cold Observable of its chunks. Each subscription is a connection of
 * its own, so a second subscriber (or `retry`) connects again. The teardown runs however the
 * subscription ends — complete, error or unsubscribe — and hangs up.
 */
function fromSocket(
  address: Address,
  { onConnect, request, halfClose = false }: SocketOptions = {},
): Observable<Buffer> {
  return new Observable<Buffer>((subscriber) => {
    const socket = net.connect(address.port, address.host);
    if (onConnect) socket.once('connect', onConnect);
    if (request !== undefined) {
      if (halfClose) socket.end(request);
      else socket.write(request);
    }
    // #region receive
    // Pushed: 'data' puts the socket in flowing mode, and every chunk goes on at once (README: push).
    socket.on('data', (chunk: Buffer) => subscriber.next(chunk));
    socket.once('end', () => subscriber.complete());
    // #endregion
    // #region fail
    socket.once('error', (error) => subscriber.error(toPoetryError(error, address)));
    // #endregion
    // #region cancel
    // The teardown. After the server's FIN the socket is closing itself (a FIN back, then close);
    // destroying it then would be a close on a half-open socket, dearer for the kernel.
    return () => {
      if (!socket.readableEnded) socket.destroy();
    };
    // #endregion
  });
}
// #endregion

/** One attempt at the poem: the socket's chunks, announced as they come, decoded and folded into the text. */
function receivePoem(address: Address, task: number, emit: Emit | undefined): Observable<Received> {
  const where = formatAddress(address);
  const onConnect = emit && (() => emit({ type: 'connected', task, address: where, at: performance.now() }));
  // #region receive
  // `defer`: a decoder per subscription, so an attempt that `retry` makes starts afresh.
  return defer(() => {
    const decoder = new PoemDecoder(address);
    return fromSocket(address, { onConnect }).pipe(
      announce(emit, (chunk, heard) =>
        heard({ type: 'chunk', task, address: where, bytes: chunk.length, at: performance.now() }),
      ),
      reduce((bytes, chunk) => {
        decoder.push(chunk);
        return bytes + chunk.length;
      }, 0),
      // #endregion
      // #region finish
      // The server closed, so `reduce` emits: the poem is what came, if nothing is left half-decoded.
      map((bytes) => ({ poem: decoder.end(), bytes })),
      // #endregion
    );
  });
}

// #region timeout
/** Fails with `TIMEOUT` unless the source has emitted within `timeoutMs` of being subscribed. */
function deadline<T>(address: Address, timeoutMs: number | undefined): MonoTypeOperatorFunction<T> {
  if (timeoutMs === undefined) return identity;
  return timeout({
    first: timeoutMs,
    with: () => throwError(() => poetryErrors.timeout(address, timeoutMs)),
    // Not the default asyncScheduler, whose setInterval fires at once beyond 2^31 − 1 ms.
    scheduler: longTimeouts,
  });
}
// #endregion

// #region transform
/**
 * The poem after the transform server, or the original with the reason when that fails. The
 * transform is a connection of its own, with its own deadline. The reply is the socket's chunks
 * again: in raw mode all of them; in netstring mode the first payload, and `take(1)` hangs up.
 */
function transformPoem(received: Received, transform: TransformOptions, timeoutMs: number | undefined) {
  const raw = transform.protocol === 'raw';
  const request = raw ? received.poem : encodeNetstring(`${transform.name}.${received.poem}`);
  const reply = fromSocket(transform.address, { request, halfClose: raw });
  const bytes = raw
    ? reply.pipe(
        toArray(),
        map((chunks) => Buffer.concat(chunks)),
      )
    : defer(() => {
        const replies = new NetstringDecoder();
        return reply.pipe(
          concatMap((chunk) => replies.push(chunk)),
          take(1),
          throwIfEmpty(() => new Error('the transform server closed without a reply')),
        );
      });
  return bytes.pipe(
    map((payload) => {
      const decoder = new PoemDecoder(transform.address);
      decoder.push(payload);
      return { ...received, poem: decoder.end() };
    }),
    deadline<Received>(transform.address, timeoutMs),
    catchError((error: unknown) => {
      const failure = toPoetryError(error, transform.address);
      const why = failure.code === 'TIMEOUT' ? poetryErrors.noReplyWithin(timeoutMs) : failure.message;
      return of({ ...received, transformError: poetryErrors.transformFailed(transform.address, why, error) });
    }),
  );
}
// #endregion

/** One task: attempts at the poem, the transform, then its one result. Never errors: a failure is a value. */
function getPoem(address: Address, task: number, { timeoutMs, retries, transform, analyse, emit }: Policy) {
  const where = formatAddress(address);
  return receivePoem(address, task, emit).pipe(
    // #region timeout
    deadline<Received>(address, timeoutMs),
    // #endregion
    // #region retry
    // Inside the retry, the deadline is per attempt; a cancel unsubscribes, so it is never retried.
    retry({ count: retries }),
    // #endregion
    // #region transform
    transform ? concatMap((received) => transformPoem(received, transform, timeoutMs)) : identity,
    // #endregion
    // #region analyse
    // A `map` like any other: it runs inside the task's `mergeMap` slot, on the thread, when the poem is in.
    analyse ? map((received) => ({ ...received, analysis: analysePoem(received.poem, analyse.rounds) })) : identity,
    // #endregion
    // #region finish
    announce(emit, ({ bytes }, heard) => heard({ type: 'done', task, address: where, bytes, at: performance.now() })),
    map(
      ({ poem, transformError, analysis }): Outcome => ({
        task,
        result: {
          ok: true,
          address: where,
          poem,
          ...(transformError && { transformError }),
          ...(analysis && { analysis }),
        },
      }),
    ),
    // #endregion
    // #region fail
    catchError((error: unknown) => {
      const failure = toPoetryError(error, address);
      emit?.({ type: 'failed', task, address: where, error: failure, at: performance.now() });
      return of<Outcome>({ task, result: { ok: false, address: where, error: failure } });
    }),
    // #endregion
  );
}

// #region cancel
/** Emits when the caller aborts: at once if it already has (a `fromEvent` would wait for ever). */
function aborted(signal: AbortSignal): Observable<unknown> {
  return signal.aborted ? of(signal.reason) : fromEvent(signal, 'abort');
}

/** What an abort leaves of a task that had not finished: `CANCELLED`, announced as its final event. */
function cancelled(address: Address, task: number, emit: Emit | undefined): PoemResult {
  const where = formatAddress(address);
  const error = poetryErrors.cancelled(address);
  emit?.({ type: 'failed', task, address: where, error, at: performance.now() });
  return { ok: false, address: where, error };
}
// #endregion

/** Every poem as one cold Observable: nothing connects until it is subscribed, and each subscription fetches again. */
function poems$(addresses: readonly Address[], options: GetPoemsOptions = {}): Observable<PoemResult[]> {
  const { concurrency, retries = 0, timeoutMs, transform, analyse, signal, onEvent: emit } = options;
  const policy: Policy = { timeoutMs, retries, transform, analyse, emit };
  return from(addresses).pipe(
    // #region limit
    mergeMap((address, index) => getPoem(address, index + 1, policy), concurrency),
    // #endregion
    // #region cancel
    // One listener on the caller's signal; when it fires, unsubscribing reaches every socket's teardown.
    signal ? takeUntil(aborted(signal)) : identity,
    // #endregion
    // #region collect
    toArray(),
    map((finished) => {
      const results: (PoemResult | undefined)[] = new Array(addresses.length);
      for (const { task, result } of finished) results[task - 1] = result;
      // A hole is a task the abort stopped.
      return addresses.map((address, index) => results[index] ?? cancelled(address, index + 1, emit));
    }),
    // #endregion
  );
}

/** The edge: subscribe once, and hand back the one array as a promise. */
function getPoems(addresses: readonly Address[], options?: GetPoemsOptions): Promise<PoemResult[]> {
  return lastValueFrom(poems$(addresses, options));
}

/** The Observable is the description: `run` subscribes, and running again fetches again. */
function describe(addresses: readonly Address[], options?: GetPoemsOptions): PoemRequest {
  const fetch = poems$(addresses, options);
  return { run: () => lastValueFrom(fetch) };
}

export { fromSocket, getPoems, poems$ };

export const rxjsModel: Model = {
  name: 'rxjs',
  title: 'RxJS observables: a cold Observable per socket, mergeMap for the limit, unsubscribe to cancel',
  summary:
    'Push-based streams, as RxJS teaches them. A socket is a cold Observable of chunks: subscribing connects, ' +
    'the teardown hangs up on complete, error or unsubscribe. A poem is that stream through operators — ' +
    '`reduce` to the text, `timeout` per attempt, `retry` (a new connection, since it is cold), `catchError` ' +
    'keeping the original poem when the transform fails — and `mergeMap(getPoem, K)` keeps K in flight. ' +
    'Cancel is not an error but an unsubscribe: `takeUntil` on the caller’s signal reaches every teardown. ' +
    'Look for what push means: chunks flow as fast as the server sends, whoever is (not) ready downstream.',
  clientFiles: ['rxjs/client.ts'],
  runtimeFiles: ['rxjs/long-timeouts.ts'],
  getPoems,
  describe,
};
