/**
 * `inlineCallbacks`: a generator function driven over Deferreds, as in Twisted.
 *
 * A generator is a chain of callbacks written top to bottom: each `yield` hands a Deferred to the
 * driver, and the code after it is the callback. The driver attaches itself to that Deferred, sends
 * its result back in (`gen.next`) or throws its failure in (`gen.throw`), and fires the Deferred it
 * returned to the caller when the generator returns or throws.
 *
 * Why not `async`/`await`: native `await` always resumes in a microtask, even on a Deferred that
 * has already fired, while Twisted's driver resumes synchronously. Driving `function*` ourselves keeps
 * Deferred timing exact (the generator runs up to its first unfired yield before the call returns)
 * and lets cancelling the caller's Deferred reach the Deferred the generator is waiting on.
 *
 * The driver is a loop, not a recursion: a yield of an already-fired Deferred or a plain value goes
 * round the loop again, so 100,000 of them in a row use constant stack. Only a Deferred that fires
 * later re-enters the driver, from its own callback, with a fresh stack.
 */
import { AsyncResource } from 'node:async_hooks';
import { Deferred, Failure, isThenable } from '../reactor/defer.ts';

/** The generators `inlineCallbacks` drives: yield anything, return `R`. */
export type InlineGenerator<R> = Generator<unknown, R, unknown>;

/** What a `yield` waits for: a Deferred, or a Promise (or any thenable), which resumes in a microtask. */
export type Awaitable<T> = Deferred<T> | PromiseLike<T>;

/**
 * `yield* wait(d)`: the typed form of `yield d`. A plain `yield` can only be typed `unknown`, because
 * one generator yields Deferreds of many types; delegating to this one-step generator carries `T` out.
 *
 * Like Twisted's `await d` (not its `yield d`), a Deferred that already holds a value is read without
 * going through the driver, and keeps its result. Anything else is yielded to the driver as usual.
 */
export function* wait<T>(awaited: Awaitable<T>): Generator<Awaitable<T>, T, unknown> {
  if (
    awaited instanceof Deferred &&
    awaited.called &&
    !awaited.paused &&
    !(awaited.result instanceof Deferred) &&
    !(awaited.result instanceof Failure)
  ) {
    return awaited.result as T;
  }
  return (yield awaited) as T;
}

/**
 * Wraps a generator function: calling the result runs the generator synchronously up to its first
 * yield of an unfired Deferred and returns a Deferred for its return value (or its uncaught error).
 * Throws `TypeError` at once if `fn` does not return a generator.
 */
export function inlineCallbacks<A extends unknown[], R>(
  fn: (...args: A) => InlineGenerator<R>,
): (...args: A) => Deferred<R> {
  return (...args: A) => {
    const generator = fn(...args);
    if (!isGenerator(generator)) {
      throw new TypeError(
        `inlineCallbacks needs a generator function; ${fn.name || 'the function'} returned ${describe(generator)}`,
      );
    }
    return new Coroutine(generator).start();
  };
}

/** Something that is neither a generator nor a Deferred was given where one was needed (Twisted's name). */
export class NotACoroutineError extends TypeError {
  override readonly name = 'NotACoroutineError';
}

/**
 * Drives a generator object that has not started yet, the same way `inlineCallbacks` does
 * (Twisted's `Deferred.fromCoroutine`): it runs now, up to its first unfired yield.
 */
export function fromGenerator<R>(generator: InlineGenerator<R>): Deferred<R> {
  if (!isGenerator(generator)) throw new NotACoroutineError(`${describe(generator)} is not a generator`);
  return new Coroutine(generator).start();
}

/** A Deferred as it is, or a generator driven into one (Twisted's `ensureDeferred`). */
export function ensureDeferred<R>(value: Deferred<R> | InlineGenerator<R>): Deferred<R> {
  if (value instanceof Deferred) return value;
  if (isGenerator(value)) return new Coroutine(value).start();
  throw new NotACoroutineError(`${describe(value)} is not a generator or a Deferred`);
}

/** Internal: the error a cancel plants on the caller's Deferred, so that its first link can hand over. */
class CancelHandOver extends Error {}

/**
 * One running generator: where its result goes and what it waits on. The functions it hands to
 * Deferreds are shared module functions with the coroutine as an extra argument, not closures made
 * per call: a call then costs one generator, one Deferred and this object.
 */
