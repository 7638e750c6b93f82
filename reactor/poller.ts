/**
 * The "select" step of the reactor, behind one small interface so another way of waiting could
 * replace it. A `Poller` is told which descriptors the reactor wants to read from or write to, and
 * `wait` resolves with the ones that are ready, or with none when the timeout passes first.
 *
 * `LibuvPoller` is the one built on Node: libuv already polls every socket, so instead of asking
 * the kernel again it listens to what libuv reports (bytes read, a connect completed, the end of a
 * stream, an error) through the descriptor's `watch`. Readiness is
 * level-triggered, as with `select`: a descriptor that is still readable after its bounded `doRead`
 * is reported again on the next turn without any new event.
 *
 * Batching is the point of the design: a wait does not end on the first event but at the end of
 * libuv's poll phase (with `setImmediate`), so every descriptor that became ready in the same libuv
 * iteration is handed to the reactor in one list — one hop per turn, not one per chunk.
 */
import { longestTimeoutMs } from '../poetry/long-timeout.ts';
import type { FileDescriptor } from './interfaces.ts';

export type Interest = 'read' | 'write';

/** One ready descriptor and what it is ready for. */
export interface Readiness {
  readonly descriptor: FileDescriptor;
  readonly readable: boolean;
  readonly writable: boolean;
}

export interface Poller {
  /** Starts (`on`) or stops reporting `descriptor` when it is ready for `interest`. */
  setInterest(descriptor: FileDescriptor, interest: Interest, on: boolean): void;
  /**
   * Resolves with the descriptors ready now (waiting until one is), or with an empty list after
   * `timeout` seconds; `null` waits without a limit. One wait at a time.
   */
  wait(timeout: number | null): Promise<readonly Readiness[]>;
  /** Ends the current wait early (a call was scheduled or `stop()` was asked for from outside a turn). */
  wakeUp(): void;
  /** Drops any timer the current wait holds, so nothing keeps the process alive. */
  close(): void;
}

/**
 * A descriptor the libuv poller can watch: it says whether it is ready right now, and tells its
 * `watch` whenever libuv told it something that might change the answer.
 */
export interface LibuvDescriptor extends FileDescriptor {
  isReadable(): boolean;
  isWritable(): boolean;
  /** Set by the poller once it is asked to watch the descriptor; one poller per descriptor. */
  watch: ReadinessWatch | undefined;
}

/** What a watched descriptor calls when libuv reported something: bytes, a connect, an end, an error. */
export interface ReadinessWatch {
  changed(): void;
}

function isLibuvDescriptor(descriptor: FileDescriptor): descriptor is LibuvDescriptor {
  const candidate = descriptor as Partial<LibuvDescriptor>;
  return typeof candidate.isReadable === 'function' && typeof candidate.isWritable === 'function';
}

/**
 * The poller's record of one descriptor: what the reactor wants from it, whether it waits to be
 * looked at, and what it was ready for at the last look. One object per descriptor for its whole
 * life, which is also the `Readiness` a wait hands over, so a turn allocates nothing per descriptor
 * (no closures, no set entries, no readiness objects); the reactor reads it before the next wait.
 */
class Watch implements ReadinessWatch, Readiness {
  readonly descriptor: LibuvDescriptor;
  readonly #poller: LibuvPoller;
  reading = false;
  writing = false;
  /** In the poller's list of descriptors to look at: at most once. */
  queued = false;
  readable = false;
  writable = false;

  constructor(poller: LibuvPoller, descriptor: LibuvDescriptor) {
    this.#poller = poller;
    this.descriptor = descriptor;
  }

  changed(): void {
    if (this.reading || this.writing) this.#poller.look(this);
  }
}

export class LibuvPoller implements Poller {
  /** Descriptors libuv told us about since the last wait ended, not yet looked at. */
  #changed: Watch[] = [];
  /** Those ready at the last wait: level-triggered, they are looked at again whether or not libuv says more. */
  #ready: Watch[] = [];
  #resolve: ((ready: readonly Readiness[]) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  readonly #flush = (): void => this.#finishWait();

  setInterest(descriptor: FileDescriptor, interest: Interest, on: boolean): void {
    if (!isLibuvDescriptor(descriptor)) {
      throw new TypeError(
        `${descriptor.logPrefix()}: the libuv poller can only watch descriptors with isReadable/isWritable`,
      );
    }
    descriptor.watch ??= new Watch(this, descriptor);
    const watch = descriptor.watch as Watch;
    if (interest === 'read') watch.reading = on;
    else watch.writing = on;
    // It may be ready already (data buffered while nobody was reading): look at it next wait. A
    // watch that lost all interest simply drops out of the lists at the next look.
    if (on) this.look(watch);
  }

  wait(timeout: number | null): Promise<readonly Readiness[]> {
    if (this.#resolve) throw new Error('LibuvPoller.wait: a wait is already in progress');
    return new Promise((resolve) => {
      this.#resolve = resolve;
      if (this.#changed.length > 0 || this.#ready.length > 0 || timeout === 0) {
        this.#scheduleFlush();
      } else if (timeout !== null) {
        // setTimeout fires at once beyond its longest delay; a longer wait simply turns the loop once more.
        this.#timer = setTimeout(this.#flush, Math.min(longestTimeoutMs, Math.ceil(timeout * 1000)));
      }
    });
  }

  wakeUp(): void {
    if (this.#resolve) this.#scheduleFlush();
  }

  close(): void {
    this.#clearTimers();
    this.#resolve = undefined;
  }

  /** @internal `watch` is to be looked at on the current or next wait. */
  look(watch: Watch): void {
    if (!watch.queued) {
      watch.queued = true;
      this.#changed.push(watch);
    }
    if (this.#resolve) this.#scheduleFlush();
  }

  /** After libuv's poll phase, so every socket it found ready in this iteration is in the batch. */
  #scheduleFlush(): void {
    this.#immediate ??= setImmediate(this.#flush);
  }

  #finishWait(): void {
    this.#clearTimers();
    const resolve = this.#resolve;
    if (!resolve) return;
    this.#resolve = undefined;
    const ready: Watch[] = [];
    // The two lists never share a watch: a queued watch is not queued again.
    for (const watch of this.#ready) lookAt(watch, ready);
    for (const watch of this.#changed) lookAt(watch, ready);
    this.#ready = ready;
    this.#changed = [];
    resolve(ready);
  }

  #clearTimers(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }
}

/** Notes what `watch` is ready for now; a ready one goes into `ready` and stays queued for the next look. */
function lookAt(watch: Watch, ready: Watch[]): void {
  watch.readable = watch.reading && watch.descriptor.isReadable();
  watch.writable = watch.writing && watch.descriptor.isWritable();
  if (watch.readable || watch.writable) ready.push(watch);
  else watch.queued = false;
}
