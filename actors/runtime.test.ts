/**
 * The runtime against the Erlang checklist (A1–A5 in actors/README.md): one case per
 * statement, numbered as there. Processes run for real on the event loop; waits are bounded by
 * `after` and assertions are about order and reasons, never about how long anything took.
 * Timeouts beyond setTimeout's 2^31 - 1 ms — `receive … after`, and through it a gen_server call
 * and a supervisor's shutdown time — run on the fake clock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CallError, call } from './gen_server.ts';
import {
  type ActorError,
  type CrashReport,
  clause,
  type DownMessage,
  demonitor,
  type ExitMessage,
  exit,
  isAlive,
  isDown,
  isExit,
  link,
  mailboxSize,
  monitor,
  type Pid,
  processCount,
  receive,
  register,
  registered,
  run,
  self,
  send,
  setCrashReporter,
  sleep,
  spawn,
  spawnLink,
  spawnMonitor,
  TIMEOUT,
  trapExits,
  unlink,
  unregister,
  whereis,
} from './runtime.ts';
import { supervisor, whichChildren } from './supervisor.ts';

const reports: CrashReport[] = [];
setCrashReporter((report) => reports.push(report));
afterEach(() => {
  reports.length = 0;
});

/** A process that waits for ever (until it is told `stop`). */
function* idle() {
  yield* receive((m) => m === 'stop');
}

/** The DOWN for `ref`, waiting at most a generous second. */
function* downFor(ref: unknown) {
  const down = yield* receive((m: unknown): m is DownMessage => isDown(m) && m.ref === ref, { after: 1000 });
  if (down === TIMEOUT) throw new Error('no DOWN arrived');
  return down;
}

function* exitFrom(pid: Pid | undefined) {
  const message = yield* receive((m: unknown): m is ExitMessage => isExit(m) && m.from === pid, { after: 1000 });
  if (message === TIMEOUT) throw new Error('no EXIT arrived');
  return message;
}

describe('A1 spawn and exit reasons', () => {
  it('1: spawn returns a pid at once; a body that returns ends with normal', async () => {
    const reason = await run(function* () {
      let ran = false;
      const { pid, ref } = spawnMonitor(() => {
        ran = true;
      });
      expect(ran).toBe(false);
      expect(isAlive(pid)).toBe(true);
      return (yield* downFor(ref)).reason;
    });
    expect(reason).toBe('normal');
  });

  it('2: exit(R) inside a process ends it with R, even when it traps exits', async () => {
    const reason = await run(function* () {
      const { ref } = spawnMonitor(() => {
        trapExits(true);
        exit({ custom: 1 });
      });
      return (yield* downFor(ref)).reason;
    });
    expect(reason).toEqual({ custom: 1 });
  });

  it('3: an uncaught error is the exit reason, with its stack, and is reported, not thrown at Node', async () => {
    const reason = await run(function* () {
      const { ref } = spawnMonitor(() => {
        (null as unknown as { x: number }).x;
      });
      return (yield* downFor(ref)).reason;
    });
    expect(reason).toBeInstanceOf(TypeError);
    expect((reason as Error).stack).toContain('runtime.test.ts');
    expect(reports.map((r) => r.reason)).toEqual([reason]);
  });

  it('a deliberate exit(R) is not a crash report; a normal or shutdown exit neither', async () => {
    await run(function* () {
      for (const body of [
        () => {
          exit(new Error('deliberate'));
        },
        () => {
          throw 'shutdown';
        },
      ]) {
        yield* downFor(spawnMonitor(body).ref);
      }
    });
    expect(reports).toEqual([]);
  });

  it('4: spawnLink links before the child runs, so even an instant crash reaches the parent', async () => {
    const message = await run(function* () {
      trapExits(true);
      const child = spawnLink(() => {
        throw new Error('at once');
      });
      return yield* exitFrom(child);
    });
    expect((message.reason as Error).message).toBe('at once');
  });

  it('5: spawnMonitor gives pid and ref; the DOWN names both and the reason', async () => {
    const [down, pid, ref] = await run(function* () {
      const { pid, ref } = spawnMonitor(() => {
        exit('why');
      });
      return [yield* downFor(ref), pid, ref] as const;
    });
    expect(down).toEqual({ type: 'DOWN', ref, pid, reason: 'why' });
  });
});

