/**
 * Supervisors against the Erlang checklist (A6 in actors/README.md), following the cases of OTP's
 * supervisor_SUITE: start order, restart types, the three strategies and the dynamic one, the
 * restart intensity, shutdown order and brutal_kill versus a shutdown timeout, and nesting.
 */
import { describe, expect, it } from 'vitest';
import {
  type DownMessage,
  type ExitReason,
  exit,
  isAlive,
  isDown,
  isExit,
  monitor,
  type Pid,
  type ProcessBody,
  processCount,
  receive,
  run,
  send,
  setCrashReporter,
  spawnMonitor,
  TIMEOUT,
  trapExits,
} from './runtime.ts';
import {
  type ChildInfo,
  type ChildSpec,
  deleteChild,
  restartChild,
  startChild,
  supervisor,
  terminateChild,
  whichChildren,
} from './supervisor.ts';

setCrashReporter(() => {});

/** A child that logs its start and its end, and does what it is told: `crash`, `stop`, or `{ exit }`. */
function* worker(id: string, log: string[]): ProcessBody {
  log.push(`start ${id}`);
  try {
    for (;;) {
      const order = yield* receive();
      if (order === 'crash') throw new Error(`${id} crashed`);
      if (order === 'stop') return;
      if (typeof order === 'object' && order !== null && 'exit' in order) exit(order.exit);
    }
  } finally {
    log.push(`stop ${id}`);
  }
}

function spec(id: string, log: string[], extra: Partial<ChildSpec> = {}): ChildSpec {
  return { id, start: () => worker(id, log), ...extra };
}

function* downFor(ref: unknown) {
  const down = yield* receive((m: unknown): m is DownMessage => isDown(m) && m.ref === ref, { after: 5000 });
  if (down === TIMEOUT) throw new Error('no DOWN arrived');
  return down;
}

function* pidOf(sup: Pid, id: string) {
  const children = yield* whichChildren(sup);
  return children.find((c) => c.id === id)?.pid;
}

/** Gives child `id` an order, waits for it to end, and returns the children once the supervisor has reacted. */
function* afterChild(sup: Pid, id: string, order: unknown) {
  const pid = (yield* pidOf(sup, id)) as Pid;
  const ref = monitor(pid);
  send(pid, order);
  yield* downFor(ref);
  // Its EXIT reached the supervisor before our call does: a mailbox is in order.
  return yield* whichChildren(sup);
}

/** Starts a supervisor, watched but not linked, and checks it is up by asking for its children. */
function* startSupervisor(flags: Parameters<typeof supervisor>[0], specs: readonly ChildSpec[]) {
  const { pid, ref } = spawnMonitor(() => supervisor(flags, specs));
  return { sup: pid, ref };
}

const pids = (children: readonly ChildInfo[]) => children.map((c) => c.pid);

describe('A6 starting', () => {
  it('36/42: children start in list order; whichChildren lists them newest first', async () => {
    const log: string[] = [];
    const ids = await run(function* () {
      const { sup } = yield* startSupervisor({}, [spec('c1', log), spec('c2', log), spec('c3', log)]);
      const children = yield* whichChildren(sup);
      exit(sup, 'shutdown');
      return children.map((c) => c.id);
    });
    expect(log.slice(0, 3)).toEqual(['start c1', 'start c2', 'start c3']);
    expect(ids).toEqual(['c3', 'c2', 'c1']);
  });

  it('37: a child that fails to start fails the supervisor, after stopping those already started', async () => {
    const outcome = await run(function* () {
      const before = processCount();
      const failing: ChildSpec = {
        id: 'bad',
        start: () => {
          throw new Error('cannot start');
        },
      };
      const { ref } = yield* startSupervisor({}, [spec('c1', []), failing, spec('c3', [])]);
      const reason = (yield* downFor(ref)).reason as { shutdown: { failedToStartChild: string } };
      return { failed: reason.shutdown.failedToStartChild, left: processCount() - before };
    });
    // Nothing is left: neither the supervisor nor c1, and c3 was never started.
    expect(outcome).toEqual({ failed: 'bad', left: 0 });
  });

  it('38: a start that returns ignore keeps a permanent spec without a pid, and drops a temporary one', async () => {
    const children = await run(function* () {
      const { sup } = yield* startSupervisor({}, [
        { id: 'kept', start: () => 'ignore' },
        { id: 'dropped', start: () => 'ignore', restart: 'temporary' },
      ]);
      const children = yield* whichChildren(sup);
      exit(sup, 'shutdown');
      return children;
    });
    expect(children).toEqual([{ id: 'kept', pid: undefined, type: 'worker' }]);
  });

  it('39-41: startChild, terminateChild, restartChild and deleteChild answer as OTP does', async () => {
    const log: string[] = [];
    const answers = await run(function* () {
      const { sup } = yield* startSupervisor({}, [spec('c1', log)]);
      const running = yield* pidOf(sup, 'c1');
      const out: unknown[] = [];
      out.push((yield* startChild(sup, spec('c1', log))).ok === false);
      out.push(yield* restartChild(sup, 'c1'));
      out.push(yield* deleteChild(sup, 'c1'));
      out.push(yield* terminateChild(sup, 'c1'));
      out.push(yield* terminateChild(sup, 'c1'));
      out.push(pids(yield* whichChildren(sup)));
      out.push(yield* startChild(sup, spec('c1', log)));
      out.push(yield* restartChild(sup, 'nope'));
      const restarted = yield* restartChild(sup, 'c1');
      out.push(restarted.ok && restarted.value !== running);
      out.push(yield* deleteChild(sup, 'c1'));
      exit(sup, 'shutdown');
      return out;
    });
    expect(answers).toEqual([
      true,
      { ok: false, error: 'running' },
      { ok: false, error: 'running' },
      { ok: true, value: undefined },
      { ok: true, value: undefined },
      [undefined],
      { ok: false, error: 'already_present' },
      { ok: false, error: 'not_found' },
      true,
      { ok: false, error: 'running' },
    ]);
  });
});

