/**
 * The process runtime: Erlang's processes, mailboxes, selective receive, links, monitors, exit
 * signals, registered names and ports (outside resources owned by a process and closed with it),
 * run cooperatively on Node's event loop.
 *
 * A process is a generator. `receive` is a small iterator the body delegates to (`yield*`), so a
 * message is handed to the body as the value of the `yield` — no Promise per message, no closure
 * per wait, and a suspended process is its generator object, that iterator and one `Proc` record. The
 * scheduler keeps a run queue and drains it in batches (a bounded number of steps per turn, then
 * `setImmediate`), so sockets and timers still get their turn while processes are busy: that is
 * our version of Erlang's reductions.
 *
 * Messages are made immutable by freezing, not by copying: plain objects and arrays are frozen
 * deeply; class instances (Pids, Errors, Buffers) travel by reference, as Erlang's large binaries
 * do. An object that is already frozen is taken as it is, which makes re-sending a constant free.
 */
import { type LongTimeout, setLongTimeout } from '../poetry/long-timeout.ts';

// Set by Pid's static block: the only way to get from a Pid to its process is inside this module.
let procOf: (pid: Pid) => Proc | null;
let release: (pid: Pid) => void;

/** A process identifier. Frozen, comparable with `===`, and safe to put in messages. */
export class Pid {
  readonly id: number;
  // Cleared when the process ends, so a Pid kept in some message does not keep a dead process alive.
  #proc: Proc | null;

  constructor(id: number, proc: Proc) {
    this.id = id;
    this.#proc = proc;
    Object.freeze(this);
  }

  toString(): string {
    return `<0.${this.id}.0>`;
  }

  static {
    procOf = (pid) => pid.#proc;
    release = (pid) => {
      pid.#proc = null;
    };
  }
}

/** A unique reference (monitors, call tags). */
export class Ref {
  readonly id: number;
  constructor() {
    this.id = ++lastRef;
    Object.freeze(this);
  }
  toString(): string {
    return `#Ref<${this.id}>`;
  }
}
let lastRef = 0;

/**
 * Why a process ended. `'normal'` for a body that returned; anything given to `exit`; the thrown
 * value for an uncaught error (the Error carries its stack, Erlang's `{Reason, Stack}`).
 */
export type ExitReason = unknown;

/** What a monitor delivers. `pid` is the name when the monitor was taken by name (Erlang's `{Name, Node}`). */
export interface DownMessage {
  readonly type: 'DOWN';
  readonly ref: Ref;
  readonly pid: Pid | string;
  readonly reason: ExitReason;
}

/** An exit signal, turned into a message because the receiver traps exits. `from` is undefined outside processes. */
export interface ExitMessage {
  readonly type: 'EXIT';
  readonly from: Pid | undefined;
  readonly reason: ExitReason;
}

/** What `receive` returns when its `after` time passes with no matching message. */
export const TIMEOUT: unique symbol = Symbol('timeout');
export type Timeout = typeof TIMEOUT;

declare const suspendBrand: unique symbol;
/** What a process body yields; opaque — only `receive` produces it. */
export type Suspend = { readonly [suspendBrand]: true };
const SUSPEND = Symbol('suspend') as unknown as Suspend;
const RESCHEDULE = Symbol('reschedule') as unknown as Suspend;

/** A process body: a generator that yields only through `receive`. */
export type ProcessBody<R = unknown> = Generator<Suspend, R, unknown>;

/**
 * What `spawn` takes: a function returning a process body, or a plain function for a process that
 * never receives (it runs once, on the process's first turn, and its return ends the process).
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a plain function with no return statement returns void.
export type ProcessStart = () => ProcessBody | undefined | void;

/** A type guard picks a message and types it; a plain predicate picks it untyped. */
export type Pattern<T = unknown> = ((message: unknown) => message is T) | ((message: unknown) => boolean);
type Matched<P> = P extends (message: unknown) => message is infer T ? T : unknown;

export interface ReceiveOptions {
  /** Milliseconds to wait; 0 polls; `Infinity` (or absent) waits forever. */
  readonly after?: number;
}

