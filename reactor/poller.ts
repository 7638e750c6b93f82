/**
 * The "select" step of the reactor, behind one small interface so another way of waiting could
 * replace it. A `Poller` is told which descriptors the reactor wants to read from or write to, and
 * `wait` resolves with the ones that are ready, or with none when the timeout passes first.
 *
 * `LibuvPoller` is the one built on Node: libuv already polls every socket, so instead of asking
 * the kernel again it listens to what libuv reports (bytes read, a connect completed, the end of a
 * stream, an error) through the descriptor's `readinessChanged` hook. Readiness is
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
 * A descriptor the libuv poller can watch: it says whether it is ready right now, and calls
 * `readinessChanged` whenever libuv told it something that might change the answer.
 */
export interface LibuvDescriptor extends FileDescriptor {
  isReadable(): boolean;
  isWritable(): boolean;
  readinessChanged: (() => void) | undefined;
}

function isLibuvDescriptor(descriptor: FileDescriptor): descriptor is LibuvDescriptor {
  const candidate = descriptor as Partial<LibuvDescriptor>;
  return typeof candidate.isReadable === 'function' && typeof candidate.isWritable === 'function';
}

export class LibuvPoller implements Poller {
  readonly #readers = new Set<LibuvDescriptor>();
  readonly #writers = new Set<LibuvDescriptor>();
  /** Descriptors to look at on the next wait: those libuv told us about, and those ready last turn. */
  #candidates = new Set<LibuvDescriptor>();
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
    const set = interest === 'read' ? this.#readers : this.#writers;
    if (on) {
      set.add(descriptor);
      descriptor.readinessChanged ??= () => this.#changed(descriptor);
      // It may be ready already (data buffered while nobody was reading): look at it next wait.
      this.#changed(descriptor);
    } else {
      set.delete(descriptor);
      if (!this.#readers.has(descriptor) && !this.#writers.has(descriptor)) {
        this.#candidates.delete(descriptor);
        descriptor.readinessChanged = undefined;
      }
    }
  }

  wait(timeout: number | null): Promise<readonly Readiness[]> {
    if (this.#resolve) throw new Error('LibuvPoller.wait: a wait is already in progress');
    return new Promise((resolve) => {
      this.#resolve = resolve;
      if (this.#candidates.size > 0 || timeout === 0) {
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

  #changed(descriptor: LibuvDescriptor): void {
    this.#candidates.add(descriptor);
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
    const ready: Readiness[] = [];
    const stillReady = new Set<LibuvDescriptor>();
    for (const descriptor of this.#candidates) {
      const readable = this.#readers.has(descriptor) && descriptor.isReadable();
      const writable = this.#writers.has(descriptor) && descriptor.isWritable();
      if (readable || writable) {
        ready.push({ descriptor, readable, writable });
        stillReady.add(descriptor);
      }
    }
    // Level-triggered: what is ready now is looked at again next time, in case one turn did not drain it.
    this.#candidates = stillReady;
    resolve(ready);
  }

  #clearTimers(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }
}
