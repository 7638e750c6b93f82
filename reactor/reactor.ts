/**
 * The reactor: one explicit loop that waits for something to happen and calls your code.
 *
 *     while not stopped:
 *       wait until a registered descriptor is ready or the next delayed call is due   (select)
 *       call doRead / doWrite on each ready descriptor
 *       run the delayed calls that are due
 *
 * That loop is `#loop` below, read top to bottom. The waiting is a `Poller` (on Node, libuv's
 * readiness; see poller.ts), the delayed calls a `Scheduler` (clock.ts, shared with the test
 * `Clock`). Everything else here is bookkeeping around it in Twisted's terms: readers and writers,
 * `callLater`, `callWhenRunning`, `run` and `stop`.
 *
 * Instances, not a singleton: `new Reactor()` is a complete reactor, and the module also exports
 * one shared `reactor` for scripts that want Twisted's "the reactor". A reactor can be `run()`
 * again after it stopped; delayed calls still pending at `stop()` stay pending for the next run.
 * A model's `getPoems` makes its own reactor per call, so two calls can overlap in one process.
 */
import { monotonicSeconds, Scheduler } from './clock.ts';
import { ConnectionLost, ReactorAlreadyRunning, ReactorNotRunning } from './errors.ts';
import type { DelayedCall, FileDescriptor, ReactorTime } from './interfaces.ts';
import { LibuvPoller, type Poller } from './poller.ts';
import {
  type ClientFactory,
  type ConnectOptions,
  type Connector,
  connectTCP,
  type Factory,
  type ListenOptions,
  listenTCP,
  type Port,
} from './tcp.ts';

/** Where the reactor reports what a callback threw; `source` is the descriptor's `logPrefix()` or what ran. */
export type ReactorLog = (error: unknown, source: string) => void;

export const logToStderr: ReactorLog = (error, source) => {
  console.error(`${source}: unhandled error`, error);
};

export interface ReactorOptions {
  /** The delayed calls and their time source; a test passes a `Clock`. Default: the monotonic clock. */
  readonly clock?: Scheduler;
  /** The select step. Default: `LibuvPoller`. */
  readonly poller?: Poller;
  /** Default: `logToStderr`. */
  readonly log?: ReactorLog;
}

export class Reactor implements ReactorTime {
  readonly #clock: Scheduler;
  readonly #poller: Poller;
  readonly #readers = new Set<FileDescriptor>();
  readonly #writers = new Set<FileDescriptor>();
  #whenRunning: (() => unknown)[] = [];
  #running = false;
  #stopping = false;
  #waiting = false;
  #turns = 0;
  log: ReactorLog;

  constructor(options: ReactorOptions = {}) {
    this.#clock = options.clock ?? new Scheduler(monotonicSeconds);
    this.#poller = options.poller ?? new LibuvPoller();
    this.log = options.log ?? logToStderr;
    // A call scheduled from outside a turn (an abort handler, a test) may be due before the current wait ends.
    this.#clock.onScheduled = () => {
      if (this.#waiting) this.#poller.wakeUp();
    };
  }

  get running(): boolean {
    return this.#running;
  }

  /** How many times the loop has gone round since this reactor was made: a count, for tests and diagnostics. */
  get turns(): number {
    return this.#turns;
  }

  // The loop ---------------------------------------------------------------------------------

