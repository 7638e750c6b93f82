/**
 * The gen_server-like behaviour against the Erlang checklist (A7 in actors/README.md): replies,
 * call timeouts and dead servers as the caller's errors, casts that never fail, deferred replies.
 */
import { describe, expect, it } from 'vitest';
import { type CallError, call, cast, type From, genServer, reply } from './gen_server.ts';
import {
  type DownMessage,
  isAlive,
  isDown,
  receive,
  run,
  type Suspend,
  self,
  setCrashReporter,
  spawn,
  spawnLink,
  spawnMonitor,
  TIMEOUT,
} from './runtime.ts';

setCrashReporter(() => {});

/** A counter: `get` answers, `add` is a cast, `slow` never answers, `later` answers through `reply`. */
const counter = () => {
  let parked: From | undefined;
  return genServer<number>({
    init: () => 0,
    handleCall: (request, from, state) => {
      if (request === 'get') return { reply: state, state };
      if (request === 'later') {
        parked = from;
        return { noreply: true, state };
      }
      if (request === 'release' && parked) reply(parked, 'released');
      if (request === 'die') throw new Error('server died');
      return { noreply: true, state };
    },
    handleCast: (request, state) => state + (request as number),
  });
};

function* callError(body: () => Generator<Suspend, unknown, unknown>) {
  try {
    yield* body();
  } catch (error) {
    return error as CallError;
  }
  throw new Error('the call did not fail');
}

describe('A7 gen_server', () => {
  it('58/63: call answers; cast changes the state and never fails, even to nobody', async () => {
    const value = await run(function* () {
      const server = spawn(counter);
      cast(server, 2);
      cast(server, 3);
      cast('no-such-server', 1);
      return yield* call<number>(server, 'get');
    });
    expect(value).toBe(5);
  });

  it('59: a call with no reply in time fails with timeout; uncaught, that ends the caller', async () => {
    const outcome = await run(function* () {
      const server = spawn(counter);
      const caught = yield* callError(() => call(server, 'slow', 20));
      const { ref } = spawnMonitor(function* () {
        yield* call(server, 'slow', 20);
      });
      const down = yield* receive((m: unknown) => (m as { ref?: unknown }).ref === ref);
      return {
        caught: caught.reason,
        callerReason: (down as { reason: CallError }).reason.reason,
        serverUp: isAlive(server),
      };
    });
    expect(outcome).toEqual({ caught: 'timeout', callerReason: 'timeout', serverUp: true });
  });

  it('60/61/62: calling a dead server, one that dies mid-call, or oneself fails', async () => {
    const reasons = await run(function* () {
      const { pid: dead, ref } = spawnMonitor(() => {});
      yield* receive((m: unknown) => (m as { ref?: unknown }).ref === ref);
      const server = spawn(counter);
      return [
        (yield* callError(() => call(dead, 'get'))).reason,
        (yield* callError(() => call(server, 'die'))).reason,
        (yield* callError(() => call('nobody-registered', 'get'))).reason,
      ];
    });
    expect(reasons).toEqual(['noproc', 'exit', 'noproc']);
    const calledSelf = await run(function* () {
      return (yield* callError(() => call(self(), 'get'))).reason;
    });
    expect(calledSelf).toBe('calling_self');
  });

  it('64: noreply keeps the caller waiting until reply(from) is sent', async () => {
    const answer = await run(function* () {
      const server = spawn(counter);
      spawn(function* () {
        yield* receive(() => false, { after: 10 });
        yield* call(server, 'release');
      });
      return yield* call(server, 'later', 1000);
    });
    expect(answer).toBe('released');
  });

  it('67: a server does not trap exits: a crash of a linked process takes it down', async () => {
    const reason = await run(function* () {
      const { ref } = spawnMonitor(function* () {
        spawnLink(() => {
          throw new Error('linked crash');
        });
        yield* genServer({ init: () => 0 });
      });
      const down = yield* receive((m: unknown): m is DownMessage => isDown(m) && m.ref === ref, { after: 1000 });
      return down === TIMEOUT ? 'still up' : (down.reason as Error).message;
    });
    expect(reason).toBe('linked crash');
  });
});
