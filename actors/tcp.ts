/**
 * A passive TCP socket as a process, after Erlang's ports and `gen_tcp` with `{active, false}`.
 *
 * The socket lives inside its own port process, linked to the process that opened it (its owner).
 * The port traps exits: when its owner ends for any reason, even `normal`, it closes the socket,
 * which is how a killed or crashed download never leaves a socket open.
 *
 * As in Erlang, where `gen_tcp:recv` is a `port_control` call into the inet driver and the data
 * comes back as a message, the owner's requests (`ask`, `write`, `close`) go straight to the port's
 * driver — the Node socket and its read state — instead of through the port's mailbox, and every
 * answer is one message: `tcp` with a chunk, `tcp_closed`, or `tcp_error`. The driver reads ahead
 * at most one chunk: when a chunk arrives that nobody has asked for, the Node socket is paused until
 * the owner asks. So the owner reads with a blocking-style loop, and its own `receive … after` is
 * the timeout. (An owner that keeps asking never sees the socket paused, which spares Node's
 * pause/resume ticks; routing each request and each socket event through the port's mailbox as
 * well doubled the messages per download. Together they made the client twice raw's CPU.)
 */
import net from 'node:net';
import type { Address } from '../poetry/contract.ts';
import {
  exit,
  isExit,
  type Pid,
  type ProcessBody,
  type Receive,
  receive,
  type Suspend,
  self,
  send,
  spawnLink,
  TIMEOUT,
  type Timeout,
  trapExits,
  unlink,
} from './runtime.ts';

/** What the owner hears from its socket. `socket` is the port's Pid, so several sockets can be told apart. */
export type TcpMessage =
  | { readonly type: 'tcp'; readonly socket: Pid; readonly data: Buffer }
  | { readonly type: 'tcp_closed'; readonly socket: Pid }
  | { readonly type: 'tcp_error'; readonly socket: Pid; readonly error: Error };

type Connected = { readonly type: 'tcp_connected'; readonly socket: Pid };

/**
 * The port's driver: the Node socket and the chunks read but not yet asked for. Its socket
 * callbacks and the owner's calls run between process turns, on the one thread, as a driver's do.
 */
class Driver {
  readonly #port: Pid;
  readonly #owner: Pid;
  /** The owner's pattern for this socket's answers, made once rather than per `recv`. */
  readonly isAnswer: (message: unknown) => message is TcpMessage;
  readonly #socket: net.Socket;
  readonly #unasked: TcpMessage[] = [];
  #asked = 0;
  /** After `tcp_closed` or `tcp_error`, every further request gets the same answer. */
  #final: TcpMessage | undefined = undefined;
  #connected = false;

  constructor(port: Pid, owner: Pid, address: Address) {
    this.#port = port;
    this.#owner = owner;
    this.isAnswer = (message: unknown): message is TcpMessage => isFrom(message, port);
    // Half-open allowed: the peer's end is an answer to the owner, who decides when to close (and
    // may still write, as the raw transform protocol does); Node would otherwise shut our side at once.
    const socket = net.connect({ host: address.host, port: address.port, allowHalfOpen: true }) as DriverSocket;
    this.#socket = socket;
    // One set of listeners serves every socket (no closures per download): Node calls them with the
    // socket as `this`, and the socket carries its driver.
    socket[DRIVER] = this;
    socket.on('connect', connectListener);
    socket.on('data', dataListener);
    socket.on('end', endListener);
    socket.on('error', errorListener);
  }

  /** One more answer wanted: sent now if one is waiting, else the socket reads on until one comes. */
  ask(): void {
    this.#asked++;
    this.#answer();
  }

  write(data: Buffer): void {
    this.#socket.write(data);
  }

  shutdownWrite(): void {
    this.#socket.end();
  }

