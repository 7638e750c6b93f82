/**
 * A TCP connection as a channel: Go's `net.Conn` is read by blocking calls, which a goroutine turns
 * into channel sends; here node:net's events are the goroutine. `dial(address)` connects and puts,
 * on `conn.events`: `connected` once, then each chunk as it arrives; at the end the channel is
 * closed (a take returns `CLOSED`); a socket error is put as an `error` event, then the channel is
 * closed. `write`/`end` send; `close` hangs up, and nothing more is put after it.
 *
 * Backpressure: the events channel is buffered (`capacity`, 16 by default). When it is full the
 * socket is paused and the event waits as a parked put; the socket resumes once the put completes,
 * so a process that stops taking stops the reading, and the kernel's windows stop the server.
 * Events that come while paused (an error, the end) are held in order behind the parked one.
 */
import net from 'node:net';
import type { Address } from '../poetry/contract.ts';
import { type Channel, chan } from './channels.ts';

export type SocketEvent =
  | { readonly type: 'connected' }
  | { readonly type: 'chunk'; readonly chunk: Buffer }
  | { readonly type: 'error'; readonly error: Error };

const connected: SocketEvent = Object.freeze({ type: 'connected' });
/** The end of the stream, held in the backlog like an event: it closes the channel when its turn comes. */
const END = Symbol('end');

export class Conn {
  /** `connected`, the chunks, closed at the end; an `error` event before the close on failure. */
  readonly events: Channel<SocketEvent>;
  readonly #socket: net.Socket | undefined;
  #blocked = false;
  #hungUp = false;
  readonly #backlog: (SocketEvent | typeof END)[] = [];

  constructor(address: Address, capacity: number) {
    this.events = chan<SocketEvent>(capacity);
    let socket: net.Socket;
    try {
      socket = net.connect({ host: address.host, port: address.port });
    } catch (error) {
      // A port out of range throws here rather than as an 'error' event: it is reported the same way.
      this.#deliver({ type: 'error', error: error as Error });
      this.#deliver(END);
      return;
    }
    this.#socket = socket;
    socket.on('connect', () => this.#deliver(connected));
    socket.on('data', (chunk: Buffer) => this.#deliver({ type: 'chunk', chunk }));
    socket.on('end', () => this.#deliver(END));
    socket.on('error', (error: Error) => {
      this.#deliver({ type: 'error', error });
      this.#deliver(END);
    });
  }

  write(data: string | Uint8Array): void {
    this.#socket?.write(data);
  }

  /** Writes `data` (if any) and half-closes the sending side. */
  end(data?: string | Uint8Array): void {
    if (data === undefined) this.#socket?.end();
    else this.#socket?.end(data);
  }

  /** Hangs up at once, whatever state the connection is in; the events channel gets nothing more. */
  close(): void {
    this.#hungUp = true;
    this.#backlog.length = 0;
    this.#socket?.destroy();
  }

  #deliver(event: SocketEvent | typeof END): void {
    if (this.#hungUp) return;
    if (this.#blocked) {
      this.#backlog.push(event);
      return;
    }
    if (event === END) {
      this.#hungUp = true;
      this.events.close();
      return;
    }
    if (this.events.offer(event)) return;
    this.#blocked = true;
    this.#socket?.pause();
    this.events.putThen(event, this.#unblock);
  }

  readonly #unblock = (): void => {
    this.#blocked = false;
    while (!this.#blocked && this.#backlog.length > 0) this.#deliver(this.#backlog.shift() as SocketEvent | typeof END);
    if (!this.#blocked && !this.#hungUp) this.#socket?.resume();
  };
}

/** Connects to `address`; see `Conn`. */
export function dial(address: Address, { capacity = 16 }: { readonly capacity?: number } = {}): Conn {
  return new Conn(address, capacity);
}
