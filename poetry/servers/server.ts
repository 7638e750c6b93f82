/**
 * What every poetry server shares: listening on loopback, counting connections and bytes, and
 * shutting down without leaving a socket or timer behind. Each kind (slow, fast, transform, faulty)
 * only says what to do with one accepted connection, through `PoetryConnection`.
 *
 * The stats are what tests observe from the server's side: `maxActive` proves a client's concurrency
 * limit, `closedByClient` proves a cancelled client really hung up, `bytesSent` what left the server.
 *
 * Two rules keep a server from making a broken download look whole. A client's FIN means it has
 * nothing more to say, not that it wants no more poetry, so connections stay half-open and the poem
 * goes on (`nc -N` gets all of it). And `close()` resets every connection whose poem is not fully
 * flushed: a clean FIN there would tell the client a cut poem was complete.
 */
import net from 'node:net';
import { type Address, formatAddress } from '../contract.ts';

export type ServerKind = 'slow' | 'fast' | 'transform' | 'faulty';

export interface ServerStats {
  /** Connections accepted so far. */
  connections: number;
  /** Connections being served now (in `serial` mode, waiting ones are not counted). */
  active: number;
  /** The most connections ever served at once. */
  maxActive: number;
  /** Bytes handed to the operating system (written and flushed from Node's buffers). */
  bytesSent: number;
  /** Connections the client closed or broke before the server was done with them. */
  closedByClient: number;
}

export interface PoetryServer {
  readonly kind: ServerKind;
  readonly address: Address;
  readonly stats: Readonly<ServerStats>;
  /**
   * Stops listening, resets every connection whose poem is not fully sent (so no client takes a cut
   * poem for a whole one), clears their timers; resolves once all are closed.
   */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** 0 (the default) picks a free port; `address.port` says which. */
  readonly port?: number;
  /** The interface to bind; default `127.0.0.1`. */
  readonly iface?: string;
  /** Called with one line per accepted connection (the command line sends these to stderr). */
  readonly log?: (line: string) => void;
}

/** One accepted connection, as a server kind sees it. */
export interface PoetryConnection {
  readonly socket: net.Socket;
  /** True once the socket has closed, for whatever reason. */
  readonly closed: boolean;
  /** Writes a small chunk, counting it in `bytesSent` once flushed. */
  send(chunk: Uint8Array): void;
  /** Writes `data` in slices, waiting for `drain` between them (a 100 MB poem is not one write), then calls `done`. */
  sendAll(data: Uint8Array, done: () => void): void;
  /** Ends the connection normally, after whatever was written is flushed. */
  finish(): void;
  /** Closes at once without a reply (a bad request, a failing transform). */
  drop(): void;
  /** Aborts with a TCP RST. */
  reset(): void;
  /** Runs `tick` every `seconds` until the connection closes; one timer per connection, however many ticks. */
  every(seconds: number, tick: () => void): void;
  /** Runs `fn` once after `seconds`, unless the connection closes first. */
  after(seconds: number, fn: () => void): void;
}

export interface ServerSetup extends ListenOptions {
  readonly kind: ServerKind;
  /** Serve one connection at a time; others are accepted and wait their turn, like the classic blocking server. */
  readonly serial?: boolean;
  /**
   * Keep sending after the client half-closes; default true. Only a kind that never writes again
   * (the stall fault) turns it off: half-open, it would never notice a client that left.
   */
  readonly allowHalfOpen?: boolean;
  readonly serve: (connection: PoetryConnection) => void;
}

const sliceBytes = 64 * 1024;