describe('A2 monitors', () => {
  it('6: a monitor is one-way: the watcher survives the crash and gets DOWN', async () => {
    const survived = await run(function* () {
      const pid = spawn(function* () {
        yield* receive();
        throw new Error('crash');
      });
      const ref = monitor(pid);
      send(pid, 'go');
      yield* downFor(ref);
      return true;
    });
    expect(survived).toBe(true);
  });

  it('7: monitoring a dead pid is no error; DOWN comes at once with noproc', async () => {
    const reason = await run(function* () {
      const { pid, ref } = spawnMonitor(() => {});
      yield* downFor(ref);
      return (yield* downFor(monitor(pid))).reason;
    });
    expect(reason).toBe('noproc');
  });

  it('8: two monitors on one process give two refs and two DOWNs', async () => {
    const count = await run(function* () {
      const pid = spawn(idle);
      const refs = [monitor(pid), monitor(pid)];
      expect(refs[0]).not.toBe(refs[1]);
      send(pid, 'stop');
      for (const ref of refs) yield* downFor(ref);
      return refs.length;
    });
    expect(count).toBe(2);
  });

  it('9: a monitor by name names the process that way and follows the process, not the name', async () => {
    const down = await run(function* () {
      const pid = spawn(idle);
      register('watched-by-name', pid);
      const ref = monitor('watched-by-name');
      unregister('watched-by-name');
      send(pid, 'stop');
      return yield* downFor(ref);
    });
    expect(down.pid).toBe('watched-by-name');
    expect(down.reason).toBe('normal');
  });

  it('10-12: demonitor stops future DOWNs (true); flush removes one already queued (false)', async () => {
    const outcome = await run(function* () {
      const a = spawn(idle);
      const activeRef = monitor(a);
      const removedWhileActive = demonitor(activeRef);
      send(a, 'stop');
      const { ref: queuedRef } = spawnMonitor(() => {});
      // Let the second process end so its DOWN is already in our mailbox.
      yield* sleep(20);
      const sizeBefore = mailboxSize();
      const removedAfterDown = demonitor(queuedRef, { flush: true });
      const anyDown = yield* receive(isDown, { after: 50 });
      return { removedWhileActive, removedAfterDown, sizeBefore, anyDown };
    });
    expect(outcome).toEqual({ removedWhileActive: true, removedAfterDown: false, sizeBefore: 1, anyDown: TIMEOUT });
  });
});

