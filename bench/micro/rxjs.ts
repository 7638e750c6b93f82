/**
 * Micro-benchmarks for `rxjs/`: the two places the client's cost is RxJS's rather than the socket's.
 *
 * - `mergeMap` with a concurrency of K over N small inner Observables, against p-limit K over N
 *   async functions (the same baseline row as the Effect suite, imported from it).
 * - reading a socket's chunks through the model's own `fromSocket` Observable, against a plain
 *   `for await` over a Node socket, from a fast server on loopback. Two poem sizes: the 3,003 bytes
 *   of the many-fast scenario, where connecting dominates, and 1 MB, where the chunks do.
 *
 * The fast servers run in this process (started once in setup, closed in teardown), so their writes
 * share the event loop with the reader; every row pays that alike. Every row checks its result — the
 * sum of 0…N−1, or the poem's byte count — and throws if it is wrong, so a broken row cannot look fast.
 */
import net from 'node:net';
import { defer, lastValueFrom, mergeMap, type ObservableInput, of, range, reduce } from 'rxjs';
import type { Address } from '../../poetry/contract.ts';
import { generatePoem } from '../../poetry/poems/index.ts';
import { type PoetryServer, startFastServer } from '../../poetry/servers/index.ts';
import { fromSocket } from '../../rxjs/index.ts';
import { pLimitSum } from './effect.ts';
import type { MicroSuite } from './suite.ts';

/** Items per iteration. */
const N = 1000;
/** The concurrency limit of every row. */
const K = 50;
const expectedSum = (N * (N - 1)) / 2;

/** `mergeMap` with a limit of K over N inners made by `inner`, summed and checked. */
async function mergeMapSum(inner: (i: number) => ObservableInput<number>): Promise<number> {
  const sum = await lastValueFrom(
    range(0, N).pipe(
      mergeMap(inner, K),
      reduce((a, b) => a + b, 0),
    ),
  );
  if (sum !== expectedSum) throw new Error(`sum ${sum}, expected ${expectedSum}: the row skipped work`);
  return sum;
}

const pLimitRow = `p-limit ${K} over ${N} async functions`;

export const mergeMapSuite: MicroSuite = {
  name: 'rxjs-mergeMap',
  description:
    `mergeMap with concurrency ${K} over ${N} inner Observables (synchronous of(i), and defer of an async ` +
    `function, as a download is) vs p-limit ${K} over ${N} async functions, same run`,
  baseline: pLimitRow,
  tasks: {
    [pLimitRow]: () => pLimitSum(K),
    [`mergeMap ${K}, of(i) inners`]: () => mergeMapSum((i) => of(i)),
    [`mergeMap ${K}, defer(async) inners`]: () => mergeMapSum((i) => defer(async () => i)),
  },
};

// ------------------------------------------------------------------ socket

/** Throws unless a row read the whole poem. */
function checkBytes(bytes: number, expected: number): number {
  if (bytes !== expected) throw new Error(`read ${bytes} bytes, expected ${expected}`);
  return bytes;
}

/** The baseline: Node's own async iterator over the socket, connected as the model connects. */
async function forAwaitBytes(address: Address): Promise<number> {
  let bytes = 0;
  for await (const chunk of net.connect(address.port, address.host) as AsyncIterable<Buffer>) bytes += chunk.length;
  return bytes;
}

/** The model's socket Observable, folded with `reduce` as its download folds the text. */
function observableBytes(address: Address): Promise<number> {
  return lastValueFrom(fromSocket(address).pipe(reduce((bytes, chunk) => bytes + chunk.length, 0)));
}

/** The same Observable with a bare subscriber: what `fromSocket` costs without any operator. */
function subscribedBytes(address: Address): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    fromSocket(address).subscribe({
      next: (chunk) => {
        bytes += chunk.length;
      },
      error: reject,
      complete: () => resolve(bytes),
    });
  });
}

/** One socket suite: a fast server for a generated poem of `size` bytes, three ways of reading it. */
function socketSuite(label: string, size: number): MicroSuite {
  const poem = generatePoem(size);
  let server: PoetryServer | undefined;
  const row = (read: (address: Address) => Promise<number>) => async () =>
    checkBytes(await read((server as PoetryServer).address), poem.length);
  const baseline = 'for await over a net.Socket';
  return {
    name: `rxjs-socket-${label}`,
    description: `read a ${label} poem's chunks from a fast loopback server (one connection per iteration): the model's fromSocket Observable vs for await over the socket, same run`,
    baseline,
    setup: async () => {
      server = await startFastServer({ poem, iface: '127.0.0.1' });
    },
    teardown: () => server?.close(),
    tasks: {
      [baseline]: row(forAwaitBytes),
      'fromSocket + reduce, lastValueFrom': row(observableBytes),
      'fromSocket, bare subscribe': row(subscribedBytes),
    },
  };
}

export const suites: readonly MicroSuite[] = [
  mergeMapSuite,
  socketSuite('3,003-byte', 3003),
  socketSuite('1 MB', 1024 * 1024),
];
