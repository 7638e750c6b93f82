/**
 * A passive TCP socket as a port, after Erlang's ports and `gen_tcp` with `{active, false}`.
 *
 * As in BEAM, a port is not a process: the socket is a runtime port (`openPort`) owned by, and
 * linked to, the process that connected it. When its owner ends for any reason, even `normal`, the
 * runtime has the driver close the socket, which is how a killed or crashed download never leaves a
 * socket open. (This was once a port process of its own, trapping its owner's exit: one more
 * process, link and exit message per download, for nothing the runtime cannot do itself.)
 *
 * As in Erlang, where `gen_tcp:recv` is a `port_control` call into the inet driver and the data
 * comes back as a message, the owner's requests (`ask`, `write`, `close`) go straight to the port's
 * driver — the Node socket and its read state — and every answer is one message: `tcp` with a
 * chunk, `tcp_closed`, or `tcp_error`. The driver reads ahead a bounded amount (`READ_AHEAD`):
 * past it, the Node socket is paused until the owner asks. So the owner reads with a
 * blocking-style loop, and its own `receive … after` is the timeout.
 */
import net from 'node:net';
import type { Address } from '../poetry/contract.ts';
import {
  closePort,
  openPort,
  type Port,
  type PortDriver,
  portSend,
  type Receive,
  type ReceiveOptions,
  receive,
  type Suspend,
  TIMEOUT,
  type Timeout,
} from './runtime.ts';

/** A socket, as its owner holds it: the port. Messages name it, so several sockets can be told apart. */
export type Socket = Port<Driver>;

/** What the owner hears from its socket. */
export type TcpMessage =
  | { readonly type: 'tcp'; readonly socket: Socket; readonly data: Buffer }
  | { readonly type: 'tcp_closed'; readonly socket: Socket }
  | { readonly type: 'tcp_error'; readonly socket: Socket; readonly error: Error };

type Connected = { readonly type: 'tcp_connected'; readonly socket: Socket };

/**
 * The port's driver: the Node socket and the chunks read but not yet asked for. Its socket
 * callbacks and the owner's calls run between process turns, on the one thread, as a driver's do.
 */
class Driver implements PortDriver {
  readonly port: Socket;
  /** The owner's pattern for this socket's answers, made once rather than per `recv`. */
  readonly isAnswer: (message: unknown) => message is TcpMessage;
  readonly #socket: net.Socket;
  /** Made for the first chunk that arrives before it is asked for (with a fast owner, never). */
  #unasked: TcpMessage[] | null = null;
  /** The bytes in `#unasked`. */
  #unaskedBytes = 0;
  #asked = 0;
  /** After `tcp_closed` or `tcp_error`, every further request gets the same answer. */
  #final: TcpMessage | undefined = undefined;
  #connected = false;