describe('A3 links and exit signals', () => {
  it('14: an abnormal exit kills a linked process that does not trap, and goes on down the chain', async () => {
    const reasons = await run(function* () {
      const me = self();
      const middle = spawn(function* () {
        const leaf = spawnLink(idle);
        send(me, leaf);
        yield* receive(() => false);
      });
      const leaf = (yield* receive()) as Pid;
      const refs = [monitor(middle), monitor(leaf)];
      const crasher = spawn(function* () {
        link(middle);
        yield* receive();
        exit('boom');
      });
      send(crasher, 'go');
      const downs = [];
      for (const ref of refs) downs.push((yield* downFor(ref)).reason);
      return downs;
    });
    expect(reasons).toEqual(['boom', 'boom']);
  });

  it('13: a normal exit is not propagated, but a trapping process sees EXIT normal', async () => {
    const outcome = await run(function* () {
      const plain = spawn(function* () {
        spawnLink(() => {});
        yield* receive((m) => m === 'stop');
      });
      trapExits(true);
      const child = spawnLink(() => {});
      const message = yield* exitFrom(child);
      yield* sleep(20);
      const alive = isAlive(plain);
      send(plain, 'stop');
      return { alive, reason: message.reason };
    });
    expect(outcome).toEqual({ alive: true, reason: 'normal' });
  });

  it('15: a linked process that exits with reason kill passes kill on (not killed); trapping sees kill', async () => {
    const outcome = await run(function* () {
      trapExits(true);
      const me = self();
      const victim = spawn(function* () {
        const killer = spawnLink(function* () {
          yield* receive();
          exit('kill');
        });
        send(me, killer);
        yield* receive(() => false);
      });
      const killer = (yield* receive()) as Pid;
      const ref = monitor(victim);
      const trapped = spawnLink(() => {});
      yield* exitFrom(trapped);
      link(killer);
      send(killer, 'go');
      return { victim: (yield* downFor(ref)).reason, trapping: (yield* exitFrom(killer)).reason };
    });
    expect(outcome).toEqual({ victim: 'kill', trapping: 'kill' });
  });

  it('16/17: exit(P, normal) is ignored unless P traps; exit(P, R) kills or becomes EXIT', async () => {
    const outcome = await run(function* () {
      const me = self();
      const plain = spawn(idle);
      const plainRef = monitor(plain);
      exit(plain, 'normal');
      const ignored = (yield* receive(isDown, { after: 30 })) === TIMEOUT;
      exit(plain, 'reason17');
      const killedWith = (yield* downFor(plainRef)).reason;
      const trapper = spawn(function* () {
        trapExits(true);
        send(me, 'ready');
        const first = yield* receive(isExit);
        const second = yield* receive(isExit);
        send(me, [first.reason, second.reason, first.from === me]);
      });
      yield* receive((m) => m === 'ready');
      exit(trapper, 'normal');
      exit(trapper, 'reason17');
      const seen = yield* receive(Array.isArray);
      return { ignored, killedWith, seen };
    });
    expect(outcome).toEqual({ ignored: true, killedWith: 'reason17', seen: ['normal', 'reason17', true] });
  });

  it('18: exit(P, kill) cannot be trapped: P dies with killed, and its links see killed', async () => {
    const outcome = await run(function* () {
      trapExits(true);
      const me = self();
      const target = spawn(function* () {
        trapExits(true);
        link(me);
        send(me, 'linked');
        yield* receive(() => false);
      });
      yield* receive((m) => m === 'linked');
      const ref = monitor(target);
      exit(target, 'kill');
      return { down: (yield* downFor(ref)).reason, linked: (yield* exitFrom(target)).reason };
    });
    expect(outcome).toEqual({ down: 'killed', linked: 'killed' });
  });

  it('19: exit(self(), normal) ends the process with normal, at once', async () => {
    const outcome = await run(function* () {
      let after = false;
      const { ref } = spawnMonitor(() => {
        exit(self(), 'normal');
        after = true;
      });
      return { reason: (yield* downFor(ref)).reason, after };
    });
    expect(outcome).toEqual({ reason: 'normal', after: false });
  });

  it('20: after unlink, the other side dying sends nothing', async () => {
    const got = await run(function* () {
      trapExits(true);
      const other = spawnLink(idle);
      unlink(other);
      exit(other, 'kill');
      return yield* receive(isExit, { after: 50 });
    });
    expect(got).toBe(TIMEOUT);
  });

  it('21: link to a dead pid is a noproc error, or an EXIT noproc when trapping', async () => {
    const outcome = await run(function* () {
      const { pid, ref } = spawnMonitor(() => {});
      yield* downFor(ref);
      let error: unknown;
      try {
        link(pid);
      } catch (caught) {
        error = caught;
      }
      trapExits(true);
      link(pid);
      return { error: (error as ActorError).reason, message: (yield* exitFrom(pid)).reason };
    });
    expect(outcome).toEqual({ error: 'noproc', message: 'noproc' });
  });

  it('a killed process runs its finally blocks (where it closes what it holds) and its timer is cleared', async () => {
    const before = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const cleaned = await run(function* () {
      let closed = false;
      const pid = spawn(function* () {
        try {
          yield* receive(() => false, { after: 60_000 });
        } finally {
          closed = true;
        }
      });
      yield* sleep(10);
      const ref = monitor(pid);
      exit(pid, 'kill');
      yield* downFor(ref);
      return closed;
    });
    expect(cleaned).toBe(true);
    expect(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length).toBe(before);
  });
});

