/**
 * Micro-benchmarks for `csp/`: ping-pong (two processes, round trips over two unbuffered channels)
 * and a pipeline (values through a chain of processes, each stage a channel), beside the actors
 * runtime doing the same with messages, in the same Bench. Each csp workload runs twice: with
 * generator processes (the runtime's choice) and with async functions over the same channels
 * (`takeAsync`/`putAsync`), which is the measure behind that choice in csp/README.md.
 */
import { type Pid, receive, run as runActors, self, send, spawn } from '../../actors/runtime.ts';
import { type Channel, CLOSED, chan, put, putAsync, take, takeAsync } from '../../csp/channels.ts';
import { go, run } from '../../csp/process.ts';
import type { MicroSuite } from './suite.ts';

/** Round trips per ping-pong iteration (a put and a take each way). */
const EXCHANGES = 1000;
/** Stages in the pipeline, and values sent through it per iteration. */
const STAGES = 100;
const VALUES = 100;
/** The buffer of each stage's channel in the buffered pipeline row. */
const BUFFER = 16;

// ------------------------------------------------------------------ ping-pong

const ping = chan<number>();
const pong = chan<number>();
const asyncPing = chan<number>();
const asyncPong = chan<number>();

function startPongers(): void {
  go(function* () {
    for (let n = yield* take(ping); n !== CLOSED; n = yield* take(ping)) yield* put(pong, n + 1);
  });
  void (async () => {
    for (let n = await takeAsync(asyncPing); n !== CLOSED; n = await takeAsync(asyncPing))
      await putAsync(asyncPong, n + 1);
  })();
}

function cspPingPong(): Promise<number> {
  return run(function* () {
    let n = 0;
    for (let i = 0; i < EXCHANGES; i++) {
      yield* put(ping, n);
      n = (yield* take(pong)) as number;
    }
    return n;
  });
}

async function asyncPingPong(): Promise<number> {
  let n = 0;
  for (let i = 0; i < EXCHANGES; i++) {
    await putAsync(asyncPing, n);
    n = (await takeAsync(asyncPong)) as number;
  }
  return n;
}

let actorsPonger: Pid | undefined;

function actorsPingPong(): Promise<unknown> {
  return runActors(function* () {
    const me = self();
    let n = 0;
    for (let i = 0; i < EXCHANGES; i++) {
      send(actorsPonger as Pid, { from: me, n });
      n = (yield* receive()) as number;
    }
    return n;
  });
}

export const pingPong: MicroSuite = {
  name: 'csp-ping-pong',
  description: `${EXCHANGES} round trips between two processes: csp channels (generator and async-function processes) vs actors messages, same run`,
  baseline: 'actors ping-pong',
  setup: () => {
    startPongers();
    actorsPonger = spawn(function* () {
      for (;;) {
        const { from, n } = (yield* receive()) as { from: Pid; n: number };
        send(from, n + 1);
      }
    });
  },
  tasks: {
    'csp ping-pong (generators)': cspPingPong,
    'csp ping-pong (async functions)': asyncPingPong,
    'actors ping-pong': actorsPingPong,
  },
};

// ------------------------------------------------------------------ pipeline

/**
 * A chain of STAGES processes, each passing what it takes on to the next channel; returns the two
 * ends. `capacity` 0 makes every hop a rendezvous; a buffer lets a stage run ahead, as a mailbox does.
 */
function cspPipeline(capacity = 0): { first: Channel<number>; last: Channel<number> } {
  const first = chan<number>(capacity);
  let from = first;
  for (let s = 0; s < STAGES; s++) {
    const input = from;
    const output = chan<number>(capacity);
    go(function* () {
      for (let n = yield* take(input); n !== CLOSED; n = yield* take(input)) yield* put(output, n + 1);
    });
    from = output;
  }
  return { first, last: from };
}

function asyncPipeline(): { first: Channel<number>; last: Channel<number> } {
  const first = chan<number>();
  let from = first;
  for (let s = 0; s < STAGES; s++) {
    const input = from;
    const output = chan<number>();
    void (async () => {
      for (let n = await takeAsync(input); n !== CLOSED; n = await takeAsync(input)) await putAsync(output, n + 1);
    })();
    from = output;
  }
  return { first, last: from };
}

let generators: { first: Channel<number>; last: Channel<number> } | undefined;
let buffered: { first: Channel<number>; last: Channel<number> } | undefined;
let asyncs: { first: Channel<number>; last: Channel<number> } | undefined;

/** Values in at one end by one process, out at the other by another: the stages all run at once. */
function throughCsp(ends = generators): Promise<number> {
  const { first, last } = ends as { first: Channel<number>; last: Channel<number> };
  go(function* () {
    for (let v = 0; v < VALUES; v++) yield* put(first, v);
  });
  return run(function* () {
    let sum = 0;
    for (let v = 0; v < VALUES; v++) sum += (yield* take(last)) as number;
    return sum;
  });
}

async function throughAsync(): Promise<number> {
  const { first, last } = asyncs as { first: Channel<number>; last: Channel<number> };
  void (async () => {
    for (let v = 0; v < VALUES; v++) await putAsync(first, v);
  })();
  let sum = 0;
  for (let v = 0; v < VALUES; v++) sum += (await takeAsync(last)) as number;
  return sum;
}

let actorsFirst: Pid | undefined;
let actorsSink: ((n: number) => void) | undefined;

function actorsPipeline(): void {
  const sink = spawn(function* () {
    for (;;) {
      // Taken first: `actorsSink?.(yield* …)` would skip the receive while no sink is set, and spin.
      const n = (yield* receive()) as number;
      actorsSink?.(n);
    }
  });
  let next = sink;
  for (let s = 0; s < STAGES; s++) {
    const to = next;
    next = spawn(function* () {
      for (;;) send(to, ((yield* receive()) as number) + 1);
    });
  }
  actorsFirst = next;
}

function throughActors(): Promise<number> {
  return new Promise((resolve) => {
    let sum = 0;
    let got = 0;
    actorsSink = (n) => {
      sum += n;
      if (++got === VALUES) resolve(sum);
    };
    runActors(() => {
      for (let v = 0; v < VALUES; v++) send(actorsFirst as Pid, v);
    });
  });
}

export const pipeline: MicroSuite = {
  name: 'csp-pipeline',
  description: `${VALUES} values through a pipeline of ${STAGES} processes (unbuffered, then buffered channels between stages) vs actors passing messages down a chain, same run`,
  baseline: 'actors pipeline',
  setup: () => {
    generators = cspPipeline();
    buffered = cspPipeline(BUFFER);
    asyncs = asyncPipeline();
    actorsPipeline();
  },
  tasks: {
    'csp pipeline (generators)': () => throughCsp(generators),
    [`csp pipeline (generators, buffered ${BUFFER})`]: () => throughCsp(buffered),
    'csp pipeline (async functions)': throughAsync,
    'actors pipeline': throughActors,
  },
};

export const suites: readonly MicroSuite[] = [pingPong, pipeline];