/** Raised in the caller for Erlang's `badarg`/`noproc` run-time errors (bad name, link to a dead pid). */
export class ActorError extends Error {
  override readonly name = 'ActorError';
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Thrown to unwind a process that exits itself; the runtime turns it back into the exit reason. */
class ProcessExit {
  readonly reason: ExitReason;
  constructor(reason: ExitReason) {
    this.reason = reason;
  }
}

/** What the crash hook hears about: a process that ended because of an uncaught throw. */
export interface CrashReport {
  readonly pid: Pid;
  readonly name: string | undefined;
  readonly reason: ExitReason;
}

const RUNNABLE = 0;
const WAITING = 1;
const RUNNING = 2;
const DEAD = 3;
const NO_EXIT: unique symbol = Symbol('no exit');
const NO_MATCH: unique symbol = Symbol('no match');

type Patterns = Pattern | readonly Pattern[] | null;

/** The runtime's record of one process; never handed out (isolation: only the Pid is). */
class Proc {
  readonly pid: Pid;
  /** Called on the first turn; until then `body` is undefined. */
  start: ProcessStart | null;
  body: ProcessBody | undefined = undefined;
  status = RUNNABLE;
  /** Allocated on the first message that has to wait; `head` is where the unread part starts. */
  mailbox: unknown[] | null = null;
  head = 0;
  /** Set while suspended in `receive`; `ANY` for a receive without patterns. */
  patterns: Patterns | typeof ANY = null;
  timer: LongTimeout<Proc> | null = null;
  /** The value the next `next()` hands to the body: the matched message or TIMEOUT. */
  resume: unknown = undefined;
  pendingExit: ExitReason | typeof NO_EXIT = NO_EXIT;
  reductions = 0;
  trapExit = false;
  name: string | undefined = undefined;
  links: Few<Proc> | null = null;
  /** Monitors others hold on this process. */
  watchers: Few<Monitor> | null = null;
  /** Monitors this process holds, by ref, with the process they watch (for `demonitor`). */
  watching: Map<Ref, Monitor> | null = null;
  /** The ports it owns, closed by the runtime when it ends. */
  ports: Few<Port> | null = null;
  /** Its latest receive, made again for the next one once finished (a process is in one receive at a time). */
  receiving: Receiving | null = null;
  onExit: ((reason: ExitReason, value: unknown) => void) | null = null;

