/**
 * Supervisors, after OTP's: a process that traps exits, starts its children from child specs in
 * order, restarts them by strategy (`one_for_one`, `one_for_all`, `rest_for_one`, or the dynamic
 * `simple_one_for_one`) and restart type, and gives up — stopping every child in reverse order and
 * exiting with `shutdown` — when more than `intensity` restarts happen within `period` seconds.
 * A supervisor is itself just a process body, so supervisors nest into trees by being children.
 *
 * The management calls (`startChild`, `terminateChild`, …) use the gen_server call protocol.
 */
import { type CallMessage, call, isCall, reply } from './gen_server.ts';
import {
  ActorError,
  type ExitReason,
  exit,
  exitOnReturn,
  isDown,
  isExit,
  isNormalExit,
  monitor,
  type Pid,
  type ProcessBody,
  type Ref,
  receive,
  type Suspend,
  spawnLink,
  TIMEOUT,
  trapExits,
  unlink,
} from './runtime.ts';

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';
/** `permanent`: always restarted; `transient`: only after an abnormal exit; `temporary`: never. */
export type Restart = 'permanent' | 'transient' | 'temporary';
/** Milliseconds to wait after `shutdown` before killing; `brutal_kill` kills at once; `infinity` waits. */
export type Shutdown = number | 'brutal_kill' | 'infinity';

export interface ChildSpec {
  readonly id: string;
  /**
   * Returns the child's body (the supervisor spawns and links it), or `ignore`; a throw is a failed
   * start. It is called with `args`, followed under `simple_one_for_one` by the arguments
   * `startChild` brings, as OTP applies a spec's `{M, F, A}` to A and then the extra list.
   */
  start(...args: unknown[]): ProcessBody | 'ignore';
  /** The arguments `start` is called with (the A of `{M, F, A}`): a spec needs no closure of its own. */
  readonly args?: readonly unknown[];
  /** Default `permanent`. */
  readonly restart?: Restart;
  /** Default 5000 ms for a worker, `infinity` for a supervisor. */
  readonly shutdown?: Shutdown;
  /** Default `worker`. */
  readonly type?: 'worker' | 'supervisor';
  /** With `autoShutdown`, this child's own exit may stop the supervisor. */
  readonly significant?: boolean;
}

export interface SupervisorFlags {
  /** Default `one_for_one`. */
  readonly strategy?: Strategy;
  /** At most this many restarts… (default 1) */
  readonly intensity?: number;
  /** …in this many seconds (default 5). */
  readonly period?: number;
  /** Stop the supervisor when any / all significant children have ended on their own. Default `never`. */
  readonly autoShutdown?: 'never' | 'any_significant' | 'all_significant';
}

/** What a management call answers. */
export type SupervisorResult<T = undefined> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown };

export interface ChildInfo {
  readonly id: string | undefined;
  readonly pid: Pid | undefined;
  readonly type: 'worker' | 'supervisor';
}

interface Child {
  readonly spec: ChildSpec;
  readonly args: readonly unknown[];
  pid: Pid | undefined;
}

type Request =
  | { readonly op: 'startChild'; readonly spec?: ChildSpec; readonly args?: readonly unknown[] }
  | { readonly op: 'terminateChild' | 'restartChild' | 'deleteChild'; readonly child: string | Pid }
  | { readonly op: 'whichChildren' };

/** A child started with no extra arguments; shared, never changed. */
const noArgs: readonly unknown[] = Object.freeze([]);

/** The supervisor's body: `spawnLink(() => supervisor(flags, specs))`, or a child spec's `start`. */
export function supervisor(flags: SupervisorFlags, specs: readonly ChildSpec[]): ProcessBody {
  return new Supervisor(flags, specs).run();
}

class Supervisor {
  readonly #strategy: Strategy;
  readonly #intensity: number;
  readonly #periodMs: number;
  readonly #autoShutdown: NonNullable<SupervisorFlags['autoShutdown']>;
  readonly #specs: readonly ChildSpec[];
  /** In start order. */
  #children: Child[] = [];
  /** When recent restarts happened (ms), oldest first. */
  #restarts: number[] = [];