  /**
   * Closes the socket. After the peer's FIN, by answering with ours: the socket then closes itself,
   * which costs the kernel far less than close() on a half-open socket (see the README's Cost).
   */
  close(): void {
    if (this.#final?.type !== 'tcp_closed') this.#socket.destroy();
    else if (!this.#socket.writableEnded) this.#socket.end();
  }

  onConnect(): void {
    this.#connected = true;
    send(this.#owner, { type: 'tcp_connected', socket: this.#port } satisfies Connected);
  }

  onData(data: Buffer): void {
    const chunk: TcpMessage = { type: 'tcp', socket: this.#port, data };
    // Nothing waits unasked while the owner is asking, so an asked-for chunk goes straight out.
    if (this.#asked > 0) {
      this.#asked--;
      send(this.#owner, chunk);
      return;
    }
    // Passive: a chunk nobody asked for waits here and stops the flow until the owner asks.
    this.#unasked.push(chunk);
    this.#socket.pause();
  }

  onEnd(): void {
    this.#final ??= { type: 'tcp_closed', socket: this.#port };
    this.#answer();
  }

  onError(error: Error): void {
    this.#final ??= { type: 'tcp_error', socket: this.#port, error };
    if (this.#connected) {
      this.#answer();
      return;
    }
    // A failed connect is the answer to `connect` itself, asked or not; the port has nothing left to do.
    send(this.#owner, this.#final);
    exit(this.#port, CLOSE);
  }

  #answer(): void {
    while (this.#asked > 0 && (this.#unasked.length > 0 || this.#final !== undefined)) {
      send(this.#owner, this.#unasked.shift() ?? (this.#final as TcpMessage));
      this.#asked--;
    }
    if (this.#asked > 0 && this.#final === undefined) this.#socket.resume();
  }
}

/** The driver a Node socket belongs to, kept on the socket for the shared listeners below. */
const DRIVER = Symbol('driver');
type DriverSocket = net.Socket & { [DRIVER]: Driver };

function connectListener(this: DriverSocket): void {
  this[DRIVER].onConnect();
}

function dataListener(this: DriverSocket, data: Buffer): void {
  this[DRIVER].onData(data);
}

function endListener(this: DriverSocket): void {
  this[DRIVER].onEnd();
}

function errorListener(this: DriverSocket, error: Error): void {
  this[DRIVER].onError(error);
}

/** Each live port's driver, by the port's Pid (the socket handle the owner holds). */
const drivers = new Map<Pid, Driver>();

/** The reason the port is stopped with by `close` (it traps exits, so it arrives as an `EXIT`). */
const CLOSE = 'close';

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
  drivers.get(socket)?.ask();
}

/**
 * Blocking-style read, used as `yield* recv(socket, after)`: the next chunk, `tcp_closed`,
 * `tcp_error`, or `TIMEOUT` after `after` ms. (On a closed socket it waits for the timeout.)
 */
export function recv(socket: Pid, after?: number): Receive<TcpMessage | Timeout> {
  const driver = drivers.get(socket);
  driver?.ask();
  const isAnswer = driver?.isAnswer ?? ((m: unknown): m is TcpMessage => isFrom(m, socket));
  return receive(isAnswer, after === undefined ? {} : { after });
}

export function write(socket: Pid, data: Buffer): void {
  drivers.get(socket)?.write(data);
}

/** Half-close: no more writes from us; reading goes on until the peer closes. */
export function shutdownWrite(socket: Pid): void {
  drivers.get(socket)?.shutdownWrite();
}

/** Closes the socket at once and stops its port (closing a closed socket does nothing, as in Erlang). */
export function close(socket: Pid): void {
  const driver = drivers.get(socket);
  if (driver === undefined) return;
  driver.close();
  // Unlinked first, so the owner's own end later is not one more signal for a port already closing.
  unlink(socket);
  exit(socket, CLOSE);
}

function isFrom(message: unknown, socket: Pid): boolean {
  return typeof message === 'object' && message !== null && (message as { socket?: unknown }).socket === socket;
}

/** The port process: opens the socket, then only waits for its owner's end (or `close`) to close it. */
function* port(owner: Pid, address: Address): ProcessBody {
  trapExits(true);
  const me = self();
  const driver = new Driver(me, owner, address);
  drivers.set(me, driver);
  try {
    for (;;) {
      const message = yield* receive(isExit);
      if (message.from === owner || message.reason === CLOSE) return;
    }
  } finally {
    drivers.delete(me);
    driver.close();
  }
}