describe('A6 restart types', () => {
  const outcomes = (restart: 'permanent' | 'transient' | 'temporary') =>
    run(function* () {
      const log: string[] = [];
      const seen: Record<string, string> = {};
      const orders: [string, unknown][] = [
        ['normal', 'stop'],
        ['shutdown', { exit: 'shutdown' }],
        ['{shutdown}', { exit: { shutdown: 'why' } }],
        ['abnormal', 'crash'],
      ];
      for (const [name, order] of orders) {
        const { sup } = yield* startSupervisor({ intensity: 10 }, [spec('c', log, { restart })]);
        const children = yield* afterChild(sup, 'c', order);
        seen[name] = children.length === 0 ? 'removed' : children[0]?.pid ? 'restarted' : 'kept, not running';
        exit(sup, 'shutdown');
      }
      return seen;
    });

  it('43: a permanent child is restarted whatever its reason', async () => {
    expect(await outcomes('permanent')).toEqual({
      normal: 'restarted',
      shutdown: 'restarted',
      '{shutdown}': 'restarted',
      abnormal: 'restarted',
    });
  });

  it('44: a transient child is restarted only after an abnormal exit', async () => {
    expect(await outcomes('transient')).toEqual({
      normal: 'kept, not running',
      shutdown: 'kept, not running',
      '{shutdown}': 'kept, not running',
      abnormal: 'restarted',
    });
  });

  it('45: a temporary child is never restarted and its spec goes', async () => {
    expect(await outcomes('temporary')).toEqual({
      normal: 'removed',
      shutdown: 'removed',
      '{shutdown}': 'removed',
      abnormal: 'removed',
    });
  });
});