  constructor(flags: SupervisorFlags, specs: readonly ChildSpec[]) {
    this.#strategy = flags.strategy ?? 'one_for_one';
    this.#intensity = flags.intensity ?? 1;
    this.#periodMs = (flags.period ?? 5) * 1000;
    this.#autoShutdown = flags.autoShutdown ?? 'never';
    this.#specs = specs;
  }

  *run(): ProcessBody {
    this.#check();
    trapExits(true);
    if (this.#strategy !== 'simple_one_for_one') {
      for (const spec of this.#specs) {
        const started = this.#start(spec, noArgs);
        if ('error' in started) {
          yield* this.#stopAll();
          exit({ shutdown: { failedToStartChild: spec.id, reason: started.error } });
        }
        if (started.pid !== undefined || (spec.restart ?? 'permanent') !== 'temporary') {
          this.#add({ spec, args: noArgs, pid: started.pid });
        }
      }
    }
    for (;;) {
      const message = yield* receive();
      if (isExit(message)) {
        const child = this.#childWithPid(message.from);
        if (child === undefined) {
          // Not a child: the parent (or someone linked to us) went down, so the whole tree goes.
          yield* this.#stopAll();
          exit(message.reason);
        }
        child.pid = undefined;
        if (this.#isRestarted(child, message.reason)) {
          yield* this.#restart(child);
        } else if (this.#endedForGood(child)) {
          yield* this.#stopAll();
          exitOnReturn('shutdown');
          return;
        }
      } else if (isCall(message)) {
        yield* this.#handleCall(message);
      }
    }
  }

  #check(): void {
    if (!Number.isInteger(this.#intensity) || this.#intensity < 0) {
      throw new ActorError('invalid_intensity', `supervisor: invalid intensity ${this.#intensity}`);
    }
    if (!(this.#periodMs > 0) || !Number.isFinite(this.#periodMs)) {
      throw new ActorError('invalid_period', `supervisor: invalid period ${this.#periodMs / 1000}`);
    }
    if (this.#strategy === 'simple_one_for_one' && this.#specs.length !== 1) {
      throw new ActorError('bad_start_spec', 'simple_one_for_one takes exactly one child spec');
    }
    const ids = new Set<string>();
    for (const spec of this.#specs) {
      if (typeof spec.id !== 'string') throw new ActorError('missing_id', 'child spec without id');
      if (typeof spec.start !== 'function')
        throw new ActorError('missing_start', `child spec ${spec.id} without start`);
      if (ids.has(spec.id)) throw new ActorError('duplicate_child_name', `two child specs named ${spec.id}`);
      ids.add(spec.id);
    }
  }

  /**
   * A supervisor per download has one child: its list is made at its exact size, since `push` onto
   * an empty array reserves room for sixteen more.
   */
  #add(child: Child): void {
    if (this.#children.length === 0) this.#children = [child];
    else this.#children.push(child);
  }

  #childWithPid(pid: Pid | undefined): Child | undefined {
    if (pid === undefined) return undefined;
    for (const child of this.#children) if (child.pid === pid) return child;
    return undefined;
  }

  #start(spec: ChildSpec, args: readonly unknown[]): { pid: Pid | undefined } | { error: unknown } {
    let body: ProcessBody | 'ignore';
    try {
      body = spec.args === undefined ? spec.start(...args) : spec.start(...spec.args, ...args);
    } catch (error) {
      return { error };
    }
    return { pid: body === 'ignore' ? undefined : spawnLink(() => body) };
  }

