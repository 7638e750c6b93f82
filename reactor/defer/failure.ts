/**
 * `Failure`: an error travelling down a Deferred's errback path, and the errors the Deferred
 * machinery itself raises.
 *
 * A Deferred decides which half of a link to call by asking "is the current result a Failure?", so
 * an error has to be a distinct kind of value rather than a thrown exception. JavaScript can throw
 * anything (a string, a number, `undefined`), so a Failure wraps any value, as Twisted's does.
 */

/** A class an error can be matched against, or the name of one (matched along the prototype chain). */
// biome-ignore lint/suspicious/noExplicitAny: constructor parameters of arbitrary error classes
export type ErrorClass = abstract new (...args: any[]) => unknown;
export type ErrorType = ErrorClass | string;

/** `new Failure()` or `errback()` with nothing to wrap: JavaScript has no "current exception" to take. */
export class NoCurrentExceptionError extends Error {
  override readonly name = 'NoCurrentExceptionError';
  constructor() {
    super('Failure() needs something to wrap: there is no current exception in JavaScript');
  }
}

export class Failure {
  /** The wrapped error, exactly as thrown (any value). */
  readonly value: unknown;
  /** The constructor of `value` (`undefined` for `null`/`undefined`). */
  readonly type: ErrorClass | undefined;
  /** Names along `value`'s prototype chain, most specific first: what string arguments of `check` match. */
  readonly parents: readonly string[];
  /** Where the error came from: its own stack when it is an Error, otherwise where the Failure was made. */
  readonly stack: string;

  constructor(...args: [value: unknown] | []) {
    if (args.length === 0) throw new NoCurrentExceptionError();
    const value = args[0];
    if (value instanceof Failure) {
      this.value = value.value;
      this.type = value.type;
      this.parents = value.parents;
      this.stack = value.stack;
      return;
    }
    this.value = value;
    this.type = value === null || value === undefined ? undefined : (Object(value).constructor as ErrorClass);
    this.parents = prototypeNames(value);
    this.stack =
      value instanceof Error && typeof value.stack === 'string'
        ? value.stack
        : `${describeValue(value)}\n${(new Error().stack ?? '').split('\n').slice(2).join('\n')}`;
  }

  /** The first of `types` that the wrapped value is an instance of (by class or by class name), else `undefined`. */
  check<const E extends readonly ErrorType[]>(...types: E): E[number] | undefined {
    for (const type of types) {
      if (typeof type === 'string') {
        if (this.parents.includes(type)) return type;
      } else if (this.value instanceof (type as ErrorClass)) {
        return type;
      }
    }
    return undefined;
  }

  /** Like `check`, but rethrows the wrapped value when nothing matches (so an errback passes the error on). */
  trap<const E extends readonly ErrorType[]>(...types: E): E[number] {
    const match = this.check(...types);
    if (match === undefined) throw this.value;
    return match;
  }

  /** The wrapped error's message; never throws, whatever the value's `toString` does. */
  getErrorMessage(): string {
    const value = this.value;
    if (value instanceof Failure) return value.getErrorMessage();
    try {
      return value instanceof Error ? value.message : String(value);
    } catch {
      return `<${this.type?.name ?? typeof value} with an unprintable message>`;
    }
  }

  /** Throws the wrapped value. */
  raiseException(): never {
    throw this.value;
  }

  /** The full story: the error's stack, or its description and where the Failure was made. */
  getTraceback(): string {
    return `Traceback (most recent call last):\n${this.stack}`;
  }

  toString(): string {
    return `[Failure instance: ${this.type?.name ?? typeof this.value}: ${this.getErrorMessage()}]`;
  }
}

/**
 * `value instanceof Failure`, asked the cheap way first. A Deferred asks this of every result at
 * every link, and most results are primitives (numbers, strings, `undefined`); for those V8's
 * generic `instanceof` costs more than the rest of the link together (~17 ns on Node 20), while a
 * `typeof` test costs next to nothing. Only an object or a function can have Failure's prototype.
 */
export function isFailure(value: unknown): value is Failure {
  return (typeof value === 'object' ? value !== null : typeof value === 'function') && value instanceof Failure;
}

function prototypeNames(value: unknown): string[] {
  const names: string[] = [];
  if (value === null || value === undefined) return names;
  for (let proto = Object.getPrototypeOf(Object(value)); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const name = proto.constructor?.name;
    if (typeof name === 'string') names.push(name);
  }
  return names;
}

function describeValue(value: unknown): string {
  try {
    return `${value === null || value === undefined ? String(value) : Object(value).constructor.name}: ${String(value)}`;
  } catch {
    return typeof value;
  }
}

/** A Deferred was fired (callback or errback) a second time. */
export class AlreadyCalledError extends Error {
  override readonly name = 'AlreadyCalledError';
}

/** The operation a Deferred stood for was cancelled before it produced a result. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(message = 'the Deferred was cancelled') {
    super(message);
  }
}

/** What `addTimeout` turns a timeout's `CancelledError` into; `timeout` is in seconds. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  readonly timeout: number;
  readonly what: string;
  constructor(timeout: number, what = 'Deferred') {
    super(`${what} timed out after ${timeout} seconds`);
    this.timeout = timeout;
    this.what = what;
  }
}

/** A `DeferredList` with `fireOnOneErrback` (and `gatherResults`) failed: which input failed first, and how. */
export class FirstError extends Error {
  override readonly name = 'FirstError';
  readonly subFailure: Failure;
  readonly index: number;
  constructor(subFailure: Failure, index: number) {
    super(`FirstError[#${index}, ${subFailure.toString()}]`);
    this.subFailure = subFailure;
    this.index = index;
  }
}

/** Every input of a `race` failed; `failures` are in input order. */
export class FailureGroup extends Error {
  override readonly name = 'FailureGroup';
  readonly failures: readonly Failure[];
  constructor(failures: readonly Failure[]) {
    super(`all ${failures.length} raced Deferreds failed`);
    this.failures = failures;
  }
}

/** `DeferredQueue.put` on a full queue. */
export class QueueOverflow extends Error {
  override readonly name = 'QueueOverflow';
}

/** `DeferredQueue.get` on an empty queue whose backlog of waiting getters is full. */
export class QueueUnderflow extends Error {
  override readonly name = 'QueueUnderflow';
}
