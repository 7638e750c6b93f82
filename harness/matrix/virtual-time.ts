/**
 * Dimension 13, virtual time: can the model's timeouts be tested on a fake clock? The probe is
 * that test. In the model process it replaces the timer functions and `performance.now` with a
 * clock of its own, then fetches from a server that stalls, with a one-minute timeout: once the
 * connection is made (real I/O, real turns of the loop), the clock is moved to just before the
 * deadline, where nothing may happen, and then to it, where `TIMEOUT` must arrive at once, in real
 * milliseconds. A model whose timers do not follow the fake clock never times out here: the answer
 * is no. `setImmediate` and I/O stay real, as vitest's fake timers leave them by default.
 */
import { startFaultyServer } from '../../poetry/servers/index.ts';
import { measured, type Probe, single } from './cell.ts';
import { childFunction } from './child.ts';
import { ms, tenth } from './format.ts';

const timeoutMs = 60_000;

interface VirtualOutcome {
  readonly connected: boolean;
  /** What the result was once the clock stood 1 ms before the deadline. */
  readonly beforeDeadline: string;
  /** What it was after the clock reached the deadline (and a bounded real wait). */
  readonly atDeadline: string;
  /** Real milliseconds from reaching the deadline to the result. */
  readonly realMs?: number;
}

/** A fake clock: timers due at virtual times, run in order as the clock is moved. */
class FakeClock {
  #now = 0;
  #nextId = 1;
  readonly #timers = new Map<number, { due: number; fn: () => void; every?: number }>();

  now = () => this.#now;

  schedule(fn: () => void, delay: number, every?: number): FakeTimer {
    const id = this.#nextId++;
    const wait = Number.isFinite(delay) && delay > 1 ? delay : 1;
    this.#timers.set(id, { due: this.#now + wait, fn, ...(every !== undefined && { every: wait }) });
    return new FakeTimer(id, this);
  }

  clear(id: number): void {
    this.#timers.delete(id);
  }