  constructor(start: ProcessStart) {
    this.pid = new Pid(++lastPid, this);
    this.start = start;
  }
}
let lastPid = 0;
const ANY = Symbol('any');

/** A monitor, known to both ends: the target's `watchers` and the watcher's `watching`. */
interface Monitor {
  readonly ref: Ref;
  readonly watcher: Proc;
  readonly target: Proc;
  /** Set when taken by name: the DOWN then names the process that way. */
  readonly name: string | undefined;
}

/**
 * An unordered set of links or monitors. Most processes have one to three (parent, child, port;
 * main's monitor on a download's supervisor), a few have thousands (main itself). A short array is
 * far cheaper to make and to change than a Set or Map — those were a fifth of the memory a download
 * holds — so members live in one until there are `MANY`, then in a Set.
 */
type Few<T> = T[] | Set<T>;
const MANY = 16;

function withOne<T>(few: Few<T> | null, member: T): Few<T> {
  if (few === null) return [member];
  if (!Array.isArray(few)) return few.add(member);
  if (few.includes(member)) return few;
  // A new array of the exact size: `push` would reserve room for sixteen more.
  if (few.length < MANY) return few.concat([member]);
  return new Set(few).add(member);
}

function without<T>(few: Few<T>, member: T): Few<T> {
  if (!Array.isArray(few)) {
    few.delete(member);
    return few;
  }
  const at = few.indexOf(member);
  if (at >= 0) {
    // Order does not matter: the last one takes the removed one's place.
    few[at] = few[few.length - 1] as T;
    few.pop();
  }
  return few;
}

// ---------------------------------------------------------------- scheduler

/** Receives a process may match in one step before it is put at the back of the run queue. */
const REDUCTIONS = 2000;
/** Work (receives, steps) per scheduler turn before I/O gets a turn. */
const WORK_PER_TURN = 20_000;

let runQueue: Proc[] = [];
let runHead = 0;
let scheduled = false;
let current: Proc | null = null;
let live = 0;
const names = new Map<string, Proc>();

// A promise job, not `queueMicrotask`: Node wraps every `queueMicrotask` callback in an
// AsyncResource, and a turn starts for nearly every socket event.
const settled = Promise.resolve();

function enqueue(p: Proc): void {
  p.status = RUNNABLE;
  runQueue.push(p);
  if (!scheduled) {
    scheduled = true;
    settled.then(runTurn);
  }
}

function runTurn(): void {
  drainRunQueue();
  if (runHead < runQueue.length) {
    runQueue = runQueue.slice(runHead);
    runHead = 0;
    setImmediate(runTurn);
  } else {
    runQueue.length = 0;
    runHead = 0;
    scheduled = false;
  }
}

/**
 * Steps runnable processes until the queue is empty or the turn's work is done. A function of its
 * own so that nothing follows the loop: V8 compiles a hot loop on the fly (on-stack replacement),
 * and code after it that had never run was a deoptimization at every turn's end — thousands of
 * them in a 5,000-download run.
 */
function drainRunQueue(): void {
  let work = 0;
  while (runHead < runQueue.length && work < WORK_PER_TURN) {
    const p = runQueue[runHead] as Proc;
    runQueue[runHead++] = undefined as unknown as Proc;
    if (p.status === RUNNABLE) {
      step(p);
      work += p.reductions + 1;
    }
  }
}

function step(p: Proc): void {
  const outer = current;
  current = p;
  p.status = RUNNING;
  p.reductions = 0;
  try {
    if (p.pendingExit !== NO_EXIT) {
      unwind(p);
      terminate(p, p.pendingExit, undefined, false);
      return;
    }
    if (p.start !== null) {
      const start = p.start;
      p.start = null;
      const body = start();
      if (!isGenerator(body)) {
        terminate(p, p.pendingExit === NO_EXIT ? 'normal' : p.pendingExit, body, false);
        return;
      }
      p.body = body;
    }
    const value = p.resume;
    p.resume = undefined;
    const result = (p.body as ProcessBody).next(value);
    if (!result.done) {
      // A process that caught its own ProcessExit still dies at its next suspension.
      if (result.value === RESCHEDULE || p.pendingExit !== NO_EXIT) enqueue(p);
      else p.status = WAITING;
      return;
    }
    terminate(p, p.pendingExit === NO_EXIT ? 'normal' : p.pendingExit, result.value, false);
  } catch (error) {
    if (p.pendingExit !== NO_EXIT) terminate(p, p.pendingExit, undefined, false);
    else if (error instanceof ProcessExit) terminate(p, error.reason, undefined, false);
    else terminate(p, error, undefined, true);
  } finally {
    current = outer;
  }
}

function isGenerator(value: unknown): value is ProcessBody {
  return typeof value === 'object' && value !== null && typeof (value as ProcessBody).next === 'function';
}

/** Runs the `finally` blocks of a process killed while suspended (so it can close what it holds). */
function unwind(p: Proc): void {
  try {
    p.body?.return(undefined);
  } catch (error) {
    crashReporter({ pid: p.pid, name: p.name, reason: error });
  }
}

function terminate(p: Proc, reason: ExitReason, value: unknown, crashed: boolean): void {
  p.status = DEAD;
  live--;
  if (p.timer !== null) p.timer.cancel();
  p.timer = null;
  p.patterns = null;
  p.mailbox = null;
  p.body = undefined;
  p.start = null;
  release(p.pid);
  // Directly visible resources first: the name is free before anyone hears of the death.
  if (p.name !== undefined) names.delete(p.name);
  if (crashed && !isNormalExit(reason)) crashReporter({ pid: p.pid, name: p.name, reason });
  // Its ports close before anyone hears of the death: whoever reacts to it finds the sockets shut.
  if (p.ports !== null) {
    const ports = p.ports;
    p.ports = null;
    for (const port of ports) ownerEnded(port, reason);
  }
  if (p.links !== null) {
    const links = p.links;
    p.links = null;
    for (const linked of links) {
      if (linked.links !== null) linked.links = without(linked.links, p);
      signal(linked, p, reason, true);
    }
  }
  if (p.watchers !== null) {
    const watchers = p.watchers;
    p.watchers = null;
    for (const { ref, watcher, name } of watchers) {
      watcher.watching?.delete(ref);
      deliver(watcher, Object.freeze({ type: 'DOWN', ref, pid: name ?? p.pid, reason }));
    }
  }
  if (p.watching !== null) {
    for (const monitor of p.watching.values()) {
      const { target } = monitor;
      if (target.watchers !== null) target.watchers = without(target.watchers, monitor);
    }
    p.watching = null;
  }
  p.onExit?.(reason, value);
  p.onExit = null;
}

/** `normal`, `shutdown` and `{ shutdown: detail }` are the reasons that are not failures. */
export function isNormalExit(reason: ExitReason): boolean {
  return reason === 'normal' || isShutdown(reason);
}

/** `shutdown` or `{ shutdown: detail }`: an orderly stop ordered by someone else. */
export function isShutdown(reason: ExitReason): boolean {
  return reason === 'shutdown' || (typeof reason === 'object' && reason !== null && 'shutdown' in reason);
}

// ---------------------------------------------------------------- crash reports

let crashReporter: (report: CrashReport) => void = (report) => {
  console.error(`actors: process ${report.pid}${report.name ? ` (${report.name})` : ''} crashed:`, report.reason);
};

/** Sets where crash reports go (default: `console.error`); returns the previous hook. */
export function setCrashReporter(hook: (report: CrashReport) => void): (report: CrashReport) => void {
  const previous = crashReporter;
  crashReporter = hook;
  return previous;
}

// ---------------------------------------------------------------- spawning

/** Starts a process running `body` and returns its Pid at once; it runs when the scheduler gets to it. */
export function spawn(body: ProcessStart): Pid {
  const p = create(body);
  enqueue(p);
  return p.pid;
}

/** `spawn` and `link` in one step: the child cannot die before the link exists. */
export function spawnLink(body: ProcessStart): Pid {
  const me = running('spawnLink');
  const p = create(body);
  addLink(me, p);
  enqueue(p);
  return p.pid;
}

/** `spawn` and `monitor` in one step. */
export function spawnMonitor(body: ProcessStart): { pid: Pid; ref: Ref } {
  const me = running('spawnMonitor');
  const p = create(body);
  const ref = watch(me, p);
  enqueue(p);
  return { pid: p.pid, ref };
}

function create(start: ProcessStart): Proc {
  live++;
  return new Proc(start);
}

/**
 * Runs `body` as a process from outside the runtime and settles with its result: the value it
 * returned, or a rejection with its exit reason (an Error as it is, anything else wrapped).
 */
export function run<R>(body: () => ProcessBody<R> | R): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const p = create(body as ProcessStart);
    p.onExit = (reason, value) => {
      if (reason === 'normal') resolve(value as R);
      else reject(reason instanceof Error ? reason : new ActorError('exit', `process exited: ${describe(reason)}`));
    };
    enqueue(p);
  });
}

