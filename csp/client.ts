/**
 * The `csp` model: the poetry client as a Go programmer writes it, on our channels.
 *
 * `main` starts a pool of worker processes that range over a channel of tasks; each worker
 * downloads one poem at a time, sending its progress to main over the `progress` channel and its
 * result over `results`. A download is a loop over one `select`: the socket's channel, the
 * attempt's timer, and `done`, the channel whose closing is the caller's cancel. Main selects over
 * progress and results until every result is in, and puts them in input order. No process shares a
 * variable with another: everything they tell each other goes over a channel.
 */
import { type AnalyseOptions, analysePoem } from '../poetry/analyse.ts';
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
  PoetryError,
  type PoetryEvent,
  type TransformOptions,
} from '../poetry/contract.ts';
import { PoemDecoder } from '../poetry/decode.ts';
import { poetryErrors, toPoetryError } from '../poetry/errors.ts';
import { encodeNetstring, NetstringDecoder } from '../poetry/netstring.ts';
import { after, type Channel, CLOSED, chan, close, never, put, select, take } from './channels.ts';
import { go, type ProcessBody, run } from './process.ts';
import { dial } from './socket.ts';

/** One address to fetch, with its place in the input. */
interface Task {
  readonly index: number;
  readonly address: Address;
}

/** One finished task, as a worker reports it to main. */
interface Outcome {
  readonly index: number;
  readonly result: PoemResult;
}

/** What every worker shares: the channels to main, the caller's cancel, and the options of one attempt. */
interface Job {
  readonly progress: Channel<PoetryEvent>;
  readonly done: Channel<never>;
  readonly retries: number;
  readonly timeoutMs: number | undefined;
  readonly transform: TransformOptions | undefined;
  readonly analyse: AnalyseOptions | undefined;
}

/** A poem as an attempt ends it, the bytes the server sent, and why the transform was skipped if it was. */
interface Poem {
  readonly poem: string;
  readonly bytes: number;
  readonly transformError?: PoetryError;
}

function getPoems(addresses: readonly Address[], options: GetPoemsOptions = {}): Promise<PoemResult[]> {
  return run(() => main(addresses, options));
}