  /** Moves the clock to `to`, running every timer due by then, earliest first. */
  advanceTo(to: number): void {
    for (;;) {
      let next: [number, { due: number; fn: () => void; every?: number }] | undefined;
      for (const entry of this.#timers) if (entry[1].due <= to && (!next || entry[1].due < next[1].due)) next = entry;
      if (!next) break;
      const [id, timer] = next;
      this.#now = timer.due;
      if (timer.every === undefined) this.#timers.delete(id);
      else timer.due += timer.every;
      timer.fn();
    }
    this.#now = to;
  }
}

/** What the fake `setTimeout` hands back: enough of Node's `Timeout` for a client to use. */
class FakeTimer {
  constructor(
    readonly id: number,
    readonly clock: FakeClock,
  ) {}
  ref() {
    return this;
  }
  unref() {
    return this;
  }
  hasRef() {
    return true;
  }
  refresh() {
    return this;
  }
  [Symbol.toPrimitive]() {
    return this.id;
  }
}

type TimerArgs = unknown[];

export const virtualTimeInChild = childFunction<{ address: { host: string; port: number } }, VirtualOutcome>(
  import.meta.url,
  'virtualTimeInChild',
  async (model, { address }) => {
    const real = {
      setTimeout: globalThis.setTimeout,
      clearTimeout: globalThis.clearTimeout,
      setInterval: globalThis.setInterval,
      clearInterval: globalThis.clearInterval,
      now: performance.now,
    };
    const realNow = performance.now.bind(performance);
    const wait = (msReal: number) => new Promise((resolve) => real.setTimeout(resolve, msReal));
    const clock = new FakeClock();
    const clear = (timer: unknown) => {
      if (timer instanceof FakeTimer) clock.clear(timer.id);
      else if (typeof timer === 'number') clock.clear(timer);
    };
    const fake = {
      setTimeout: (fn: (...args: TimerArgs) => void, delay?: number, ...args: TimerArgs) =>
        clock.schedule(() => fn(...args), delay ?? 0),
      setInterval: (fn: (...args: TimerArgs) => void, delay?: number, ...args: TimerArgs) =>
        clock.schedule(() => fn(...args), delay ?? 0, delay ?? 0),
    };
    const globals = globalThis as unknown as Record<string, unknown>;
    globals.setTimeout = fake.setTimeout;
    globals.setInterval = fake.setInterval;
    globals.clearTimeout = clear;
    globals.clearInterval = clear;
    const start = realNow();
    performance.now = () => start + clock.now();
    const controller = new AbortController();
    let outcome = 'pending';
    let settledAt: number | undefined;
    try {
      let connected = false;
      const fetching = model.getPoems([address], {
        timeoutMs,
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'connected') connected = true;
        },
      });
      void fetching.then((results) => {
        const [result] = results;
        outcome = result === undefined ? 'no result' : result.ok ? 'a poem' : result.error.code;
        settledAt = realNow();
      });
      for (let waited = 0; !connected && waited < 2000; waited += 5) await wait(5);
      // A runtime may turn its loop on a zero-delay timer, which is fake too: a few 1 ms steps with
      // real waits between let it finish setting up, so the deadline is set by the time the clock
      // jumps, whatever the order I/O and timers came in. Its deadline is then at most settled + timeout.
      for (let step = 0; step < 10; step++) {
        clock.advanceTo(clock.now() + 1);
        await wait(10);
      }
      const settled = clock.now();
      // Nothing started before the fake clock's 0, so nothing may time out before timeoutMs.
      clock.advanceTo(timeoutMs - 1);
      await wait(50);
      const beforeDeadline = outcome;
      clock.advanceTo(settled + timeoutMs);
      const reachedAt = realNow();
      for (let waited = 0; outcome === 'pending' && waited < 1000; waited += 5) await wait(5);
      const atDeadline = outcome;
      if (outcome === 'pending') {
        // Not on the fake clock: cancel on the real one, so the model process is left clean.
        controller.abort();
        await fetching;
      }
      return {
        connected,
        beforeDeadline,
        atDeadline,
        ...(settledAt !== undefined && atDeadline !== 'pending' && { realMs: settledAt - reachedAt }),
      };
    } finally {
      Object.assign(globals, {
        setTimeout: real.setTimeout,
        clearTimeout: real.clearTimeout,
        setInterval: real.setInterval,
        clearInterval: real.clearInterval,
      });
      performance.now = real.now;
    }
  },
);

export const virtualTime: Probe = {
  id: 13,
  title: 'Virtual time',
  says: "can the model's timeouts be tested on a fake clock? (this probe is that test)",
  file: 'harness/matrix/virtual-time.ts',
  better: 'lower',
  stable: true,
  // A runtime that had a timer pending on the real clock before the fake one went in (a reactor's
  // loop, after the probes before) would answer by the order probes ran in, not by its own design.
  freshProcess: true,
  budgetMs: 15_000,
  async measure({ client, lab, signal }) {
    const stall = await lab.keep(startFaultyServer({ mode: 'stall' }));
    const outcome = await client.call(virtualTimeInChild, { address: stall.address }, signal);
    const figures = {
      timeoutMs,
      connected: outcome.connected,
      beforeDeadline: outcome.beforeDeadline,
      atDeadline: outcome.atDeadline,
      ...(outcome.realMs !== undefined && { realMsAfterDeadline: tenth(outcome.realMs) }),
    };
    const onTime = outcome.beforeDeadline === 'pending' && outcome.atDeadline === 'TIMEOUT';
    const stable = onTime
      ? 'yes: TIMEOUT when the fake clock reaches the deadline, not before'
      : outcome.atDeadline === 'pending'
        ? 'no: its timeout does not follow a fake clock'
        : `no: ${outcome.beforeDeadline === 'pending' ? outcome.atDeadline : `${outcome.beforeDeadline} before the deadline`}`;
    const text = onTime && outcome.realMs !== undefined ? `${stable} (${ms(outcome.realMs)} real)` : stable;
    return single(measured(text, figures, { stable, score: onTime ? 0 : 1 }));
  },
};