function describe(reason: ExitReason): string {
  try {
    return typeof reason === 'string' ? reason : JSON.stringify(reason);
  } catch {
    return String(reason);
  }
}

// ---------------------------------------------------------------- identity and names

function running(what: string): Proc {
  if (current === null) throw new ActorError('not_a_process', `${what} must be called inside a process`);
  return current;
}

/** The Pid of the process that is running. */
export function self(): Pid {
  return running('self').pid;
}

/** True while `pid`'s process exists. */
export function isAlive(pid: Pid): boolean {
  return procOf(pid) !== null;
}

/** How many processes exist (for tests and leak checks). */
export function processCount(): number {
  return live;
}

/** Gives `pid` the name `name`; a taken name, a named process or a dead one is an error (`badarg`). */
export function register(name: string, pid: Pid): void {
  const p = procOf(pid);
  if (p === null) throw new ActorError('badarg', `cannot register ${name}: ${pid} is not alive`);
  if (names.has(name)) throw new ActorError('badarg', `cannot register ${name}: the name is taken`);
  if (p.name !== undefined) throw new ActorError('badarg', `cannot register ${name}: ${pid} is already ${p.name}`);
  names.set(name, p);
  p.name = name;
}

export function unregister(name: string): void {
  const p = names.get(name);
  if (p === undefined) throw new ActorError('badarg', `cannot unregister ${name}: no such name`);
  names.delete(name);
  p.name = undefined;
}

export function whereis(name: string): Pid | undefined {
  return names.get(name)?.pid;
}

export function registered(): string[] {
  return [...names.keys()];
}

function resolve(target: Pid | string, what: string): Proc | null {
  if (typeof target !== 'string') return procOf(target);
  const p = names.get(target);
  if (p === undefined) throw new ActorError('badarg', `${what}: no process is registered as ${target}`);
  return p;
}

// ---------------------------------------------------------------- messages

/**
 * Sends `message` to `target` (a Pid or a registered name) and returns it, frozen. Sending to a
 * dead Pid silently drops the message, as in Erlang; sending to an unknown name is `badarg`.
 */
export function send<T>(target: Pid | string, message: T): T {
  const p = resolve(target, 'send');
  freezeMessage(message);
  if (p !== null) deliver(p, message);
  return message;
}

function deliver(p: Proc, message: unknown): void {
  if (p.status === DEAD) return;
  if (p.status === WAITING && p.patterns !== null) {
    let matched: boolean;
    try {
      matched = p.patterns === ANY || matches(p.patterns, message);
    } catch (error) {
      // A pattern that throws crashes the receiver, not the sender.
      kill(p, error);
      return;
    }
    if (matched) {
      // The receiver has already looked at everything older, so this one goes straight to it.
      wake(p, message);
      return;
    }
  }
  // A mailbox's first message makes it at its exact size: `push` onto an empty array reserves room
  // for sixteen more, and most mailboxes never hold more than one waiting message.
  if (p.mailbox === null) p.mailbox = [message];
  else p.mailbox.push(message);
}