describe('A6 strategies', () => {
  /** Crashes c2 of [c1, c2, c3] and says, per child, whether it has a new pid. */
  const crashMiddle = (strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one') =>
    run(function* () {
      const log: string[] = [];
      const { sup } = yield* startSupervisor({ strategy }, [spec('c1', log), spec('c2', log), spec('c3', log)]);
      const before = yield* whichChildren(sup);
      const after = yield* afterChild(sup, 'c2', 'crash');
      exit(sup, 'shutdown');
      const changed = after.map((c, i) => `${c.id}:${c.pid === before[i]?.pid ? 'same' : 'new'}`);
      return { changed: changed.reverse(), log: [...log] };
    });

  it('46: one_for_one restarts only the crashed child', async () => {
    const { changed, log } = await crashMiddle('one_for_one');
    expect(changed).toEqual(['c1:same', 'c2:new', 'c3:same']);
    expect(log.slice(3)).toEqual(['stop c2', 'start c2']);
  });

  it('47: one_for_all stops the others (newest first) and restarts all in order', async () => {
    const { changed, log } = await crashMiddle('one_for_all');
    expect(changed).toEqual(['c1:new', 'c2:new', 'c3:new']);
    expect(log.slice(3)).toEqual(['stop c2', 'stop c3', 'stop c1', 'start c1', 'start c2', 'start c3']);
  });

  it('48: rest_for_one restarts the crashed child and those started after it', async () => {
    const { changed, log } = await crashMiddle('rest_for_one');
    expect(changed).toEqual(['c1:same', 'c2:new', 'c3:new']);
    expect(log.slice(3)).toEqual(['stop c2', 'stop c3', 'start c2', 'start c3']);
  });

  it('45: a temporary bystander of one_for_all is stopped and not restarted', async () => {
    const ids = await run(function* () {
      const log: string[] = [];
      const { sup } = yield* startSupervisor({ strategy: 'one_for_all' }, [
        spec('c1', log),
        spec('temp', log, { restart: 'temporary' }),
      ]);
      const after = yield* afterChild(sup, 'c1', 'crash');
      exit(sup, 'shutdown');
      return after.map((c) => c.id);
    });
    expect(ids).toEqual(['c1']);
  });

  it('49: simple_one_for_one starts children on demand with extra arguments, stops them by pid', async () => {
    const outcome = await run(function* () {
      const log: string[] = [];
      const { sup, ref } = yield* startSupervisor({ strategy: 'simple_one_for_one' }, [
        { id: 'w', start: (...extra: unknown[]) => worker(String(extra[0]), log), restart: 'temporary' },
      ]);
      const empty = (yield* whichChildren(sup)).length;
      const a = yield* startChild(sup, ['a']);
      const b = yield* startChild(sup, ['b']);
      const byId = yield* terminateChild(sup, 'w');
      const byPid = yield* terminateChild(sup, (a.ok && a.value) as Pid);
      const left = pids(yield* whichChildren(sup));
      exit(sup, 'shutdown');
      yield* downFor(ref);
      return { empty, byId, byPid, left, b: b.ok && b.value, log };
    });
    expect(outcome.empty).toBe(0);
    expect(outcome.byId).toEqual({ ok: false, error: 'simple_one_for_one' });
    expect(outcome.byPid).toEqual({ ok: true, value: undefined });
    expect(outcome.left).toEqual([outcome.b]);
    expect(outcome.log).toEqual(['start a', 'start b', 'stop a', 'stop b']);
  });

  it('a spec is {M, F, A}: start is called with its args, and under simple_one_for_one with startChild’s after them', async () => {
    const outcome = await run(function* () {
      const log: string[] = [];
      const named = (...parts: unknown[]) => worker(parts.join('-'), log);
      const { sup: fixed, ref: fixedRef } = yield* startSupervisor({}, [{ id: 'w', start: named, args: ['fixed', 1] }]);
      const { sup: dynamic, ref } = yield* startSupervisor({ strategy: 'simple_one_for_one' }, [
        { id: 'w', start: named, args: ['pool'], restart: 'temporary' },
      ]);
      yield* startChild(dynamic, ['a']);
      exit(fixed, 'shutdown');
      exit(dynamic, 'shutdown');
      yield* downFor(fixedRef);
      yield* downFor(ref);
      return log;
    });
    expect(outcome).toEqual(['start fixed-1', 'start pool-a', 'stop fixed-1', 'stop pool-a']);
  });

  it('49: simple_one_for_one takes exactly one spec', async () => {
    const reason = await run(function* () {
      const { ref } = yield* startSupervisor({ strategy: 'simple_one_for_one' }, []);
      return (yield* downFor(ref)).reason as { reason: string };
    });
    expect(reason.reason).toBe('bad_start_spec');
  });
});

describe('A6 restart intensity', () => {
  it('50: more than intensity restarts within the period stop the children, then the supervisor (shutdown)', async () => {
    const log: string[] = [];
    const reason = await run(function* () {
      const { sup, ref } = yield* startSupervisor({ intensity: 2, period: 3600 }, [spec('c1', log), spec('c2', log)]);
      for (let crash = 0; crash < 3; crash++) {
        const pid = (yield* pidOf(sup, 'c1')) as Pid;
        send(pid, 'crash');
        if (crash < 2) yield* downFor(monitor(pid));
      }
      return (yield* downFor(ref)).reason;
    });
    expect(reason).toBe('shutdown');
    expect(log.filter((line) => line === 'start c1').length).toBe(3);
    expect(log.at(-1)).toBe('stop c2');
  });

  it('51: restarts spread out further than the period are forgiven', async () => {
    const alive = await run(function* () {
      const log: string[] = [];
      const { sup } = yield* startSupervisor({ intensity: 1, period: 0.05 }, [spec('c1', log)]);
      for (let crash = 0; crash < 3; crash++) {
        yield* afterChild(sup, 'c1', 'crash');
        yield* receive(() => false, { after: 120 });
      }
      const up = isAlive(sup);
      exit(sup, 'shutdown');
      return up;
    });
    expect(alive).toBe(true);
  });

  it('52: a child that cannot be restarted uses up the intensity and takes the supervisor down', async () => {
    const reason = await run(function* () {
      let starts = 0;
      const flaky: ChildSpec = {
        id: 'flaky',
        start: () => {
          starts++;
          if (starts > 1) throw new Error('no more');
          return worker('flaky', []);
        },
      };
      const { sup, ref } = yield* startSupervisor({ intensity: 3, period: 3600 }, [flaky]);
      const pid = (yield* pidOf(sup, 'flaky')) as Pid;
      send(pid, 'crash');
      return { reason: (yield* downFor(ref)).reason, starts };
    });
    expect(reason).toEqual({ reason: 'shutdown', starts: 4 });
  });

  it("nested: a crashing grandchild exhausts its supervisor, which its parent restarts, up to the parent's limit", async () => {
    const reason = await run(function* () {
      const log: string[] = [];
      const inner = () => supervisor({ intensity: 0 }, [spec('leaf', log)]);
      const { sup: top, ref } = yield* startSupervisor({ intensity: 1, period: 3600 }, [
        { id: 'inner', start: inner, type: 'supervisor' },
      ]);
      for (let round = 0; round < 2; round++) {
        const innerPid = (yield* pidOf(top, 'inner')) as Pid;
        const innerRef = monitor(innerPid);
        send((yield* pidOf(innerPid, 'leaf')) as Pid, 'crash');
        yield* downFor(innerRef);
      }
      return (yield* downFor(ref)).reason;
    });
    expect(reason).toBe('shutdown');
  });
});

describe('A6 shutdown', () => {
  it('53: a supervisor stops its children newest first, then itself', async () => {
    const log: string[] = [];
    await run(function* () {
      const { sup, ref } = yield* startSupervisor({}, [spec('c1', log), spec('c2', log), spec('c3', log)]);
      yield* whichChildren(sup);
      exit(sup, 'shutdown');
      yield* downFor(ref);
    });
    expect(log.slice(3)).toEqual(['stop c3', 'stop c2', 'stop c1']);
  });

  /** A child that traps exits and ignores `shutdown`, so only a kill ends it. */
  function* stubborn(): ProcessBody<void> {
    trapExits(true);
    yield* receive(() => false);
  }

  const reasonOnShutdown = (shutdown: ChildSpec['shutdown'], body: () => ProcessBody) =>
    run(function* () {
      const { sup, ref } = yield* startSupervisor({}, [{ id: 'c', start: body, shutdown }]);
      const childRef = monitor((yield* pidOf(sup, 'c')) as Pid);
      exit(sup, 'shutdown');
      const child: ExitReason = (yield* downFor(childRef)).reason;
      yield* downFor(ref);
      return child;
    });

  it('54: brutal_kill kills the child (reason killed)', async () => {
    expect(await reasonOnShutdown('brutal_kill', () => worker('c', []))).toBe('killed');
  });

  it('55: a shutdown timeout sends shutdown; a child that obeys ends with shutdown', async () => {
    expect(await reasonOnShutdown(1000, () => worker('c', []))).toBe('shutdown');
  });

  it('55: a child that ignores shutdown is killed when its time is up', async () => {
    expect(await reasonOnShutdown(30, stubborn)).toBe('killed');
  });

  it('56: infinity waits for the child however long it takes', async () => {
    const reason = await run(function* () {
      function* slowToStop(): ProcessBody<void> {
        trapExits(true);
        yield* receive((m) => isExit(m));
        yield* receive(() => false, { after: 50 });
        exit('shutdown');
      }
      const { sup, ref } = yield* startSupervisor({}, [{ id: 'c', start: slowToStop, shutdown: 'infinity' }]);
      const childRef = monitor((yield* pidOf(sup, 'c')) as Pid);
      exit(sup, 'shutdown');
      return [(yield* downFor(childRef)).reason, (yield* downFor(ref)).reason];
    });
    expect(reason).toEqual(['shutdown', 'shutdown']);
  });

  it('57: auto_shutdown any_significant stops the supervisor when a significant child ends on its own', async () => {
    const log: string[] = [];
    const reason = await run(function* () {
      const { sup, ref } = yield* startSupervisor({ autoShutdown: 'any_significant' }, [
        spec('main', log, { restart: 'transient', significant: true }),
        spec('helper', log),
      ]);
      send((yield* pidOf(sup, 'main')) as Pid, 'stop');
      return (yield* downFor(ref)).reason;
    });
    expect(reason).toBe('shutdown');
    expect(log).toEqual(['start main', 'start helper', 'stop main', 'stop helper']);
  });
});
