/**
 * Micro-benchmarks for `actors/`, Savina-style: ping-pong (messages between two processes),
 * thread-ring (a token around a ring), spawn cost, and what making messages immutable costs.
 * nact, the best-known TypeScript actor library, runs the same ping-pong and spawn workloads in the
 * same Bench, as the baseline row: the budget is at least twice nact's ping-pong rate.
 */
import { dispatch, spawnStateless, start, stop } from 'nact';
import { freezeMessage, type Pid, receive, run, self, send, spawn } from '../../actors/runtime.ts';
import type { MicroSuite } from './suite.ts';

/** Round trips per ping-pong iteration (two messages each). */
const EXCHANGES = 1000;
/** Processes per spawn iteration. */
const SPAWNS = 1000;
const RING = 100;
const HOPS = 10_000;

// ------------------------------------------------------------------ ping-pong

type Ball = { readonly from: Pid; readonly n: number };
const isBall = (m: unknown): m is Ball => typeof m === 'object' && m !== null && 'n' in m;

let finishExchange: () => void = () => {};
let actorsPing: Pid | undefined;

function* pong() {
  for (;;) {
    const ball = yield* receive(isBall);
    send(ball.from, { from: self(), n: ball.n });
  }
}

function* ping(partner: Pid) {
  for (;;) {
    const m = yield* receive();
    if (m === 'serve') send(partner, { from: self(), n: 0 });
    else if (isBall(m)) {
      if (m.n + 1 >= EXCHANGES) finishExchange();
      else send(partner, { from: self(), n: m.n + 1 });
    }
  }
}

type NactSystem = ReturnType<typeof start>;
type NactBall = { readonly sender: unknown; readonly n: number };
let system: NactSystem | undefined;
let nactPing: ReturnType<typeof spawnStateless<NactSystem, (msg: NactBall | 'serve') => void>> | undefined;

function setupNact(): void {
  system = start();
  const nactPong = spawnStateless(system, (msg: NactBall) => dispatch(msg.sender as never, { n: msg.n }));
  nactPing = spawnStateless(system, (msg: NactBall | 'serve', ctx) => {
    if (msg === 'serve') dispatch(nactPong, { sender: ctx.self, n: 0 });
    else if (msg.n + 1 >= EXCHANGES) finishExchange();
    else dispatch(nactPong, { sender: ctx.self, n: msg.n + 1 });
  });
}

function exchange(serve: () => void): Promise<void> {
  return new Promise((resolve) => {
    finishExchange = resolve;
    serve();
  });
}

export const pingPong: MicroSuite = {
  name: 'actors-ping-pong',
  description: `${EXCHANGES} round trips between two processes (two messages each), actors vs nact in the same run`,
  baseline: 'nact ping-pong',
  budget: 'actors ping-pong at least 2× nact',
  budgetMet: (ratios) => (ratios['actors ping-pong'] ?? 0) >= 2,
  setup: () => {
    const partner = spawn(pong);
    actorsPing = spawn(() => ping(partner));
    setupNact();
  },
  teardown: () => {
    if (system) stop(system);
  },
  tasks: {
    'actors ping-pong': () => exchange(() => send(actorsPing as Pid, 'serve')),
    'nact ping-pong': () => exchange(() => dispatch(nactPing as never, 'serve')),
  },
};

// ------------------------------------------------------------------ spawn

/** Spawns SPAWNS processes, each of which takes one message and ends; settles when all have. */
function spawnActors(): Promise<void> {
  return new Promise((resolve) => {
    let ended = 0;
    run(() => {
      for (let i = 0; i < SPAWNS; i++) {
        const pid = spawn(function* () {
          yield* receive();
          if (++ended === SPAWNS) resolve();
        });
        send(pid, i);
      }
    });
  });
}

/**
 * Each nact actor gets a name of its own: left anonymous, nact draws a random 32-bit name and throws
 * when it meets a live sibling's, which thousands of spawns per second do sooner or later.
 */
let nactSpawned = 0;

function spawnNact(): Promise<void> {
  return new Promise((resolve) => {
    let ended = 0;
    for (let i = 0; i < SPAWNS; i++) {
      const actor = spawnStateless(
        system as NactSystem,
        (_msg: number, ctx) => {
          stop(ctx.self);
          if (++ended === SPAWNS) resolve();
        },
        `spawned-${++nactSpawned}`,
      );
      dispatch(actor, i);
    }
  });
}

export const spawnCost: MicroSuite = {
  name: 'actors-spawn',
  description: `spawn ${SPAWNS} processes that each take one message and end, actors vs nact`,
  baseline: 'nact spawn',
  setup: () => {
    system = start();
  },
  teardown: () => {
    if (system) stop(system);
  },
  tasks: {
    'actors spawn': spawnActors,
    'nact spawn': spawnNact,
  },
};

// ------------------------------------------------------------------ thread-ring

/** A token passed HOPS times around a ring of RING processes. */
function threadRing(): Promise<unknown> {
  return run(function* () {
    const main = self();
    const first = spawn(function* () {
      const next = (yield* receive()) as Pid;
      for (;;) {
        const hops = (yield* receive()) as number;
        if (hops === 0) return send(main, 'done');
        send(next, hops - 1);
      }
    });
    let next = first;
    for (let i = 1; i < RING; i++) {
      const after = next;
      next = spawn(function* () {
        for (;;) {
          const hops = (yield* receive()) as number;
          if (hops === 0) return send(main, 'done');
          send(after, hops - 1);
        }
      });
    }
    send(first, next);
    send(first, HOPS);
    yield* receive((m) => m === 'done');
  });
}

export const ring: MicroSuite = {
  name: 'actors-thread-ring',
  description: `a token passed ${HOPS} times around a ring of ${RING} processes (ring built each iteration)`,
  baseline: 'actors thread-ring',
  tasks: { 'actors thread-ring': threadRing },
};

// ------------------------------------------------------------------ message immutability

const sample = () => ({ type: 'chunk', task: 3, bytes: 512, path: ['a', 'b'], meta: { retry: 0 } });

export const immutability: MicroSuite = {
  name: 'actors-message-immutability',
  description: 'what making a small message immutable costs: deep freeze (the runtime) vs structuredClone (copying)',
  baseline: 'structuredClone',
  tasks: {
    'no protection': () => sample(),
    'deep freeze': () => freezeMessage(sample()),
    structuredClone: () => structuredClone(sample()),
  },
};

export const suites: readonly MicroSuite[] = [pingPong, spawnCost, ring, immutability];
