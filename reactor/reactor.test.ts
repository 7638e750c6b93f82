/**
 * The reactor's loop, driven two ways: by a scripted poller over a hand-moved time source (the
 * same `Scheduler` the real reactor uses), so each turn is exact; and by the real libuv poller,
 * to check what only real time and a real process can show (waking up, exiting).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { Scheduler } from './clock.ts';
import { ConnectionLost, ReactorAlreadyRunning, ReactorNotRunning } from './errors.ts';
import type { FileDescriptor } from './interfaces.ts';
import type { Interest, Poller, Readiness } from './poller.ts';
import { Reactor } from './reactor.ts';

/** One scripted select: these descriptors are ready, or time moved to `now` with nothing ready. */
type Step = { readonly ready: readonly FileDescriptor[] } | { readonly now: number };

/** A poller that plays a script, one step per wait, and stops the reactor when the script ends. */
class ScriptedPoller implements Poller {
  readonly readers = new Set<FileDescriptor>();
  readonly timeouts: (number | null)[] = [];
  reactor: Reactor | undefined;
  readonly #steps: Step[];
  readonly #setNow: (now: number) => void;

  constructor(steps: Step[], setNow: (now: number) => void) {
    this.#steps = steps;
    this.#setNow = setNow;
  }

  setInterest(descriptor: FileDescriptor, interest: Interest, on: boolean): void {
    if (interest !== 'read') return;
    if (on) this.readers.add(descriptor);
    else this.readers.delete(descriptor);
  }

  wait(timeout: number | null): Promise<readonly Readiness[]> {
    this.timeouts.push(timeout);
    const step = this.#steps.shift();
    if (!step) {
      this.reactor?.stop();
      return Promise.resolve([]);
    }
    if ('now' in step) {
      this.#setNow(step.now);
      return Promise.resolve([]);
    }
    return Promise.resolve(step.ready.map((descriptor) => ({ descriptor, readable: true, writable: false })));
  }

  wakeUp(): void {}
  close(): void {}
}

class RecordingDescriptor implements FileDescriptor {
  readonly reads: number[] = [];
  lost: Error | undefined;
  readonly #name: string;
  readonly #onRead: () => void;

  constructor(name: string, onRead: () => void = () => {}) {
    this.#name = name;
    this.#onRead = onRead;
  }

  doRead(): void {
    this.reads.push(this.reads.length);
    this.#onRead();
  }
  doWrite(): void {}
  connectionLost(reason: Error): void {
    this.lost = reason;
  }
  logPrefix(): string {
    return this.#name;
  }
}

function scripted(steps: Step[]) {
  let now = 0;
  const clock = new Scheduler(() => now);
  const poller = new ScriptedPoller(steps, (t) => {
    now = t;
  });
  const logged: { error: unknown; source: string }[] = [];
  const reactor = new Reactor({ clock, poller, log: (error, source) => logged.push({ error, source }) });
  poller.reactor = reactor;
  return { reactor, poller, logged };
}