describe('A4 send and selective receive', () => {
  it('22: send to a dead pid is dropped silently and returns the message', async () => {
    const returned = await run(function* () {
      const { pid, ref } = spawnMonitor(() => {});
      yield* downFor(ref);
      return send(pid, 'lost');
    });
    expect(returned).toBe('lost');
  });

  it('23: send to an unregistered name is badarg', async () => {
    await expect(
      run(() => {
        send('nobody-has-this-name', 'x');
      }),
    ).rejects.toMatchObject({ reason: 'badarg' });
  });

  it('24: messages from one sender arrive in the order sent', async () => {
    const got = await run(function* () {
      const me = self();
      spawn(() => {
        for (let i = 0; i < 100; i++) send(me, i);
      });
      const seen: unknown[] = [];
      for (let i = 0; i < 100; i++) seen.push(yield* receive());
      return seen;
    });
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('25: selective receive takes the first match; the others keep their order', async () => {
    const got = await run(function* () {
      const me = self();
      for (const m of ['a', 'b', 'c']) send(me, m);
      const first = yield* receive((m) => m === 'b' || m === 'c');
      return [first, yield* receive(), yield* receive()];
    });
    expect(got).toEqual(['b', 'a', 'c']);
  });

  it('25: patterns are tried per message in mailbox order, not per pattern', async () => {
    const got = await run(function* () {
      const me = self();
      send(me, 'x');
      send(me, 'y');
      return yield* receive([(m) => m === 'y', (m) => m === 'x']);
    });
    expect(got).toBe('x');
  });

  it('25 with clauses: the first message any clause matches is taken; the first clause that matches it runs', async () => {
    const got = await run(function* () {
      const me = self();
      for (const m of [1, 'two', 3]) send(me, m);
      const clauses = [
        clause(
          (m): m is string => typeof m === 'string',
          (s) => `string ${s}`,
        ),
        clause(
          (m): m is number => typeof m === 'number',
          (n) => `number ${n}`,
        ),
        clause(
          (m): m is number => m === 1,
          () => 'never: the clause before matches 1 first',
        ),
      ];
      return [yield* receive(clauses), yield* receive(clauses), yield* receive(clauses)];
    });
    expect(got).toEqual(['number 1', 'string two', 'number 3']);
  });

  it('with clauses, after gives TIMEOUT without running a body and leaves what no clause matches', async () => {
    let bodies = 0;
    const got = await run(function* () {
      send(self(), 'unmatched');
      const result = yield* receive(
        [
          clause(
            (m) => m === 'wanted',
            () => bodies++,
          ),
        ],
        { after: 5 },
      );
      return [result, mailboxSize()];
    });
    expect(got).toEqual([TIMEOUT, 1]);
    expect(bodies).toBe(0);
  });

  it("a clause body runs in the receiving process: exit in a body is that process's exit", async () => {
    const reason = await run(function* () {
      const { pid, ref } = spawnMonitor(function* () {
        yield* receive([
          clause(
            (m) => m === 'stop',
            () => exit('stopped in the body'),
          ),
        ]);
        return 'never reached';
      });
      send(pid, 'stop');
      return (yield* downFor(ref)).reason;
    });
    expect(reason).toBe('stopped in the body');
  });

  it('26/28/29: after gives TIMEOUT and leaves unmatched messages; no patterns sleeps', async () => {
    const got = await run(function* () {
      send(self(), 'x');
      const timedOut = yield* receive((m) => m === 'y', { after: 20 });
      yield* sleep(5);
      const forever = spawn(function* () {
        send(self(), 'late');
        return yield* receive((m) => m === 'late', { after: Number.POSITIVE_INFINITY });
      });
      return [timedOut, mailboxSize(), yield* receive(), isAlive(forever)];
    });
    expect(got).toEqual([TIMEOUT, 1, 'x', true]);
  });

  it('27: after 0 polls: a match if there is one, TIMEOUT otherwise, without waiting for new ones', async () => {
    const got = await run(function* () {
      const empty = yield* receive(undefined, { after: 0 });
      send(self(), 'here');
      return [empty, yield* receive(undefined, { after: 0 })];
    });
    expect(got).toEqual([TIMEOUT, 'here']);
  });

  it('30: a guard that fails leaves the message where it was', async () => {
    const got = await run(function* () {
      const me = self();
      for (const n of [3, 9, 4]) send(me, { n });
      const big = yield* receive((m: unknown): m is { n: number } => (m as { n: number }).n > 5);
      return [big.n, ((yield* receive()) as { n: number }).n, mailboxSize()];
    });
    expect(got).toEqual([9, 3, 1]);
  });

  it('messages are frozen all the way down; Buffers and Pids travel by reference', async () => {
    const outcome = await run(function* () {
      const bytes = Buffer.from('abc');
      const message = send(self(), { list: [{ deep: 1 }], bytes, from: self() });
      const got = (yield* receive()) as typeof message;
      return { same: got === message, frozen: Object.isFrozen(got.list[0]), bytes: got.bytes === bytes };
    });
    expect(outcome).toEqual({ same: true, frozen: true, bytes: true });
  });
});

describe('A5 registered names', () => {
  it('31/32/35: register, whereis, registered; unknown names are undefined', async () => {
    const got = await run(() => {
      register('me-31', self());
      return [whereis('me-31') === self(), whereis('unknown-32'), registered().includes('me-31')];
    });
    expect(got).toEqual([true, undefined, true]);
  });

  it('33: a name is released when its process ends, before its DOWN is sent', async () => {
    const seen = await run(function* () {
      const { pid, ref } = spawnMonitor(idle);
      register('dies-33', pid);
      send('dies-33', 'stop');
      yield* downFor(ref);
      return whereis('dies-33');
    });
    expect(seen).toBeUndefined();
  });

  it('34: a taken name, or a second name for one process, is badarg', async () => {
    const errors = await run(function* () {
      const a = spawn(idle);
      const b = spawn(idle);
      register('taken-34', a);
      const caught: string[] = [];
      for (const attempt of [() => register('taken-34', b), () => register('other-34', a)]) {
        try {
          attempt();
        } catch (error) {
          caught.push((error as ActorError).reason);
        }
      }
      send(a, 'stop');
      send(b, 'stop');
      return caught;
    });
    expect(errors).toEqual(['badarg', 'badarg']);
  });
});

describe('scheduling', () => {
  it('a busy process does not starve the others or the event loop', async () => {
    const order = await run(function* () {
      const me = self();
      const log: string[] = [];
      spawn(function* () {
        for (let i = 0; i < 50_000; i++) {
          send(self(), i);
          yield* receive();
        }
        log.push('busy done');
        send(me, 'done');
      });
      spawn(() => {
        log.push('other ran');
      });
      setImmediate(() => log.push('io ran'));
      yield* receive((m) => m === 'done');
      return log;
    });
    expect(order).toEqual(['other ran', 'io ran', 'busy done']);
  });

  it('every process of these tests has ended except the idle ones left on purpose', () => {
    expect(processCount()).toBeLessThan(10);
  });
});

describe("timeouts beyond setTimeout's 2^31 - 1 ms wait as long as they say (fake clock)", () => {
  /**
   * The fake clock for timers only: processes take their turns on the real `setImmediate`. Each
   * case waits for the timer it is about before moving the clock, so the wait starts from 0.
   */
  const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Lets the event loop turn until `condition` holds (the processes run in those turns). */
  async function turnsUntil(what: string, condition: () => boolean): Promise<void> {
    for (let turn = 0; !condition(); turn++) {
      if (turn > 1000) throw new Error(`${what}: not after 1,000 turns of the event loop`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Once a timer is pending, moves the clock to `early` ms before `ms`, reads `state`, then to `ms`,
   * and reads it again.
   */
  async function justBeforeAndAt<T>(ms: number, state: () => T, early = 1): Promise<[T, T]> {
    await turnsUntil('a timer is pending', () => vi.getTimerCount() > 0);
    await vi.advanceTimersByTimeAsync(ms - early);
    const before = state();
    await vi.advanceTimersByTimeAsync(early);
    await new Promise((resolve) => setImmediate(resolve));
    return [before, state()];
  }

  it.each([2 ** 31, 2 ** 32 - 1, 3e9])('29: receive after %d ms gives TIMEOUT then, not before', async (ms) => {
    fakeTimers();
    let got: unknown = 'waiting';
    const done = run(function* () {
      got = yield* receive(() => false, { after: ms });
    });
    expect(await justBeforeAndAt(ms, () => got)).toEqual(['waiting', TIMEOUT]);
    await done;
  });

  it('a call with a 3e9 ms timeout to a server that never answers times out then, not before', async () => {
    fakeTimers();
    let outcome = 'waiting';
    const done = run(function* () {
      const server = spawn(idle);
      try {
        yield* call(server, 'hello', 3e9);
      } catch (error) {
        outcome = (error as CallError).reason as string;
      }
      send(server, 'stop');
    });
    expect(await justBeforeAndAt(3e9, () => outcome)).toEqual(['waiting', 'timeout']);
    await done;
  });

  it('a supervisor waits a 3e9 ms shutdown time out before it kills a child that ignores shutdown', async () => {
    fakeTimers();
    let reason: unknown = 'alive';
    let supervisorUp = false;
    const done = run(function* () {
      const stubborn = function* () {
        trapExits(true);
        yield* receive(() => false);
      };
      const { pid: sup, ref } = spawnMonitor(() => supervisor({}, [{ id: 'c', start: stubborn, shutdown: 3e9 }]));
      const childRef = monitor((yield* whichChildren(sup))[0]?.pid as Pid);
      supervisorUp = true;
      exit(sup, 'shutdown');
      reason = (yield* receive((m: unknown): m is DownMessage => isDown(m) && m.ref === childRef)).reason;
      yield* receive((m: unknown) => isDown(m) && m.ref === ref);
    });
    await turnsUntil('the supervisor is up', () => supervisorUp);
    // The supervisor takes the real time spent since it sent `shutdown` off its wait (microseconds),
    // so its timer is due a little before 3e9 ms: the clock is read 1 s early.
    expect(await justBeforeAndAt(3e9, () => reason, 1000)).toEqual(['alive', 'killed']);
    await done;
  });
});