  constructor(address: Address) {
    const port = openPort(this);
    this.port = port;
    this.isAnswer = (message: unknown): message is TcpMessage => isFrom(message, port);
    const socket = new net.Socket() as DriverSocket;
    // Half-open allowed: the peer's end is an answer to the owner, who decides when to close (and
    // may still write, as the raw transform protocol does); Node would otherwise shut our side at once.
    // Set on the socket rather than passed as an option: with options, Node 20 takes twice as long
    // to construct the socket (the reactor's TCP layer measured it).
    socket.allowHalfOpen = true;
    this.#socket = socket;
    // One set of listeners serves every socket (no closures per download): Node calls them with the
    // socket as `this`, and the socket carries its driver.
    socket[DRIVER] = this;
    socket.on('connect', connectListener);
    socket.on('data', dataListener);
    socket.on('end', endListener);
    socket.on('error', errorListener);
    socket.connect(address.port, address.host);
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
   * Closes the socket and the port. After the peer's FIN, by answering with ours: the socket then
   * closes itself, which costs the kernel far less than close() on a half-open socket (see the README's Cost).
   */
  close(): void {
    closePort(this.port);
    this.#closeSocket();
  }

  /** The port's owner ended, for whatever reason: the socket goes with it. */
  ownerEnded(): void {
    this.#closeSocket();
  }

  onConnect(): void {
    this.#connected = true;
    portSend(this.port, Object.freeze({ type: 'tcp_connected', socket: this.port } satisfies Connected));
  }

  onData(data: Buffer): void {
    const chunk: TcpMessage = Object.freeze({ type: 'tcp', socket: this.port, data });
    // Nothing waits unasked while the owner is asking, so an asked-for chunk goes straight out.
    if (this.#asked > 0) {
      this.#asked--;
      portSend(this.port, chunk);
      return;
    }
    // Passive: chunks nobody asked for wait here, and past `READ_AHEAD` bytes the flow stops until
    // the owner asks.
    if (this.#unasked === null) this.#unasked = [chunk];
    else this.#unasked.push(chunk);
    this.#unaskedBytes += data.length;
    if (this.#unaskedBytes > READ_AHEAD) this.#socket.pause();
  }

  onEnd(): void {
    this.#final ??= Object.freeze({ type: 'tcp_closed', socket: this.port });
    this.#answer();
  }

  onError(error: Error): void {
    this.#final ??= Object.freeze({ type: 'tcp_error', socket: this.port, error });
    if (this.#connected) {
      this.#answer();
      return;
    }
    // A failed connect is the answer to `connect` itself, asked or not; the port has nothing left to do.
    portSend(this.port, this.#final);
    this.close();
  }

  #closeSocket(): void {
    if (this.#final?.type !== 'tcp_closed') this.#socket.destroy();
    else if (!this.#socket.writableEnded) this.#socket.end();
  }

  #answer(): void {
    while (this.#asked > 0) {
      const chunk = this.#unasked?.shift();
      if (chunk?.type === 'tcp') this.#unaskedBytes -= chunk.data.length;
      const next = chunk ?? this.#final;
      if (next === undefined) break;
      portSend(this.port, next);
      this.#asked--;
    }
    if (this.#asked > 0 && this.#final === undefined) this.#socket.resume();
  }
}

/**
 * How much a socket reads ahead of its owner before it stops reading: about one kernel receive
 * buffer, as Erlang's inet driver keeps a buffer of its own. Stopping at the first chunk nobody had
 * asked for yet paused nearly every socket whose connect, data and end came in one turn of the
 * event loop — Node's pause and resume cost ticks, and the end waited for the resume.
 */
const READ_AHEAD = 64 * 1024;

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

/** `receive`'s options for `after` ms; the one for no time limit is shared. */
const FOREVER: ReceiveOptions = Object.freeze({});
function within(after: number | undefined): ReceiveOptions {
  return after === undefined ? FOREVER : { after };
}

/**
 * Connects to `address` from the running process, which owns the socket; returns the socket, or
 * `TIMEOUT` (the socket closed) when not connected within `after` ms. A refused or failed connect
 * throws its error.
 */
export function* connect(address: Address, after?: number): Generator<Suspend, Socket | Timeout, unknown> {
  const driver = new Driver(address);
  const isConnectAnswer: (m: unknown) => m is Connected | TcpMessage = driver.isAnswer;
  const answer = yield* receive(isConnectAnswer, within(after));
  if (answer === TIMEOUT) {
    driver.close();
    return TIMEOUT;
  }
  if (answer.type === 'tcp_error') throw answer.error;
  return driver.port;
}

/** Asks for the next chunk, delivered later as one `TcpMessage` (Erlang's `{active, once}`). */
export function ask(socket: Socket): void {
  socket.driver?.ask();
}

/**
 * Blocking-style read, used as `yield* recv(socket, after)`: the next chunk, `tcp_closed`,
 * `tcp_error`, or `TIMEOUT` after `after` ms. (On a closed socket it waits for the timeout.)
 */
export function recv(socket: Socket, after?: number): Receive<TcpMessage | Timeout> {
  const driver = socket.driver;
  driver?.ask();
  const isAnswer = driver?.isAnswer ?? ((m: unknown): m is TcpMessage => isFrom(m, socket));
  return receive(isAnswer, within(after));
}

export function write(socket: Socket, data: Buffer): void {
  socket.driver?.write(data);
}

/** Half-close: no more writes from us; reading goes on until the peer closes. */
export function shutdownWrite(socket: Socket): void {
  socket.driver?.shutdownWrite();
}

/** Closes the socket at once (closing a closed socket does nothing, as in Erlang). */
export function close(socket: Socket): void {
  socket.driver?.close();
}

function isFrom(message: unknown, socket: Socket): boolean {
  return typeof message === 'object' && message !== null && (message as { socket?: unknown }).socket === socket;
}
