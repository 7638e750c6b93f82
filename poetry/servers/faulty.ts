/**
 * The faulty server: one server, one mode per failure a client must survive without hanging,
 * crashing or losing the other poems.
 *
 * - `reset`: sends the first part of the poem, then aborts the connection with a TCP RST.
 * - `stall`: sends the first line, then neither sends nor closes, ever (only a client timeout ends it).
 * - `bad-utf8`: sends a poem with bytes that are not UTF-8 in the middle, then closes normally.
 * - `flaky`: resets the first `failFirst` connections at once and serves the poem to later ones,
 *   so a client's retries have something to recover from.
 *
 * The fifth failure, a port that refuses, needs no server: `refusingAddress` gives a port that
 * nothing listens on and nothing else can be given for the life of the process.
 */
import net from 'node:net';
import type { Address } from '../contract.ts';
import { poems } from '../poems/index.ts';
import { type ListenOptions, type PoetryConnection, type PoetryServer, startServer } from './server.ts';

export const faultModes = ['reset', 'stall', 'bad-utf8', 'flaky'] as const;
export type FaultMode = (typeof faultModes)[number];

export interface FaultyServerOptions extends ListenOptions {
  readonly mode: FaultMode;
  /** Default: the `small-hours` poem. */
  readonly poem?: string | Uint8Array;
  /** In `flaky` mode, how many connections are reset before one is served; default 1. */
  readonly failFirst?: number;
}

/** How long `reset` waits after its partial poem is flushed, so the client reads it before the RST. */
const resetAfterSeconds = 0.05;
/** A lone continuation byte, an overlong encoding and a byte UTF-8 never uses. */
const invalidUtf8 = Buffer.from([0x80, 0xc0, 0xaf, 0xff]);

export function startFaultyServer(options: FaultyServerOptions): Promise<PoetryServer> {
  const poem = Buffer.from(options.poem ?? poems['small-hours'].text);
  const failFirst = options.failFirst ?? 1;
  if (!(faultModes as readonly string[]).includes(options.mode)) {
    throw new RangeError(`unknown fault mode "${options.mode}"; modes: ${faultModes.join(', ')}`);
  }
  let served = 0;
  const faults: Record<FaultMode, (connection: PoetryConnection) => void> = {
    reset(connection) {
      connection.sendAll(poem.subarray(0, Math.ceil(poem.byteLength / 2)), () =>
        connection.after(resetAfterSeconds, () => connection.reset()),
      );
    },
    stall(connection) {
      const firstLine = poem.indexOf(0x0a);
      connection.send(poem.subarray(0, firstLine < 0 ? Math.min(poem.byteLength, 16) : firstLine + 1));
    },
    'bad-utf8'(connection) {
      const middle = Math.floor(poem.byteLength / 2);
      const spoiled = Buffer.concat([poem.subarray(0, middle), invalidUtf8, poem.subarray(middle)]);
      connection.sendAll(spoiled, () => connection.finish());
    },
    flaky(connection) {
      served += 1;
      if (served <= failFirst) connection.reset();
      else connection.sendAll(poem, () => connection.finish());
    },
  };
  // A stalled connection never writes again, so only closing on the client's FIN shows it left.
  return startServer({
    ...options,
    kind: 'faulty',
    allowHalfOpen: options.mode !== 'stall',
    serve: faults[options.mode],
  });
}

const reservations = new Map<string, Promise<Address>>();

/**
 * A loopback address that refuses connections for the life of the process: the same one on every
 * call for an interface. Handing out a port that was merely free raced with the next servers on
 * port 0, which could be given it (the faults scenario then got a poem where it expected REFUSED).
 *
 * The port is the local end of a connection we hold to a listener of our own, closed once it has
 * accepted. Nothing listens on it, so a connect is refused; a live socket is bound to it, so the
 * system never hands it to a server asking for port 0. The client end binds its port explicitly
 * (`localAddress`) rather than taking one from `connect()`: ports `connect()` picks are shared with
 * other connects, and a connect to the address could then be given that same port as its source
 * and connect to itself (seen about once in 10,000 connects on Linux). An explicitly bound port is
 * never a source for `connect()`. What this cannot stop is a server asked for that very port by
 * number (Node sets SO_REUSEADDR): nothing in the project asks for an ephemeral port by number.
 * Both ends are unref'd, so they neither keep the process alive nor count as a leak.
 */
export function refusingAddress(iface = '127.0.0.1'): Promise<Address> {
  let reserved = reservations.get(iface);
  if (reserved === undefined) {
    reserved = reserve(iface);
    reservations.set(iface, reserved);
    // A failed attempt is not kept: the next call tries again.
    reserved.catch(() => reservations.delete(iface));
  }
  return reserved;
}

async function reserve(iface: string): Promise<Address> {
  const listener = net.createServer();
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ port: 0, host: iface }, resolve);
  });
  listener.unref();
  try {
    const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
    const holder = net.connect({
      port: (listener.address() as net.AddressInfo).port,
      host: iface,
      localAddress: iface,
    });
    await new Promise<void>((resolve, reject) => {
      holder.once('error', reject);
      holder.once('connect', resolve);
    });
    const peer = await accepted;
    for (const end of [holder, peer]) {
      end.unref();
      end.on('error', () => {});
    }
    return { host: holder.localAddress ?? iface, port: holder.localPort ?? 0 };
  } finally {
    // Closing the listener leaves the accepted connection open; only new connects are turned away.
    listener.close();
  }
}