function wake(p: Proc, value: unknown): void {
  p.patterns = null;
  if (p.timer !== null) {
    p.timer.cancel();
    p.timer = null;
  }
  p.resume = value;
  enqueue(p);
}

function matches(patterns: Pattern | readonly Pattern[], message: unknown): boolean {
  if (typeof patterns === 'function') return patterns(message);
  for (let i = 0; i < patterns.length; i++) if ((patterns[i] as Pattern)(message)) return true;
  return false;
}

/**
 * Deep-freezes plain objects and arrays. Other objects (Pid, Ref, Error, Buffer, Map) travel by
 * reference; an already-frozen object is trusted to be frozen all the way down.
 */
export function freezeMessage(message: unknown): void {
  if (typeof message !== 'object' || message === null || Object.isFrozen(message)) return;
  if (Array.isArray(message)) {
    Object.freeze(message);
    for (let i = 0; i < message.length; i++) freezeMessage(message[i]);
    return;
  }
  const proto = Object.getPrototypeOf(message);
  if (proto !== Object.prototype && proto !== null) return;
  Object.freeze(message);
  for (const key in message) freezeMessage((message as Record<string, unknown>)[key]);
}

/**
 * One clause of a receive, Erlang's `Pattern -> Body`: a message its pattern matches is handed to
 * its body, and what the body returns is what the receive returns. Made by `clause`.
 */
export interface Clause<R> {
  readonly pattern: Pattern;
  readonly body: (message: never) => R;
}

/** A receive clause: `clause(isDown, (down) => …)`; the body gets the message as the guard types it. */
export function clause<T, R>(pattern: (message: unknown) => message is T, body: (message: T) => R): Clause<R>;
export function clause<R>(pattern: (message: unknown) => boolean, body: (message: unknown) => R): Clause<R>;
export function clause<R>(pattern: Pattern, body: (message: never) => R): Clause<R> {
  return { pattern, body };
}

/**
 * Selective receive: takes the first message, in mailbox order, that matches any of `patterns`
 * (all messages when absent); the others keep their places. With `after`, gives `TIMEOUT` when
 * nothing matches in time; `after: 0` only looks. Use as `const m = yield* receive(...)`.
 *
 * Given clauses instead of patterns, it is Erlang's `receive P1 -> B1; P2 -> B2 end`: the first
 * message in mailbox order that any clause matches is taken, the first clause that matches it runs
 * its body, in the receiving process, and the receive returns what the body returned (`TIMEOUT`,
 * and no body, when `after` passes). Patterns are predicates that may be asked about one message
 * more than once, as a mailbox is scanned again at each receive; keep them free of side effects.
 */
export function receive(): Receive<unknown>;
export function receive<R>(clauses: readonly Clause<R>[]): Receive<R>;
export function receive<R>(clauses: readonly Clause<R>[], options: ReceiveOptions): Receive<R | Timeout>;
export function receive<P extends Pattern>(patterns: P | readonly P[]): Receive<Matched<P>>;
export function receive<P extends Pattern>(
  patterns: P | readonly P[] | undefined,
  options: ReceiveOptions,
): Receive<Matched<P> | Timeout>;
export function receive(
  wanted?: Pattern | readonly Pattern[] | readonly Clause<unknown>[],
  options?: ReceiveOptions,
): Receive<unknown> {
  const p = running('receive');
  const after = options?.after;
  if (after !== undefined && !(after >= 0)) throw new ActorError('badarg', `receive: bad timeout ${after}`);
  let patterns: Pattern | readonly Pattern[] | typeof ANY = ANY;
  let clauses: readonly Clause<unknown>[] | null = null;
  if (wanted !== undefined && isClauses(wanted)) {
    clauses = wanted;
    patterns = wanted.map((c) => c.pattern);
  } else if (wanted !== undefined) patterns = wanted;
  const last = p.receiving;
  if (last?.finished) return last.again(patterns, after, clauses);
  const fresh = new Receiving(p, patterns, after, clauses);
  p.receiving = fresh;
  return fresh;
}

function isClauses(
  wanted: Pattern | readonly Pattern[] | readonly Clause<unknown>[],
): wanted is readonly Clause<unknown>[] {
  return Array.isArray(wanted) && wanted.length > 0 && typeof wanted[0] === 'object';
}

