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
import { Deferred, Failure, isThenable, prependErrback } from '../reactor/defer.ts';

/** The generators `inlineCallbacks` drives: yield anything, return `R`. */
export type InlineGenerator<R> = Generator<unknown, R, unknown>;

/** What a `yield` waits for: a Deferred, or a Promise (or any thenable), which resumes in a microtask. */
export type Awaitable<T> = Deferred<T> | PromiseLike<T>;

/** What `wait` returns: an iterator for `yield*` to delegate to, which ends with the awaited result. */
export interface Waiting<T> extends Iterator<Awaitable<T>, T, unknown> {
  [Symbol.iterator](): Waiting<T>;
}

/**
 * `yield* wait(d)`: the typed form of `yield d`. A plain `yield` can only be typed `unknown`, because
 * one generator yields Deferreds of many types; delegating to this one-step iterator carries `T` out.
 *
 * Like Twisted's `await d` (not its `yield d`), a Deferred that already holds a value is read without
 * going through the driver, and keeps its result. Anything else is yielded to the driver as usual.
 */
export function wait<T>(awaited: Awaitable<T>): Waiting<T> {
  if (
    awaited instanceof Deferred &&
    awaited.called &&
    !awaited.paused &&
    !(awaited.result instanceof Deferred) &&
    !(awaited.result instanceof Failure)
  ) {
    return new ReadAtOnce(awaited.result as T);
  }
  return new YieldOnce(awaited);
}

// `wait`'s iterators are two small classes rather than a generator function: one is made per wait,
// and a generator object (with its saved frame) costs several times more to make and to step.

/** A result that is already there: `yield*` ends at once with it. */
class ReadAtOnce<T> implements Waiting<T> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<Awaitable<T>, T> {
    return { value: this.#value, done: true };
  }
}

/** One `yield` of the awaited value to the driver; what the driver sends back (or throws in) ends the `yield*`. */
class YieldOnce<T> implements Waiting<T> {
  #awaited: Awaitable<T> | undefined;

  constructor(awaited: Awaitable<T>) {
    this.#awaited = awaited;
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(sent?: unknown): IteratorResult<Awaitable<T>, T> {
    const awaited = this.#awaited;
    if (awaited === undefined) return { value: sent as T, done: true };
    this.#awaited = undefined;
    return { value: awaited, done: false };
  }

  throw(error: unknown): never {
    this.#awaited = undefined;
    throw error;
  }
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

/** Internal: the error a cancel plants on the caller's Deferred, so that the link put before the caller's can hand over. */
class CancelHandOver extends Error {}

/**
 * One running generator, and the Deferred its caller holds: the coroutine is that Deferred, so a
 * call costs one generator and this object. The functions it hands to Deferreds are static ones
 * with the coroutine as an extra argument, not closures made per call.
 */
class Coroutine<R> extends Deferred<R> {
  readonly #generator: InlineGenerator<R>;
  /** The Deferred the generator's outcome fires: this one, or after a cancel, a fresh one this one waits on. */
  #target: Deferred<R> = this;
  /** The Deferred the generator is suspended on; cancelling the caller's Deferred cancels this one. */
  #waitingOn: Deferred<unknown> | undefined = undefined;
  /** True while the driver loop is still on the stack after attaching to a Deferred. */
  #attaching = false;
  /** Set when the Deferred just attached to fired during `addBoth`: the loop takes the result itself. */
  #firedWhileAttaching = false;
  #attachedResult: unknown = undefined;
  /**
   * The caller's async context (what AsyncLocalStorage reads). A Deferred that fires later resumes
   * the generator from whatever context fired it; resuming inside this resource keeps the generator
   * in its caller's context throughout, as Twisted does with context variables. Made at the first
   * wait, which is still inside the call (the generator runs synchronously until then), and only
   * then: a coroutine that never waits pays nothing. (`AsyncLocalStorage.snapshot()` would say the
   * same, but costs over a hundred times more on Node 20.)
   */
  #context: AsyncResource | undefined = undefined;

  constructor(generator: InlineGenerator<R>) {
    super(Coroutine.#cancelOwn);
    this.#generator = generator;
  }

  /** Runs the generator up to its first wait (or its end) and hands back the caller's Deferred. */
  start(): Deferred<R> {
    this.#resume(undefined, false);
    return this;
  }

  /** The driver loop: step the generator until it waits on an unfired Deferred or finishes. */
  #resume(input: unknown, thrown: boolean): void {
    const generator = this.#generator;
    for (;;) {
      let step: IteratorResult<unknown, R>;
      // Only the step is guarded: the caller's links run inside `callback`/`errback`, and what they
      // throw stays in their own chain rather than being thrown into the generator.
      try {
        step = thrown ? generator.throw(input) : generator.next(input);
      } catch (error) {
        this.#target.errback(new Failure(error));
        return;
      }
      if (step.done) {
        this.#target.callback(step.value);
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
      this.#attaching = true;
      this.#firedWhileAttaching = false;
      deferred.addBoth(Coroutine.#gotResult, this as Coroutine<unknown>);
      this.#attaching = false;
      if (!this.#firedWhileAttaching) {
        this.#waitingOn = deferred;
        this.#context ??= new AsyncResource('inlineCallbacks');
        return;
      }
      const result = this.#attachedResult;
      this.#attachedResult = undefined;
      thrown = result instanceof Failure;
      input = thrown ? (result as Failure).value : result;
    }
  }

  /** The link on each awaited Deferred. Returns `undefined`: yielding consumes the Deferred's result. */
  static #gotResult(result: unknown, coroutine: Coroutine<unknown>): undefined {
    if (coroutine.#attaching) {
      coroutine.#firedWhileAttaching = true;
      coroutine.#attachedResult = result;
    } else {
      coroutine.#waitingOn = undefined;
      const context = coroutine.#context as AsyncResource;
      if (result instanceof Failure) context.runInAsyncScope(coroutine.#resume, coroutine, result.value, true);
      else context.runInAsyncScope(coroutine.#resume, coroutine, result, false);
    }
    return undefined;
  }

  /**
   * A cancel does not fail the caller's Deferred outright. Twisted's way: a link put at the head of
   * its chain catches the `CancelHandOver` this errbacks it with, before any caller's link sees it,
   * cancels what the generator waits on and returns a fresh target, so the caller's Deferred follows
   * whatever the generator does next: it may catch the `CancelledError`, return a value, or go on yielding.
   */
  static #cancel(target: Deferred<unknown>, coroutine: Coroutine<unknown>): void {
    prependErrback(target, Coroutine.#handOver, coroutine);
    target.errback(new CancelHandOver());
  }

  static #cancelOwn(coroutine: Deferred<unknown>): void {
    Coroutine.#cancel(coroutine, coroutine as Coroutine<unknown>);
  }

  static #handOver(_failure: Failure, coroutine: Coroutine<unknown>): Deferred<unknown> {
    const target: Deferred<unknown> = new Deferred((fresh) => Coroutine.#cancel(fresh, coroutine));
    coroutine.#target = target;
    // Cancelled while running (from inside its own body): there is nothing to interrupt; it goes on.
    coroutine.#waitingOn?.cancel();
    return target;
  }
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