describe('Reactor loop (scripted poller, hand-moved time)', () => {
  it('waits exactly until the next delayed call and runs due calls in order', async () => {
    const { reactor, poller } = scripted([{ now: 1 }, { now: 2.5 }, { now: 4 }]);
    const ran: string[] = [];
    reactor.callLater(2.5, () => ran.push('b'));
    reactor.callLater(1, () => ran.push('a'));
    reactor.callLater(4, () => ran.push('c'));
    await reactor.run();
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(poller.timeouts.slice(0, 3)).toEqual([1, 1.5, 1.5]);
    // With nothing scheduled the select waits without a limit.
    expect(poller.timeouts[3]).toBeNull();
  });

  it('callWhenRunning: queued calls run in order when the loop starts; while running, at once', async () => {
    const { reactor } = scripted([{ now: 1 }]);
    const ran: string[] = [];
    reactor.callWhenRunning(() => ran.push('first'));
    reactor.callWhenRunning(() => {
      ran.push('second');
      reactor.callWhenRunning(() => ran.push('nested, synchronously'));
      ran.push('after nested');
    });
    expect(ran).toEqual([]);
    await reactor.run();
    expect(ran).toEqual(['first', 'second', 'nested, synchronously', 'after nested']);
  });

  it('a reader that throws is logged and dropped; the others in the same turn and later turns go on', async () => {
    const failing = new RecordingDescriptor('Failing', () => {
      throw new Error('broken protocol');
    });
    const before = new RecordingDescriptor('Before');
    const after = new RecordingDescriptor('After');
    const { reactor, logged } = scripted([{ ready: [before, failing, after] }, { ready: [before, failing, after] }]);
    for (const d of [before, failing, after]) reactor.addReader(d);
    await reactor.run();
    expect(failing.reads).toEqual([0]);
    expect(before.reads).toEqual([0, 1]);
    expect(after.reads).toEqual([0, 1]);
    expect(failing.lost?.message).toBe('broken protocol');
    expect(logged.map((l) => l.source)).toEqual(['Failing']);
    expect(reactor.getReaders()).toEqual([]);
    // Stopping disconnected the two still registered, with ConnectionLost.
    expect(before.lost).toBeInstanceOf(ConnectionLost);
    expect(after.lost).toBeInstanceOf(ConnectionLost);
  });

  it('a descriptor removed earlier in a turn is not called later in that turn', async () => {
    const second = new RecordingDescriptor('Second');
    const first = new RecordingDescriptor('First', () => reactor.removeReader(second));
    const { reactor } = scripted([{ ready: [first, second] }]);
    reactor.addReader(first);
    reactor.addReader(second);
    await reactor.run();
    expect(first.reads).toEqual([0]);
    expect(second.reads).toEqual([]);
  });

  it('a delayed call that throws is logged and the loop goes on', async () => {
    const { reactor, logged } = scripted([{ now: 1 }, { now: 2 }]);
    const ran: string[] = [];
    reactor.callLater(1, () => {
      throw new Error('bad timer');
    });
    reactor.callLater(1, () => ran.push('same turn'));
    reactor.callLater(2, () => ran.push('next turn'));
    await reactor.run();
    expect(ran).toEqual(['same turn', 'next turn']);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.error).toEqual(new Error('bad timer'));
  });

  it('stop when not running, stop twice and run twice are clear errors; run again after stop works', async () => {
    const { reactor } = scripted([{ now: 1 }, { now: 5 }]);
    expect(() => reactor.stop()).toThrow(ReactorNotRunning);
    const ran: number[] = [];
    reactor.callLater(1, () => {
      ran.push(reactor.seconds());
      reactor.stop();
      expect(() => reactor.stop()).toThrow(ReactorNotRunning);
    });
    reactor.callLater(5, () => ran.push(reactor.seconds()));
    const running = reactor.run();
    expect(() => reactor.run()).toThrow(ReactorAlreadyRunning);
    await running;
    expect(ran).toEqual([1]);
    expect(reactor.running).toBe(false);
    // The call due at 5 survived the stop and runs in the next run.
    await reactor.run();
    expect(ran).toEqual([1, 5]);
  });
});

describe('Reactor loop (real libuv poller)', () => {
  it('runs real delayed calls in due order', async () => {
    const reactor = new Reactor();
    const ran: string[] = [];
    reactor.callLater(0.03, () => ran.push('c'));
    reactor.callLater(0.01, () => ran.push('a'));
    reactor.callLater(0.01, () => ran.push('b'));
    reactor.callLater(0.04, () => reactor.stop());
    await reactor.run();
    expect(ran).toEqual(['a', 'b', 'c']);
  });

  it('a call scheduled from outside the loop wakes a long wait', async () => {
    const reactor = new Reactor();
    const far = reactor.callLater(3600, () => {});
    setTimeout(() => reactor.callLater(0, () => reactor.stop()), 10);
    await reactor.run();
    expect(far.active()).toBe(true);
    far.cancel();
  });

  it("a call due beyond setTimeout's 2^31 - 1 ms runs then, not before (fake timers and monotonic clock)", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const reactor = new Reactor();
      let ran = false;
      reactor.callLater(3e6, () => {
        ran = true;
        reactor.stop();
      });
      const running = reactor.run();
      await vi.advanceTimersByTimeAsync(3e9 - 1);
      expect(ran).toBe(false);
      // The poller rounds a wait up to the next whole millisecond, so the call may run 1 ms late, never early.
      await vi.advanceTimersByTimeAsync(2);
      await running;
      expect(ran).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stop() from outside the loop ends it', async () => {
    const reactor = new Reactor();
    reactor.callLater(3600, () => {});
    setTimeout(() => reactor.stop(), 10);
    await reactor.run();
    expect(reactor.running).toBe(false);
  });

  it('does not keep the process alive once stopped', async () => {
    const script = fileURLToPath(new URL('./test-fixtures/run-and-stop.ts', import.meta.url));
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', script], { timeout: 30_000 }, (error, out) =>
        resolve({ code: error ? (error.code as number | null) : 0, stdout: out }),
      );
      child.stdin?.end();
    });
    expect(stdout).toContain('stopped');
    expect(code).toBe(0);
  });
});