/** Runs the body of the first of `clauses` whose pattern matches `message`, and gives what it returns. */
function runClause(clauses: readonly Clause<unknown>[], message: unknown): unknown {
  for (const { pattern, body } of clauses)
    if (pattern(message)) return (body as (message: unknown) => unknown)(message);
  throw new ActorError('badarg', 'receive: a message was taken that no clause matches');
}

/** What `receive` returns: something to delegate to with `yield*`, whose result is the message. */
export interface Receive<T> {
  [Symbol.iterator](): Iterator<Suspend, T, unknown>;
}

// The results a receive hands to `yield*`, which reads them at once and never keeps them: so one
// object serves every receive that finishes. All three have one shape (none frozen), so the code
// reading them stays monomorphic instead of being recompiled when a new shape shows up.
const SUSPENDED: IteratorYieldResult<Suspend> = { done: false, value: SUSPEND };
const RESCHEDULED: IteratorYieldResult<Suspend> = { done: false, value: RESCHEDULE };
const received: IteratorReturnResult<unknown> = { done: true, value: undefined };

/**
 * One receive, as the iterator `yield*` drives. It is written by hand, not as a generator, because
 * every download receives a dozen times: a generator object per receive was the runtime's largest
 * allocation. `next()` first looks in the mailbox; if nothing matches it yields SUSPEND, and the
 * scheduler's next `next(message)` (the match, or TIMEOUT) is the result.
 */
class Receiving implements Iterator<Suspend, unknown, unknown> {
  readonly #proc: Proc;
  #wanted: Pattern | readonly Pattern[] | typeof ANY;
  #after: number | undefined;
  #clauses: readonly Clause<unknown>[] | null;
  #stage = START;

  constructor(
    proc: Proc,
    wanted: Pattern | readonly Pattern[] | typeof ANY,
    after: number | undefined,
    clauses: readonly Clause<unknown>[] | null,
  ) {
    this.#proc = proc;
    this.#wanted = wanted;
    this.#after = after;
    this.#clauses = clauses;
  }

  /** Whether it has handed back its result, so that its process's next receive may reuse it. */
  get finished(): boolean {
    return this.#stage === FINISHED;
  }

