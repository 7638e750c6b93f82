/**
 * The probes' servers. They are the project's own (slow, fast, faulty, transform) wherever a
 * probe needs only what those do; where it needs to know *when* something happened at the server
 * (a connection accepted, its last byte sent, its close), it uses an observed server: the shared
 * server core with a behaviour of the probe's choosing and a record per connection, timed on the
 * time base the model process shares (`epochNow`).
 */
import type { PoetryServer } from '../../poetry/servers/index.ts';
import { type PoetryConnection, startServer } from '../../poetry/servers/server.ts';
import { epochNow } from './child.ts';

/** What an observed server saw of one connection. */
export interface ConnectionRecord {
  readonly acceptedAt: number;
  /** When the server had sent its last byte and closed its side, if it got that far. */
  doneAt?: number;
  closedAt?: number;
  /** When the client hung up: its FIN (the server may still be sending, half-open) or the close, whichever came first. */
  hungUpAt?: number;
  /** Bytes the client sent. */
  bytesIn: number;
}

export interface ObservedServer extends PoetryServer {
  readonly log: readonly ConnectionRecord[];
  /** Connections open now. */
  readonly open: number;
  /** The most connections open at once that the server had not finished with. */
  readonly maxServing: number;
}

/** What an observed server does with one connection; it calls `finish` when it has sent its last byte. */
export type Behaviour = (connection: PoetryConnection, finish: () => void, index: number) => void;

export class Lab {
  readonly #servers: PoetryServer[] = [];

  /** Keeps a server of the shared kinds, to be closed with the lab. */
  async keep<T extends PoetryServer>(starting: Promise<T>): Promise<T> {
    const server = await starting;
    this.#servers.push(server);
    return server;
  }

  async observed(behaviour: Behaviour): Promise<ObservedServer> {
    const log: ConnectionRecord[] = [];
    let open = 0;
    let serving = 0;
    let maxServing = 0;
    const server = await this.keep(
      startServer({
        kind: 'slow',
        serve(connection) {
          const record: ConnectionRecord = { acceptedAt: epochNow(), bytesIn: 0 };
          log.push(record);
          open += 1;
          serving += 1;
          maxServing = Math.max(maxServing, serving);
          // A connection stops counting as served at its last byte, not at its close: a client may
          // open its next connection before this one's close has been processed here.
          let counted = true;
          const stopServing = () => {
            if (counted) serving -= 1;
            counted = false;
          };
          connection.socket.on('data', (chunk: Buffer) => {
            record.bytesIn += chunk.byteLength;
          });
          connection.socket.once('end', () => {
            record.hungUpAt ??= epochNow();
          });
          connection.socket.once('close', () => {
            record.closedAt = epochNow();
            record.hungUpAt ??= record.closedAt;
            open -= 1;
            stopServing();
          });
          behaviour(
            connection,
            () => {
              record.doneAt = epochNow();
              stopServing();
              connection.finish();
            },
            log.length - 1,
          );
        },
      }),
    );
    return {
      ...server,
      log,
      get open() {
        return open;
      },
      get maxServing() {
        return maxServing;
      },
    };
  }

  /**
   * Closes every server. The probe's clients are done by now, but their last closes may still be on
   * the way: they are given a second to arrive, as resetting a connection in the middle of its own
   * shutdown can leave it open for good.
   */
  async close(): Promise<void> {
    await until(() => this.#servers.every((server) => server.stats.active === 0), 1000);
    await Promise.all(this.#servers.splice(0).map((server) => server.close()));
  }
}

/** Sends nothing and never closes: a connection held open (the client's timeout or cancel ends it). */
export const hold: Behaviour = () => {};

/** `numBytes` of `poem` every `delay` seconds, the first at once; finished one delay after the last. */
export function trickle(poem: Uint8Array, numBytes: number, delay: number): Behaviour {
  return (connection, finish) => {
    let at = 0;
    const next = () => {
      if (at >= poem.byteLength) return finish();
      connection.send(poem.subarray(at, at + numBytes));
      at += numBytes;
    };
    next();
    connection.every(delay, next);
  };
}

/**
 * The latest any chunk of the `tasks` (1-based) arrived, in ms, against the schedule of the trickle
 * servers that sent them (`servers[i]` for `tasks[i]`, each sending `numBytes` every `delay` s from its
 * accept): a chunk whose first byte left at a known tick is late by however long after it came.
 */
export function worstLateness(
  events: readonly (readonly [string, number, number, number])[],
  tasks: readonly number[],
  servers: readonly ObservedServer[],
  numBytes: number,
  delay: number,
): number {
  let late = 0;
  tasks.forEach((task, index) => {
    const acceptedAt = servers[index]?.log[0]?.acceptedAt ?? Number.NaN;
    let before = 0;
    for (const [type, of, size, at] of events) {
      if (type !== 'chunk' || of !== task) continue;
      late = Math.max(late, at - (acceptedAt + Math.floor(before / numBytes) * delay * 1000));
      before += size;
    }
  });
  return late;
}

/** Holds each connection `seconds`, then sends all of `poem`. */
export function after(seconds: number, poem: Uint8Array): Behaviour {
  return (connection, finish) => connection.after(seconds, () => connection.sendAll(poem, finish));
}

/** Resets the first `count` connections at once; serves `poem` to the later ones. */
export function resetFirst(count: number, poem: Uint8Array): Behaviour {
  return (connection, finish, index) => {
    if (index < count) connection.reset();
    else connection.sendAll(poem, finish);
  };
}

/** Polls `condition` every 5 ms until it holds or `withinMs` has passed; says which. */
export async function until(condition: () => boolean, withinMs: number, signal?: AbortSignal): Promise<boolean> {
  const giveUpAt = performance.now() + withinMs;
  while (!condition()) {
    if (performance.now() >= giveUpAt || signal?.aborted) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}