class Coroutine<R> {
  readonly generator: InlineGenerator<R>;
  /** The Deferred the generator's outcome fires: the caller's, or after a cancel, a fresh one it waits on. */
  target: Deferred<R>;
  /** The Deferred the generator is suspended on; cancelling the caller's Deferred cancels this one. */
  waitingOn: Deferred<unknown> | undefined = undefined;
  /** True while the driver loop is still on the stack after attaching to a Deferred. */
  attaching = false;
  /** Set when the Deferred just attached to fired during `addBoth`: the loop takes the result itself. */
  firedWhileAttaching = false;
  attachedResult: unknown = undefined;
  /**
   * The caller's async context (what AsyncLocalStorage reads). A Deferred that fires later resumes
   * the generator from whatever context fired it; resuming inside this resource keeps the generator
   * in its caller's context throughout, as Twisted does with context variables. Made at the first
   * wait, which is still inside the call (the generator runs synchronously until then), and only
   * then: a coroutine that never waits pays nothing. (`AsyncLocalStorage.snapshot()` would say the
   * same, but costs over a hundred times more on Node 20.)
   */
  context: AsyncResource | undefined = undefined;

  constructor(generator: InlineGenerator<R>) {
    this.generator = generator;
    this.target = newTarget(this);
  }

  start(): Deferred<R> {
    const caller = this.target;
    this.resume(undefined, false);
    return caller;
  }

  /** The driver loop: step the generator until it waits on an unfired Deferred or finishes. */
  resume(input: unknown, thrown: boolean): void {
    const generator = this.generator;
    for (;;) {
      let step: IteratorResult<unknown, R>;
      // Only the step is guarded: the caller's links run inside `callback`/`errback`, and what they
      // throw stays in their own chain rather than being thrown into the generator.
      try {
        step = thrown ? generator.throw(input) : generator.next(input);
      } catch (error) {
        this.target.errback(new Failure(error));
        return;
      }
      if (step.done) {
        this.target.callback(step.value);
        return;
      }
      let awaited = step.value;
      if (!(awaited instanceof Deferred)) {
        if (awaited instanceof Failure) {
          input = awaited.value;
          thrown = true;
          continue;
        }
        if (isThenable(awaited)) awaited = Deferred.fromPromise(awaited);
        else if (isGenerator(awaited)) awaited = new Coroutine(awaited as InlineGenerator<unknown>).start();
        else {
          input = awaited;
          thrown = false;
          continue;
        }
      }
      const deferred = awaited as Deferred<unknown>;
      this.attaching = true;
      this.firedWhileAttaching = false;
      deferred.addBoth(gotResult, this);
      this.attaching = false;
      if (!this.firedWhileAttaching) {
        this.waitingOn = deferred;
        this.context ??= new AsyncResource('inlineCallbacks');
        return;
      }
      const result = this.attachedResult;
      this.attachedResult = undefined;
      thrown = result instanceof Failure;
      input = thrown ? (result as Failure).value : result;
    }
  }
}

/** The link on each awaited Deferred. Returns `undefined`: yielding consumes the Deferred's result. */
function gotResult(result: unknown, coroutine: Coroutine<unknown>): undefined {
  if (coroutine.attaching) {
    coroutine.firedWhileAttaching = true;
    coroutine.attachedResult = result;
  } else {
    coroutine.waitingOn = undefined;
    const context = coroutine.context as AsyncResource;
    if (result instanceof Failure) context.runInAsyncScope(coroutine.resume, coroutine, result.value, true);
    else context.runInAsyncScope(coroutine.resume, coroutine, result, false);
  }
  return undefined;
}

/**
 * A Deferred whose cancel does not fail it outright. Twisted's trick, done with public links: the
 * canceller errbacks it with `CancelHandOver`, which only its own first link sees (added here,
 * before anyone else can add links). That link cancels what the generator waits on and returns a
 * fresh target, so this Deferred is chained to whatever the generator does next: it may catch the
 * `CancelledError`, return a value, or go on yielding.
 */
function newTarget<R>(coroutine: Coroutine<R>): Deferred<R> {
  const target = new Deferred<R>(plantHandOver);
  target.addErrback(handOver, coroutine);
  return target;
}

function plantHandOver(target: Deferred<unknown>): void {
  target.errback(new CancelHandOver());
}

function handOver<R>(failure: Failure, coroutine: Coroutine<R>): Failure | Deferred<R> {
  if (!(failure.value instanceof CancelHandOver)) return failure;
  coroutine.target = newTarget(coroutine);
  // Cancelled while running (from inside its own body): there is nothing to interrupt; it goes on.
  coroutine.waitingOn?.cancel();
  return coroutine.target;
}

/** What every generator object inherits from (`%GeneratorPrototype%`). */
const generatorPrototype: object = Object.getPrototypeOf(function* () {}.prototype);

function isGenerator(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.prototype.isPrototypeOf.call(generatorPrototype, value);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return `a ${typeof value === 'object' ? (Object(value).constructor?.name ?? 'object') : typeof value}`;
}