  /**
   * The same object for the process's next receive: a download receives about ten times, and a
   * new object each time was a fair share of what it allocated. A receive made and left unused
   * is never finished, so it is never reused behind the back of whoever holds it.
   */
  again(
    wanted: Pattern | readonly Pattern[] | typeof ANY,
    after: number | undefined,
    clauses: readonly Clause<unknown>[] | null,
  ): this {
    this.#wanted = wanted;
    this.#after = after;
    this.#clauses = clauses;
    this.#stage = START;
    return this;
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(resumed?: unknown): IteratorResult<Suspend, unknown> {
    if (this.#stage === WAITING_FOR_MATCH) return this.#taken(resumed);
    const p = this.#proc;
    if (this.#stage === START && ++p.reductions > REDUCTIONS) {
      this.#stage = RESCHEDULED_STAGE;
      return RESCHEDULED;
    }
    const wanted = this.#wanted;
    const found = wanted === ANY ? takeFirst(p) : takeMatch(p, wanted);
    if (found !== NO_MATCH) return this.#taken(found);
    const after = this.#after;
    if (after === 0) return this.#taken(TIMEOUT);
    p.patterns = wanted;
    // A long timeout, not setTimeout: that fires at once for an `after` beyond 2^31 - 1 ms.
    if (after !== undefined && after !== Number.POSITIVE_INFINITY) p.timer = setLongTimeout(receiveTimedOut, after, p);
    this.#stage = WAITING_FOR_MATCH;
    return SUSPENDED;
  }

  /** The receive's result: the message taken (or TIMEOUT), or what the clause it matched made of it. */
  #taken(message: unknown): IteratorReturnResult<unknown> {
    this.#stage = FINISHED;
    const clauses = this.#clauses;
    return finished(clauses === null || message === TIMEOUT ? message : runClause(clauses, message));
  }
}

// A receive's stages: not yet looked, put back once for fairness, suspended, result handed back.
const START = 0;
const RESCHEDULED_STAGE = 1;
const WAITING_FOR_MATCH = 2;
const FINISHED = 3;

function finished(value: unknown): IteratorReturnResult<unknown> {
  received.value = value;
  return received;
}

function receiveTimedOut(p: Proc): void {
  p.timer = null;
  if (p.status === WAITING && p.patterns !== null) wake(p, TIMEOUT);
}

/** Suspends for `ms` without taking any message (`receive after T -> ok end`). */
export function* sleep(ms: number): Generator<Suspend, void, unknown> {
  yield* receive(() => false, { after: ms });
}

function takeFirst(p: Proc): unknown {
  const box = p.mailbox;
  if (box === null || p.head >= box.length) return NO_MATCH;
  return takeAt(p, box, p.head);
}

function takeMatch(p: Proc, patterns: Pattern | readonly Pattern[]): unknown {
  const box = p.mailbox;
  if (box === null) return NO_MATCH;
  for (let i = p.head; i < box.length; i++) if (matches(patterns, box[i])) return takeAt(p, box, i);
  return NO_MATCH;
}

function takeAt(p: Proc, box: unknown[], i: number): unknown {
  const message = box[i];
  if (i !== p.head) {
    box.splice(i, 1);
  } else if (++p.head === box.length) {
    box.length = 0;
    p.head = 0;
  } else {
    box[i] = undefined;
    // Compact now and then so a long-lived queue does not grow without bound.
    if (p.head > 1024 && p.head * 2 > box.length) {
      box.splice(0, p.head);
      p.head = 0;
    }
  }
  return message;
}

/** How many messages wait in the running process's mailbox. */
export function mailboxSize(): number {
  const p = running('mailboxSize');
  return p.mailbox === null ? 0 : p.mailbox.length - p.head;
}

// ---------------------------------------------------------------- links and exit signals

/** Sets whether exit signals arrive as `EXIT` messages; returns the previous setting. */
export function trapExits(on: boolean): boolean {
  const p = running('trapExits');
  const previous = p.trapExit;
  p.trapExit = on;
  return previous;
}

/**
 * Links the running process with `pid` (both ways; once per pair; to itself: nothing). Linking to
 * a dead process is a `noproc` error, or an `EXIT` with `noproc` when trapping exits.
 */
export function link(pid: Pid): void {
  const me = running('link');
  const other = procOf(pid);
  if (other === me) return;
  if (other === null) {
    if (me.trapExit) deliver(me, Object.freeze({ type: 'EXIT', from: pid, reason: 'noproc' }));
    else throw new ActorError('noproc', `link: ${pid} is not alive`);
    return;
  }
  addLink(me, other);
}

function addLink(a: Proc, b: Proc): void {
  a.links = withOne(a.links, b);
  b.links = withOne(b.links, a);
}

export function unlink(pid: Pid): void {
  const me = running('unlink');
  const other = procOf(pid);
  if (other === null) return;
  if (me.links !== null) me.links = without(me.links, other);
  if (other.links !== null) other.links = without(other.links, me);
}

/**
 * `exit(reason)`: the running process ends with `reason` (not a signal: trapping does not stop it).
 * `exit(pid, reason)`: sends an exit signal. `kill` cannot be trapped and ends the target with
 * `killed`; `normal` is ignored unless the target traps exits (or is the sender itself).
 */
export function exit(reason: ExitReason): never;
export function exit(pid: Pid, reason: ExitReason): void;
export function exit(...args: [ExitReason] | [Pid, ExitReason]): void {
  if (args.length === 1) {
    const me = running('exit');
    me.pendingExit = args[0];
    throw new ProcessExit(args[0]);
  }
  const [pid, reason] = args;
  const target = procOf(pid);
  if (target !== null) signal(target, current, reason, false);
}

/**
 * `exit(reason)` for a body that returns right after: the process ends with `reason` when it
 * returns, and no exception unwinds it. (Unwinding generators by exception costs microseconds; a
 * supervisor ending with each download paid that thousands of times.) Call it last, just before
 * `return`: a process with an exit reason pending is ended at its next suspension.
 */
export function exitOnReturn(reason: ExitReason): void {
  running('exitOnReturn').pendingExit = reason;
}

function signal(target: Proc, from: Proc | null, reason: ExitReason, viaLink: boolean): void {
  if (target.status === DEAD) return;
  if (reason === 'kill' && !viaLink) {
    kill(target, 'killed');
  } else if (target.trapExit) {
    deliver(target, Object.freeze({ type: 'EXIT', from: from?.pid, reason }));
  } else if (reason !== 'normal') {
    kill(target, reason);
  } else if (!viaLink && from === target) {
    kill(target, 'normal');
  }
}

function kill(target: Proc, reason: ExitReason): void {
  if (target.pendingExit === NO_EXIT) target.pendingExit = reason;
  if (target === current) throw new ProcessExit(reason);
  if (target.status === WAITING) {
    if (target.timer !== null) target.timer.cancel();
    target.timer = null;
    target.patterns = null;
    enqueue(target);
  }
}

// ---------------------------------------------------------------- ports

/** What the runtime asks of a port's driver: to close what it holds when the port's owner ends. */
export interface PortDriver {
  ownerEnded(reason: ExitReason): void;
}

// Set by Port's static block, like `procOf`: only this module sees a port's owner.
let ownerOf: (port: Port) => Proc | null;
let detach: (port: Port) => PortDriver | null;

/**
 * A port, as in BEAM: not a process but an outside resource (a socket) owned by one, and linked to
 * it. Its driver tells the owner what happens as messages (`portSend`); the owner works it through
 * its driver; and when the owner ends, for any reason, the runtime has the driver close it. No
 * mailbox, no body, no turn of its own. Frozen, comparable with `===`, and safe in messages.
 */
export class Port<D extends PortDriver = PortDriver> {
  readonly id: number;
  // Both cleared when the port closes, so a Port kept in some message holds nothing open.
  #owner: Proc | null;
  #driver: D | null;