export async function startServer(setup: ServerSetup): Promise<PoetryServer> {
  const stats: ServerStats = { connections: 0, active: 0, maxActive: 0, bytesSent: 0, closedByClient: 0 };
  const open = new Set<TrackedConnection>();
  const waiting: Array<() => void> = [];
  const server = net.createServer({ allowHalfOpen: setup.allowHalfOpen ?? true });

  const begin = (socket: net.Socket, connection: TrackedConnection): void => {
    connection.started = true;
    stats.active += 1;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    socket.resume();
    setup.serve(connection);
  };

  server.on('connection', (socket) => {
    stats.connections += 1;
    setup.log?.(
      connectionLine(setup.kind, address, stats.connections, {
        host: socket.remoteAddress ?? '',
        port: socket.remotePort ?? 0,
      }),
    );
    // A client may hang up or reset at any moment; that is an event to count, never a crash.
    socket.on('error', () => {});
    const connection = trackConnection(socket, stats);
    open.add(connection);
    socket.once('close', () => {
      open.delete(connection);
      if (connection.started) {
        stats.active -= 1;
        waiting.shift()?.();
      } else {
        const at = waiting.indexOf(start);
        if (at >= 0) waiting.splice(at, 1);
      }
    });
    const start = () => begin(socket, connection);
    if (setup.serial && stats.active > 0) {
      socket.pause();
      waiting.push(start);
    } else {
      start();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Node's default backlog (511) drops connections when thousands arrive at once (the many-fast case).
    server.listen({ port: setup.port ?? 0, host: setup.iface ?? '127.0.0.1', backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  const address: Address = { host: bound.address, port: bound.port };
  // Once listening, an error is about one accept (out of descriptors, say): worth a line, not a crash.
  server.on('error', (error) => setup.log?.(`${setup.kind} server ${formatAddress(address)}: ${error.message}`));

  let closing: Promise<void> | undefined;
  return {
    kind: setup.kind,
    address,
    stats,
    close() {
      // The server's own close callback can run before its sockets' 'close' events (it counts a
      // socket gone once destroyed), so wait for both: only then are all handles and timers released.
      closing ??= (async () => {
        waiting.length = 0;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        const sockets = [...open].map(({ socket }) => new Promise((resolve) => socket.once('close', resolve)));
        for (const connection of open) connection.abandon();
        await Promise.all([stopped, ...sockets]);
        // The server's close callback runs on the next tick, before libuv has released its handle;
        // that happens in the loop's close phase, which follows the check phase of the next turn.
        for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
      })();
      return closing;
    },
  };
}

/** The line every kind logs per accepted connection, e.g. `slow server 127.0.0.1:10001: connection 3 from 127.0.0.1:50412`. */
export function connectionLine(kind: string, server: Address, count: number, peer: Address): string {
  return `${kind} server ${formatAddress(server)}: connection ${count} from ${formatAddress(peer)}`;
}

interface TrackedConnection extends PoetryConnection {
  started: boolean;
  /** What `close()` does to a connection still open: a reset, unless its poem is already all sent. */
  abandon(): void;
}

function trackConnection(socket: net.Socket, stats: ServerStats): TrackedConnection {
  let closed = false;
  let serverDone = false;
  let timer: NodeJS.Timeout | undefined;
  socket.once('close', () => {
    closed = true;
    // clearTimeout also clears an interval: Node's timers are one kind of object.
    clearTimeout(timer);
    if (!serverDone) stats.closedByClient += 1;
  });
  const schedule = (seconds: number, fn: () => void, repeat: boolean) => {
    if (closed) return;
    clearTimeout(timer);
    timer = repeat ? setInterval(fn, seconds * 1000) : setTimeout(fn, seconds * 1000);
  };
  const send = (chunk: Uint8Array, flushed?: () => void) =>
    socket.write(chunk, (error) => {
      if (!error) stats.bytesSent += chunk.byteLength;
      flushed?.();
    });

  return {
    started: false,
    socket,
    get closed() {
      return closed;
    },
    send(chunk) {
      if (!closed) send(chunk);
    },
    sendAll(data, done) {
      let at = 0;
      const next = (): void => {
        while (!closed && at < data.byteLength) {
          const slice = data.subarray(at, at + sliceBytes);
          at += slice.byteLength;
          if (!send(slice)) {
            socket.once('drain', next);
            return;
          }
        }
        if (!closed) done();
      };
      next();
    },
    finish() {
      serverDone = true;
      clearTimeout(timer);
      socket.end();
    },
    drop() {
      serverDone = true;
      socket.destroy();
    },
    reset() {
      serverDone = true;
      socket.resetAndDestroy();
    },
    abandon() {
      // `writableFinished`: our FIN went out after the last byte, so the client has the whole poem.
      if (socket.writableFinished) socket.destroy();
      else this.reset();
    },
    every: (seconds, tick) => schedule(seconds, tick, true),
    after: (seconds, fn) => schedule(seconds, fn, false),
  };
}
