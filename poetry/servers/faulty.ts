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
 * The fifth failure, a port that refuses, needs no server: `refusingAddress` finds a port that
 * nothing listens on.
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
  return startServer({ ...options, kind: 'faulty', serve: faults[options.mode] });
}

/** A loopback address nothing listens on: a port the system just handed out, then closed again. */
export async function refusingAddress(iface = '127.0.0.1'): Promise<Address> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ port: 0, host: iface }, resolve);
  });
  const { address, port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return { host: address, port };
}