function* main(
  addresses: readonly Address[],
  { concurrency, retries = 0, timeoutMs, transform, analyse, signal, onEvent }: GetPoemsOptions,
): ProcessBody<PoemResult[]> {
  // #region cancel
  // Closing `done` is the broadcast: every select in every worker watches it.
  const done = chan<never>();
  const cancel = () => close(done);
  if (signal?.aborted) cancel();
  else signal?.addEventListener('abort', cancel, { once: true });
  // #endregion
  try {
    const tasks = chan<Task>();
    const results = chan<Outcome>();
    const progress = chan<PoetryEvent>();
    const job: Job = { progress, done, retries, timeoutMs, transform, analyse };

    // #region limit
    // K workers, so at most K downloads at once; one per address when there is no limit.
    const workers = Math.max(1, Math.min(concurrency ?? addresses.length, addresses.length));
    for (let k = 0; k < workers; k++) go(() => worker(tasks, results, job));
    go(function* feed() {
      for (const [index, address] of addresses.entries()) yield* put(tasks, { index, address });
      close(tasks);
    });
    // #endregion

    // #region collect
    // Progress is unbuffered: a worker's last event is taken before its result can be, so every
    // event of a task reaches onEvent before the call returns.
    const poems = new Array<PoemResult>(addresses.length);
    for (let received = 0; received < addresses.length; ) {
      const got = yield* select({ event: take(progress), outcome: take(results) });
      if (got.value === CLOSED) continue;
      if (got.key === 'event') onEvent?.(got.value);
      else {
        poems[got.value.index] = got.value.result;
        received++;
      }
    }
    return poems;
    // #endregion
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

/** Go's `for task := range tasks`: one task at a time until the channel is closed. */
function* worker(tasks: Channel<Task>, results: Channel<Outcome>, job: Job): ProcessBody {
  for (let task = yield* take(tasks); task !== CLOSED; task = yield* take(tasks)) {
    const result = yield* getPoem(task, job);
    // #region analyse
    // The worker does the CPU step itself, still holding its place in the pool; no process is
    // preempted, so every other one waits until it is done.
    const analysed =
      result.ok && job.analyse ? { ...result, analysis: analysePoem(result.poem, job.analyse.rounds) } : result;
    // #endregion
    yield* put(results, { index: task.index, result: analysed });
  }
}

function* getPoem({ index, address }: Task, job: Job): ProcessBody<PoemResult> {
  const where = formatAddress(address);
  const task = index + 1;
  // #region retry
  for (let attempt = 0; ; attempt++) {
    const got = yield* fetchPoem(address, task, job);
    if (!(got instanceof PoetryError)) {
      yield* put(job.progress, { type: 'done', task, address: where, bytes: got.bytes, at: performance.now() });
      return {
        ok: true,
        address: where,
        poem: got.poem,
        ...(got.transformError && { transformError: got.transformError }),
      };
    }
    // A cancel is never retried: the caller asked for everything to stop.
    if (got.code !== 'CANCELLED' && attempt < job.retries) continue;
    yield* put(job.progress, { type: 'failed', task, address: where, error: got, at: performance.now() });
    return { ok: false, address: where, error: got };
  }
  // #endregion
}

/** One attempt: the download, then the transform if one is asked for. */
function* fetchPoem(address: Address, task: number, job: Job): ProcessBody<Poem | PoetryError> {
  const got = yield* download(address, task, job);
  if (got instanceof PoetryError || job.transform === undefined) return got;
  const transformed = yield* transformPoem(got.poem, address, job.transform, job);
  return transformed instanceof PoetryError ? transformed : { ...transformed, bytes: got.bytes };
}

/** Go's prioritised check, `select { case <-done: …; default: }`: has the caller cancelled? */
function* cancelled(done: Channel<never>): ProcessBody<boolean> {
  const got = yield* select({ cancel: take(done) }, { default: true });
  return got.key === 'cancel';
}

function* download(address: Address, task: number, job: Job): ProcessBody<Poem | PoetryError> {
  const where = formatAddress(address);
  // #region cancel
  // A caller who has cancelled already gets no connection at all.
  if (yield* cancelled(job.done)) return poetryErrors.cancelled(address);
  // #endregion
  // #region connect
  const conn = dial(address);
  // #endregion
  // #region timeout
  // One timer for the whole attempt; without a timeout, the nil channel, whose case never fires.
  const timer = job.timeoutMs === undefined ? never : after(job.timeoutMs);
  // #endregion
  try {
    // #region receive
    const decoder = new PoemDecoder(address);
    let bytes = 0;
    for (;;) {
      const got = yield* select({ event: take(conn.events), timeout: take(timer), cancel: take(job.done) });
      // #endregion
      // #region timeout
      if (got.key === 'timeout') return poetryErrors.timeout(address, job.timeoutMs as number);
      // #endregion
      // #region cancel
      if (got.key === 'cancel') return poetryErrors.cancelled(address);
      // #endregion
      const event = got.value;
      // #region finish
      // The channel closes when the server does: the poem is what came, if nothing is half-decoded.
      // Select chooses at random among ready cases, so the end may win over a cancel that came
      // first: the prioritised check gives the cancel the last word.
      if (event === CLOSED)
        return (yield* cancelled(job.done)) ? poetryErrors.cancelled(address) : { poem: decoder.end(), bytes };
      // #endregion
      // #region fail
      if (event.type === 'error') return toPoetryError(event.error, address);
      // #endregion
      // #region receive
      if (event.type === 'connected') {
        yield* put(job.progress, { type: 'connected', task, address: where, at: performance.now() });
        continue;
      }
      bytes += event.chunk.length;
      yield* put(job.progress, {
        type: 'chunk',
        task,
        address: where,
        bytes: event.chunk.length,
        at: performance.now(),
      });
      decoder.push(event.chunk);
    }
    // #endregion
  } catch (error) {
    // #region fail
    // The decoder's BAD_ENCODING, as it is.
    return toPoetryError(error, address);
    // #endregion
  } finally {
    conn.close();
  }
}

// #region transform
/**
 * The second download: the poem out to the transform server, its answer back, through the same
 * select; any failure but a cancel keeps the original poem and says why.
 */
function* transformPoem(
  poem: string,
  address: Address,
  transform: TransformOptions,
  { done, timeoutMs }: Job,
): ProcessBody<Omit<Poem, 'bytes'> | PoetryError> {
  const failed = (why: string, cause?: unknown) => ({
    poem,
    transformError: poetryErrors.transformFailed(transform.address, why, cause),
  });
  const conn = dial(transform.address);
  const timer = timeoutMs === undefined ? never : after(timeoutMs);
  const replies = new NetstringDecoder();
  const answer: Buffer[] = [];
  try {
    for (;;) {
      const got = yield* select({ event: take(conn.events), timeout: take(timer), cancel: take(done) });
      if (got.key === 'cancel') return poetryErrors.cancelled(address);
      if (got.key === 'timeout') return failed(poetryErrors.noReplyWithin(timeoutMs));
      const event = got.value;
      if (event === CLOSED) {
        if (transform.protocol !== 'raw') return failed('the transform server closed without a reply');
        return { poem: decoded(transform.address, Buffer.concat(answer)) };
      }
      if (event.type === 'error') return failed(toPoetryError(event.error, transform.address).message, event.error);
      if (event.type === 'connected') {
        if (transform.protocol === 'raw') conn.end(poem);
        else conn.write(encodeNetstring(`${transform.name}.${poem}`));
      } else if (transform.protocol === 'raw') answer.push(event.chunk);
      else {
        const [reply] = replies.push(event.chunk);
        if (reply) return { poem: decoded(transform.address, reply) };
      }
    }
  } catch (error) {
    return failed(toPoetryError(error, transform.address).message, error);
  } finally {
    conn.close();
  }
}

function decoded(address: Address, bytes: Uint8Array): string {
  const decoder = new PoemDecoder(address);
  decoder.push(bytes);
  return decoder.end();
}
// #endregion

export const cspModel: Model = {
  name: 'csp',
  title: 'Go-style CSP: processes and channels, select, a worker pool',
  summary:
    'Communicating sequential processes as Go writes them, on a channel library of our own. Main starts K ' +
    'worker processes ranging over a channel of tasks; each download is a loop over one select — the ' +
    'socket’s channel, an after() timer, and a done channel whose closing is the caller’s cancel — and sends ' +
    'its progress and its result to main over channels. Look at what is not there: no callback, no shared ' +
    'variable, no lock; every hand-over is a put meeting a take.',
  clientFiles: ['csp/client.ts'],
  runtimeFiles: ['csp/process.ts', 'csp/channels.ts', 'csp/socket.ts'],
  getPoems,
};
