/**
 * A bare TCP client for the servers' own tests: connect, optionally write and half-close, record
 * every chunk and how the connection ended. It is deliberately not a poetry client (no decoding, no
 * timeouts of its own), so a server test never depends on any model's code.
 */
import net from 'node:net';
import type { Address } from '../contract.ts';

export interface RawExchange {
  readonly chunks: Buffer[];
  readonly data: Buffer;
  /** The socket error's code (`ECONNRESET`, `ECONNREFUSED`), if the connection ended with one. */
  readonly errorCode: string | undefined;
}

export interface RawClient {
  readonly socket: net.Socket;
  /** What has arrived so far. */
  readonly chunks: readonly Buffer[];
  /** Resolves when the socket has closed. */
  readonly done: Promise<RawExchange>;
}

export function openRawClient(
  address: Address,
  request?: { write?: Uint8Array | string; halfClose?: boolean },
): RawClient {
  const chunks: Buffer[] = [];
  let errorCode: string | undefined;
  const socket = net.connect({ host: address.host, port: address.port });
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', (error: NodeJS.ErrnoException) => {
    errorCode = error.code;
  });
  if (request?.write !== undefined) socket.write(request.write);
  if (request?.halfClose) socket.end();
  const done = new Promise<RawExchange>((resolve) =>
    socket.once('close', () => resolve({ chunks, data: Buffer.concat(chunks), errorCode })),
  );
  return { socket, chunks, done };
}

/** Connects, sends `request` (if any) and collects everything until the server closes. */
export function rawExchange(
  address: Address,
  request?: { write?: Uint8Array | string; halfClose?: boolean },
): Promise<RawExchange> {
  return openRawClient(address, request).done;
}

/** Polls `condition` each few milliseconds until it holds; a generous bound keeps a broken server from hanging a test. */
export async function eventually(condition: () => boolean, what: string, boundMs = 10_000): Promise<void> {
  const giveUp = Date.now() + boundMs;
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Handles of the kinds servers and clients open: sockets, servers and timers (not the runner's pipes). */
export function openHandles(): string[] {
  return process.getActiveResourcesInfo().filter((kind) => /TCP|Timeout/.test(kind));
}