  constructor(owner: Proc, driver: D) {
    this.id = ++lastPort;
    this.#owner = owner;
    this.#driver = driver;
    Object.freeze(this);
  }

  toString(): string {
    return `#Port<0.${this.id}>`;
  }

  /** The driver while the port is open, else null. */
  get driver(): D | null {
    return this.#driver;
  }

  static {
    ownerOf = (port) => port.#owner;
    detach = (port) => {
      const driver = port.#driver;
      port.#driver = null;
      port.#owner = null;
      return driver;
    };
  }
}
let lastPort = 0;

/** Its owner ended: the port closes, and its driver closes what it holds. */
function ownerEnded(port: Port, reason: ExitReason): void {
  detach(port)?.ownerEnded(reason);
}

/** Opens a port owned by (and linked to) the running process, worked by `driver`. */
export function openPort<D extends PortDriver>(driver: D): Port<D> {
  const owner = running('openPort');
  const port = new Port(owner, driver);
  owner.ports = withOne(owner.ports, port);
  return port;
}

/** Closes a port from its driver's side (the driver has closed what it held): unlinked, and silent from now on. */
export function closePort(port: Port): void {
  const owner = ownerOf(port);
  if (owner === null) return;
  if (owner.ports !== null) owner.ports = without(owner.ports, port);
  detach(port);
}

/** A message from a port's driver to its owner, frozen; dropped once the port is closed. */
export function portSend(port: Port, message: unknown): void {
  const owner = ownerOf(port);
  if (owner === null) return;
  freezeMessage(message);
  deliver(owner, message);
}

// ---------------------------------------------------------------- monitors

/**
 * Watches `target` (a Pid or a name): a `DOWN` message arrives when it ends, with its reason, or at
 * once with `noproc` if it is not alive. Each call is an independent monitor.
 */
export function monitor(target: Pid | string): Ref {
  const me = running('monitor');
  const p = typeof target === 'string' ? (names.get(target) ?? null) : procOf(target);
  if (p === null) {
    const ref = new Ref();
    deliver(me, Object.freeze({ type: 'DOWN', ref, pid: target, reason: 'noproc' }));
    return ref;
  }
  return watch(me, p, typeof target === 'string' ? target : undefined);
}

function watch(watcher: Proc, target: Proc, byName?: string): Ref {
  const ref = new Ref();
  const monitor: Monitor = { ref, watcher, target, name: byName };
  target.watchers = withOne(target.watchers, monitor);
  if (watcher.watching === null) watcher.watching = new Map();
  watcher.watching.set(ref, monitor);
  return ref;
}

/**
 * Removes a monitor: no DOWN for it is enqueued afterwards. With `flush`, also removes one already
 * queued. Returns true if the monitor was still active (so no DOWN will ever be seen for it).
 */
export function demonitor(ref: Ref, options?: { flush?: boolean }): boolean {
  const me = running('demonitor');
  const monitor = me.watching?.get(ref);
  if (monitor !== undefined) {
    me.watching?.delete(ref);
    const { target } = monitor;
    if (target.watchers !== null) target.watchers = without(target.watchers, monitor);
    return true;
  }
  if (options?.flush) takeMatch(me, (m) => isDown(m) && m.ref === ref);
  return false;
}

/** Type guards for the runtime's own messages. */
export function isDown(message: unknown): message is DownMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'DOWN';
}

export function isExit(message: unknown): message is ExitMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'EXIT';
}