  /**
   * Runs the loop until `stop()`. Resolves once the loop has ended and every descriptor still
   * registered has been disconnected, so nothing the reactor opened keeps the process alive.
   * Throws `ReactorAlreadyRunning` (synchronously) if it is running already.
   */
  run(): Promise<void> {
    if (this.#running) throw new ReactorAlreadyRunning('the reactor is already running');
    this.#running = true;
    this.#stopping = false;
    return this.#loop();
  }

  async #loop(): Promise<void> {
    try {
      for (const call of this.#whenRunning.splice(0)) this.#guard(call, 'callWhenRunning');
      while (!this.#stopping) {
        // 1. select: until something is ready or the next delayed call is due.
        this.#waiting = true;
        const ready = await this.#poller.wait(this.#clock.timeUntilNextCall());
        this.#waiting = false;
        // 2. call each ready descriptor, unless an earlier one in this turn unregistered it.
        for (const readiness of ready) {
          const descriptor = readiness.descriptor;
          try {
            if (readiness.readable && this.#readers.has(descriptor)) descriptor.doRead();
            if (readiness.writable && this.#writers.has(descriptor)) descriptor.doWrite();
          } catch (error) {
            this.#dropBroken(descriptor, error);
          }
        }
        // 3. run the delayed calls that are due.
        this.#clock.runDueCalls((error) => this.log(error, 'delayed call'));
        this.#turns += 1;
      }
    } finally {
      this.#waiting = false;
      this.#disconnectAll();
      this.#poller.close();
      this.#running = false;
    }
  }

  /**
   * Asks the loop to end after the current turn. `ReactorNotRunning` if it is not running, or is
   * already stopping: a second stop is a mistake worth hearing about.
   */
  stop(): void {
    if (!this.#running || this.#stopping) throw new ReactorNotRunning("can't stop a reactor that isn't running");
    this.#stopping = true;
    this.#poller.wakeUp();
  }

  /**
   * Calls `fn` when the loop starts. If the reactor is already running, `fn` is called right away,
   * synchronously, before `callWhenRunning` returns (as in Twisted). What it throws is logged.
   */
  callWhenRunning(fn: () => unknown): void {
    if (this.#running) this.#guard(fn, 'callWhenRunning');
    else this.#whenRunning.push(fn);
  }

  // Time ---------------------------------------------------------------------------------------

  seconds(): number {
    return this.#clock.seconds();
  }

  callLater<A extends unknown[]>(seconds: number, fn: (...args: A) => unknown, ...args: A): DelayedCall {
    return this.#clock.callLater(seconds, fn, ...args);
  }

  getDelayedCalls(): readonly DelayedCall[] {
    return this.#clock.getDelayedCalls();
  }

  // Descriptors --------------------------------------------------------------------------------

  addReader(descriptor: FileDescriptor): void {
    if (this.#readers.has(descriptor)) return;
    this.#readers.add(descriptor);
    this.#poller.setInterest(descriptor, 'read', true);
  }

  removeReader(descriptor: FileDescriptor): void {
    if (!this.#readers.delete(descriptor)) return;
    this.#poller.setInterest(descriptor, 'read', false);
  }

  addWriter(descriptor: FileDescriptor): void {
    if (this.#writers.has(descriptor)) return;
    this.#writers.add(descriptor);
    this.#poller.setInterest(descriptor, 'write', true);
  }

  removeWriter(descriptor: FileDescriptor): void {
    if (!this.#writers.delete(descriptor)) return;
    this.#poller.setInterest(descriptor, 'write', false);
  }

  getReaders(): readonly FileDescriptor[] {
    return [...this.#readers];
  }

  getWriters(): readonly FileDescriptor[] {
    return [...this.#writers];
  }

  /** Unregisters `descriptor` entirely and tells it why; what `connectionLost` throws is logged. */
  disconnect(descriptor: FileDescriptor, reason: Error): void {
    this.removeReader(descriptor);
    this.removeWriter(descriptor);
    try {
      descriptor.connectionLost(reason);
    } catch (error) {
      this.log(error, descriptor.logPrefix());
    }
  }

  // TCP (tcp.ts) ------------------------------------------------------------------------------

  connectTCP(host: string, port: number, factory: ClientFactory, options?: ConnectOptions): Connector {
    return connectTCP(this, host, port, factory, options);
  }

  listenTCP(port: number, factory: Factory, options?: ListenOptions): Port {
    return listenTCP(this, port, factory, options);
  }

  // Errors -------------------------------------------------------------------------------------

  #guard(fn: () => unknown, source: string): void {
    try {
      fn();
    } catch (error) {
      this.log(error, source);
    }
  }

  /** A descriptor whose callback threw is logged and dropped (as Twisted does); the loop and the others go on. */
  #dropBroken(descriptor: FileDescriptor, error: unknown): void {
    this.log(error, descriptor.logPrefix());
    this.disconnect(descriptor, error instanceof Error ? error : new Error(String(error)));
  }

  #disconnectAll(): void {
    const reason = new ConnectionLost('the reactor stopped');
    for (const descriptor of new Set([...this.#readers, ...this.#writers])) this.disconnect(descriptor, reason);
  }
}

/** The shared reactor, for scripts that want one; tests and models make their own. */
export const reactor = new Reactor();
