/**
 * A passive TCP socket as a process, after Erlang's ports and `gen_tcp` with `{active, false}`.
 *
 * The socket lives inside its own port process, linked to the process that opened it (its owner).
 * The Node socket stays paused: bytes are read only when the owner asks (`recv`, or `ask` for the
 * message form), and each answer is one message — `tcp` with a chunk, `tcp_closed`, or `tcp_error`.
 * So the owner reads with a blocking-style loop, and its own `receive … after` is the timeout.
 * The port traps exits: when its owner ends for any reason, even `normal`, it closes the socket,
 * which is how a killed or crashed download never leaves a socket open.
 */
import net from 'node:net';
import type { Address } from '../poetry/contract.ts';
import {
  isExit,
  type Pid,
  type ProcessBody,
  receive,
  type Suspend,
  self,
  send,
  spawnLink,
  TIMEOUT,
  type Timeout,
  trapExits,
} from './runtime.ts';

/** What the owner hears from its socket. `socket` is the port's Pid, so several sockets can be told apart. */
export type TcpMessage =
  | { readonly type: 'tcp'; readonly socket: Pid; readonly data: Buffer }
  | { readonly type: 'tcp_closed'; readonly socket: Pid }
  | { readonly type: 'tcp_error'; readonly socket: Pid; readonly error: Error };

type Connected = { readonly type: 'tcp_connected'; readonly socket: Pid };

/** What the owner asks of the port. */
type PortRequest =
  | { readonly type: 'recv' }
  | { readonly type: 'write'; readonly data: Buffer }
  | { readonly type: 'shutdown' }
  | { readonly type: 'close' };

/** What the Node socket's callbacks tell the port. */
type SocketEvent =
  | { readonly type: '$connect' }
  | { readonly type: '$data'; readonly data: Buffer }
  | { readonly type: '$end' }
  | { readonly type: '$error'; readonly error: Error };

/**
 * Connects to `address` from the running process; returns the socket (its port's Pid), or
 * `TIMEOUT` when not connected within `after` ms. A refused or failed connect throws its error.
 */
export function* connect(address: Address, after?: number): Generator<Suspend, Pid | Timeout, unknown> {
  const owner = self();
  const socket = spawnLink(() => port(owner, address));
  const answer = yield* receive(
    (m: unknown): m is Connected | TcpMessage => isFrom(m, socket),
    after === undefined ? {} : { after },
  );
  if (answer === TIMEOUT) return TIMEOUT;
  if (answer.type === 'tcp_error') throw answer.error;
  return socket;
}

/** Asks for the next chunk, delivered later as one `TcpMessage` (Erlang's `{active, once}`). */
export function ask(socket: Pid): void {
  send(socket, { type: 'recv' } satisfies PortRequest);
}

/** Blocking-style read: the next chunk, `tcp_closed`, `tcp_error`, or `TIMEOUT` after `after` ms. */
export function* recv(socket: Pid, after?: number): Generator<Suspend, TcpMessage | Timeout, unknown> {
  ask(socket);
  return yield* receive((m: unknown): m is TcpMessage => isFrom(m, socket), after === undefined ? {} : { after });
}

export function write(socket: Pid, data: Buffer): void {
  send(socket, { type: 'write', data } satisfies PortRequest);
}

/** Half-close: no more writes from us; reading goes on until the peer closes. */
export function shutdownWrite(socket: Pid): void {
  send(socket, { type: 'shutdown' } satisfies PortRequest);
}

export function close(socket: Pid): void {
  send(socket, { type: 'close' } satisfies PortRequest);
}

function isFrom(message: unknown, socket: Pid): boolean {
  return typeof message === 'object' && message !== null && (message as { socket?: unknown }).socket === socket;
}

/** The port process: owns the Node socket, answers one `recv` with one event, closes with its owner. */
function* port(owner: Pid, address: Address): ProcessBody {
  trapExits(true);
  const me = self();
  const socket = net.connect({ host: address.host, port: address.port });
  socket.pause();
  socket.on('connect', () => send(me, { type: '$connect' } satisfies SocketEvent));
  socket.on('data', (data: Buffer) => {
    // Passive: one chunk per request, so flow stops until the owner asks again.
    socket.pause();
    send(me, { type: '$data', data } satisfies SocketEvent);
  });
  socket.on('end', () => send(me, { type: '$end' } satisfies SocketEvent));
  socket.on('error', (error) => send(me, { type: '$error', error } satisfies SocketEvent));
  const events: TcpMessage[] = [];
  let asked = 0;
  /** After `tcp_closed` or `tcp_error`, every further `recv` gets the same answer. */
  let final: TcpMessage | undefined;
  let connected = false;
  try {
    for (;;) {
      const message = yield* receive();
      if (isExit(message)) {
        if (message.from === owner) return;
        continue;
      }
      const request = message as PortRequest | SocketEvent;
      switch (request.type) {
        case '$connect':
          connected = true;
          send(owner, { type: 'tcp_connected', socket: me } satisfies Connected);
          continue;
        case '$data':
          events.push({ type: 'tcp', socket: me, data: request.data });
          break;
        case '$end':
          final ??= { type: 'tcp_closed', socket: me };
          break;
        case '$error':
          final ??= { type: 'tcp_error', socket: me, error: request.error };
          // A failed connect is the answer to `connect` itself, asked or not.
          if (!connected) {
            send(owner, final);
            return;
          }
          break;
        case 'recv':
          asked++;
          break;
        case 'write':
          socket.write(request.data);
          continue;
        case 'shutdown':
          socket.end();
          continue;
        case 'close':
          return;
      }
      while (asked > 0 && (events.length > 0 || final !== undefined)) {
        send(owner, events.shift() ?? (final as TcpMessage));
        asked--;
      }
      if (asked > 0 && final === undefined) socket.resume();
    }
  } finally {
    socket.destroy();
  }
}