  /** Whether a child that ended with `reason` is restarted, by its restart type. */
  #isRestarted(child: Child, reason: ExitReason): boolean {
    const restart = child.spec.restart ?? 'permanent';
    return restart === 'permanent' || (restart === 'transient' && !isNormalExit(reason));
  }

  /** Forgets a child that ended and is not restarted; true when that ends the supervisor (auto-shutdown). */
  #endedForGood(child: Child): boolean {
    if (child.spec.restart === 'temporary' || this.#strategy === 'simple_one_for_one') this.#remove(child);
    if (!child.spec.significant || this.#autoShutdown === 'never') return false;
    return (
      this.#autoShutdown === 'any_significant' || !this.#children.some((c) => c.spec.significant && c.pid !== undefined)
    );
  }

  /** Restarts `crashed` (and, by strategy, its siblings), retrying failed starts within the intensity. */
  *#restart(crashed: Child): Generator<Suspend, void, unknown> {
    for (;;) {
      if (!this.#allowRestart()) {
        yield* this.#stopAll();
        exit('shutdown');
      }
      const at = this.#children.indexOf(crashed);
      let group: Child[];
      if (this.#strategy === 'one_for_all') group = [...this.#children];
      else if (this.#strategy === 'rest_for_one') group = this.#children.slice(at);
      else group = [crashed];
      for (const bystander of [...group].reverse()) {
        if (bystander === crashed) continue;
        yield* this.#terminate(bystander);
        // A temporary child is never restarted, not even as a bystander.
        if ((bystander.spec.restart ?? 'permanent') === 'temporary') this.#remove(bystander);
      }
      let failed = false;
      for (const child of group) {
        if (!this.#children.includes(child)) continue;
        const started = this.#start(child.spec, child.args);
        if ('error' in started) {
          failed = true;
          break;
        }
        child.pid = started.pid;
      }
      if (!failed) return;
      // A failed restart counts as another restart; we try again until the intensity says stop.
      for (const child of [...group].reverse()) yield* this.#terminate(child);
    }
  }

  #allowRestart(): boolean {
    const now = performance.now();
    this.#restarts.push(now);
    while ((this.#restarts[0] as number) <= now - this.#periodMs) this.#restarts.shift();
    return this.#restarts.length <= this.#intensity;
  }

  #remove(child: Child): void {
    const at = this.#children.indexOf(child);
    if (at >= 0) this.#children.splice(at, 1);
  }

  /** Stops every child, newest first; a dynamic supervisor stops them all at once. */
  *#stopAll(): Generator<Suspend, void, unknown> {
    const running = this.#children.filter((c) => c.pid !== undefined).reverse();
    if (this.#strategy === 'simple_one_for_one') yield* this.#terminateTogether(running);
    else for (const child of running) yield* this.#terminate(child);
  }

  *#terminate(child: Child): Generator<Suspend, void, unknown> {
    yield* this.#terminateTogether([child]);
  }

  /**
   * Sends each child its exit signal (`kill` for brutal_kill, else `shutdown`), then waits for the
   * DOWNs, killing any child that has not gone when its shutdown time is up. A monitor, not the link,
   * tells us it is gone, so the reason is seen even if the child unlinked itself.
   */
  *#terminateTogether(children: readonly Child[]): Generator<Suspend, void, unknown> {
    const waiting: { pid: Pid; ref: Ref; shutdown: Shutdown }[] = [];
    for (const child of children) {
      const pid = child.pid;
      if (pid === undefined) continue;
      child.pid = undefined;
      const ref = monitor(pid);
      unlink(pid);
      // An EXIT it sent before the unlink is not a crash to act on.
      yield* receive((m: unknown) => isExit(m) && m.from === pid, { after: 0 });
      const shutdown = child.spec.shutdown ?? (child.spec.type === 'supervisor' ? 'infinity' : 5000);
      exit(pid, shutdown === 'brutal_kill' ? 'kill' : 'shutdown');
      waiting.push({ pid, ref, shutdown });
    }
    const started = performance.now();
    for (const { pid, ref, shutdown } of waiting) {
      const isOurs = (m: unknown) => isDown(m) && m.ref === ref;
      if (typeof shutdown === 'number') {
        const left = Math.max(0, shutdown - (performance.now() - started));
        if ((yield* receive(isOurs, { after: left })) !== TIMEOUT) continue;
        exit(pid, 'kill');
      }
      yield* receive(isOurs);
    }
  }

  *#handleCall(message: CallMessage): Generator<Suspend, void, unknown> {
    const request = message.request as Request;
    const simple = this.#strategy === 'simple_one_for_one';
    const answer = (result: SupervisorResult<unknown>) => reply(message.from, result);
    const fail = (error: unknown) => answer({ ok: false, error });
    if (request.op === 'whichChildren') {
      answer({
        ok: true,
        value: [...this.#children]
          .reverse()
          .map((c) => ({ id: simple ? undefined : c.spec.id, pid: c.pid, type: c.spec.type ?? 'worker' })),
      });
      return;
    }
    if (request.op === 'startChild') {
      const spec = simple ? (this.#specs[0] as ChildSpec) : request.spec;
      if (spec === undefined) return fail('missing_spec');
      const existing = simple ? undefined : this.#children.find((c) => c.spec.id === spec.id);
      if (existing) return fail(existing.pid ? { alreadyStarted: existing.pid } : 'already_present');
      const args = simple ? (request.args ?? noArgs) : noArgs;
      const started = this.#start(spec, args);
      if ('error' in started) return fail(started.error);
      if (started.pid !== undefined || (!simple && (spec.restart ?? 'permanent') !== 'temporary')) {
        this.#add({ spec, args, pid: started.pid });
      }
      return answer({ ok: true, value: started.pid });
    }
    if (simple && typeof request.child === 'string') return fail('simple_one_for_one');
    if (simple && request.op !== 'terminateChild') return fail('simple_one_for_one');
    const child = this.#children.find((c) => (simple ? c.pid === request.child : c.spec.id === request.child));
    if (child === undefined) return fail('not_found');
    if (request.op === 'terminateChild') {
      yield* this.#terminate(child);
      if (simple || (child.spec.restart ?? 'permanent') === 'temporary') this.#remove(child);
      return answer({ ok: true, value: undefined });
    }
    if (child.pid !== undefined) return fail('running');
    if (request.op === 'deleteChild') {
      this.#remove(child);
      return answer({ ok: true, value: undefined });
    }
    const started = this.#start(child.spec, child.args);
    if ('error' in started) return fail(started.error);
    child.pid = started.pid;
    return answer({ ok: true, value: started.pid });
  }
}

/** Adds a child (a spec; for `simple_one_for_one`, the extra arguments for the one spec's `start`). */
export function startChild(
  sup: Pid | string,
  child: ChildSpec | readonly unknown[],
): Generator<Suspend, SupervisorResult<Pid | undefined>, unknown> {
  const request: Request = Array.isArray(child)
    ? { op: 'startChild', args: child }
    : { op: 'startChild', spec: child as ChildSpec };
  return call(sup, request, Number.POSITIVE_INFINITY);
}

/** Stops a child by id (its spec is kept), or by Pid under `simple_one_for_one`. */
export function terminateChild(sup: Pid | string, child: string | Pid): Generator<Suspend, SupervisorResult, unknown> {
  return call(sup, { op: 'terminateChild', child }, Number.POSITIVE_INFINITY);
}

export function restartChild(
  sup: Pid | string,
  id: string,
): Generator<Suspend, SupervisorResult<Pid | undefined>, unknown> {
  return call(sup, { op: 'restartChild', child: id }, Number.POSITIVE_INFINITY);
}

export function deleteChild(sup: Pid | string, id: string): Generator<Suspend, SupervisorResult, unknown> {
  return call(sup, { op: 'deleteChild', child: id }, Number.POSITIVE_INFINITY);
}

/** The children, newest first. */
export function* whichChildren(sup: Pid | string): Generator<Suspend, ChildInfo[], unknown> {
  const result: SupervisorResult<ChildInfo[]> = yield* call(sup, { op: 'whichChildren' }, Number.POSITIVE_INFINITY);
  if (!result.ok) throw new ActorError('badarg', 'whichChildren failed');
  return result.value;
}
