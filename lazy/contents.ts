/**
 * `contents(address)`: the `hGetContents` of this world. It looks like the whole poem, as text, but
 * nothing is read until it is asked for:
 *
 * - the connection is opened on the first pull, not when `contents` is called;
 * - the socket is left paused; each pull takes what the kernel has already delivered (`read()`), or
 *   waits for more. A consumer that stops pulling leaves Node's buffer full, Node stops reading the
 *   socket, the kernel's receive window closes and the server's writes stall: real TCP backpressure;
 * - bytes are decoded as UTF-8 across chunk boundaries (a character cut by one waits for the rest),
 *   failing with `BAD_ENCODING`;
 * - `break`, `return()` or a combinator's close destroys the socket at once, even with a read pending.
 *
 * "Async I/O processes as much data as you have; lazy evaluation processes as much as you need."
 */
import net from 'node:net';
import type { Address, PoetryError } from '../poetry/contract.ts';
import { PoemDecoder } from '../poetry/decode.ts';
import { toPoetryError } from '../poetry/errors.ts';
import { Lazy, type Puller, type Run, single } from './lazy.ts';

export interface ContentsOptions {
  /** Written as soon as the connection is up (a request, e.g. a netstring for the transform server). */
  readonly send?: Uint8Array | string;
  /** Half-close (end our write side) after `send`: the raw transform protocol. */
  readonly halfClose?: boolean;
  /** Decode the answer as UTF-8 text (default). `false` hands out the raw bytes. */
  readonly decode?: boolean;
  /** Called when the connection is established. */
  readonly onConnected?: () => void;
  /** Called with the size in bytes of each chunk as it is pulled. */
  readonly onBytes?: (bytes: number) => void;
}

/** The text the server at `address` sends, read lazily. */
export function contents(address: Address, options?: ContentsOptions & { decode?: true }): Lazy<string>;
/** The bytes the server at `address` sends, read lazily. */
export function contents(address: Address, options: ContentsOptions & { decode: false }): Lazy<Buffer>;
export function contents(address: Address, options?: ContentsOptions): Lazy<string> | Lazy<Buffer> {
  if (options?.decode === false) return new Lazy(() => new BytesPuller(address, options));
  return new Lazy(() => new TextPuller(address, options));
}

/** What `#take` answers when nothing is here yet and the pull must wait for the socket. */
const mustWait = Symbol('must wait');

/**
 * The socket of one pull-driven read, pointing back at its reader. Its listeners are functions
 * shared by every socket, called with the socket as `this`: thousands of connections then cost no
 * closures for them.
 */
class Connection extends net.Socket {
  readonly reader: SocketPuller<unknown>;

  constructor(reader: SocketPuller<unknown>) {
    super();
    this.reader = reader;
  }
}

function onReadable(this: Connection): void {
  this.reader.readable();
}

function onEnd(this: Connection): void {
  this.reader.ended();
}

function onError(this: Connection, error: Error): void {
  this.reader.failed(error);
}

/** Reads one socket on demand; a subclass says what a chunk becomes and what the end must check. */
abstract class SocketPuller<T> implements Puller<T> {
  protected readonly address: Address;
  readonly #options: ContentsOptions | undefined;
  #socket: Connection | undefined;
  /** The pending pull's settle functions, while it waits for the socket. */
  #resolve: ((run: Run<T> | undefined) => void) | undefined;
  #reject: ((error: PoetryError) => void) | undefined;
  #error: PoetryError | undefined;
  #ended = false;
  #closed = false;

  constructor(address: Address, options: ContentsOptions | undefined) {
    this.address = address;
    this.#options = options;
  }

  /** The item one chunk becomes. */
  protected abstract item(chunk: Buffer): T;
  /** Called once the server has closed, before the end is reported; throws if what came is incomplete. */
  protected abstract finish(): void;

  pull(): Promise<Run<T> | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    if (!this.#socket) this.#connect();
    let answer: Run<T> | undefined | typeof mustWait;
    try {
      answer = this.#take();
    } catch (error) {
      return Promise.reject(error);
    }
    if (answer !== mustWait) return Promise.resolve(answer);
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  close(): Promise<void> {
    this.#release();
    const resolve = this.#resolve;
    this.#resolve = this.#reject = undefined;
    resolve?.(undefined);
    return Promise.resolve();
  }

  /** Opens the socket, left paused, and hooks up the events that wake a waiting pull. */
  #connect(): void {
    const socket = new Connection(this as SocketPuller<unknown>);
    // A 'readable' listener keeps the socket paused: Node fills its buffer up to the high-water mark,
    // then stops reading until we `read()` — the rest waits in the kernel, then at the server.
    // (`on`, not `once`, for the events that come once: a once-wrapper per socket is a cost that
    // thousands of connections notice, and the socket is let go of after them anyway.)
    socket.on('readable', onReadable);
    socket.on('end', onEnd);
    socket.on('error', onError);
    const options = this.#options;
    if (options && (options.onConnected || options.send !== undefined || options.halfClose)) {
      socket.on('connect', () => {
        options.onConnected?.();
        const { send, halfClose } = options;
        if (send !== undefined && halfClose) socket.end(send);
        else if (send !== undefined) socket.write(send);
        else if (halfClose) socket.end();
      });
    }
    try {
      socket.connect(this.address.port, this.address.host);
    } catch (error) {
      // A bad port throws here rather than emitting 'error'; the handle made for it is closed.
      socket.destroy();
      this.#error = toPoetryError(error, this.address);
      this.#closed = true;
      return;
    }
    this.#socket = socket;
  }

  /** The socket has something to read: a waiting pull takes it. */
  readable(): void {
    this.#wake();
  }

  /** The server has closed its side. */
  ended(): void {
    this.#ended = true;
    this.#wake();
  }

  failed(error: Error): void {
    this.#error = toPoetryError(error, this.address);
    this.#wake();
  }

  /** A run that can be handed out now, `undefined` at the end, or `mustWait`; throws the socket's failure. */
  #take(): Run<T> | undefined | typeof mustWait {
    try {
      if (this.#error) throw this.#error;
      const chunk = this.#socket?.read() as Buffer | null | undefined;
      if (chunk) {
        this.#options?.onBytes?.(chunk.length);
        return single(this.item(chunk));
      }
      if (this.#ended) {
        this.finish();
        this.#release();
        return undefined;
      }
      return mustWait;
    } catch (error) {
      this.#release();
      throw toPoetryError(error, this.address);
    }
  }

  /** Settles the waiting pull, if any, once the socket has something for it. */
  #wake(): void {
    const resolve = this.#resolve;
    const reject = this.#reject;
    if (!resolve || !reject) return;
    let answer: Run<T> | undefined | typeof mustWait;
    try {
      answer = this.#take();
    } catch (error) {
      this.#resolve = this.#reject = undefined;
      reject(error as PoetryError);
      return;
    }
    if (answer === mustWait) return;
    this.#resolve = this.#reject = undefined;
    resolve(answer);
  }

  /**
   * Hangs up and lets go of the socket: a forked download that has finished may wait a long time
   * for the printer to take it, and thousands of dead sockets kept until then are work for the GC.
   */
  #release(): void {
    this.#closed = true;
    // After the server's FIN the socket closes itself (FIN back, then close), far cheaper for the
    // kernel than close() on a half-open socket; before it, hanging up means destroying it.
    if (!this.#ended) this.#socket?.destroy();
    this.#socket = undefined;
  }
}

class BytesPuller extends SocketPuller<Buffer> {
  protected item(chunk: Buffer): Buffer {
    return chunk;
  }

  protected finish(): void {}
}

/**
 * Text, decoded as it comes: each chunk up to its last whole character, the rest kept for the next
 * (`PoemDecoder` without keep, which shares one `TextDecoder` among every connection).
 */
class TextPuller extends SocketPuller<string> {
  #decoder: PoemDecoder | undefined;

  protected item(chunk: Buffer): string {
    this.#decoder ??= new PoemDecoder(this.address, { keep: false });
    return this.#decoder.push(chunk);
  }

  /** A poem that ends inside a character is not UTF-8. */
  protected finish(): void {
    this.#decoder?.end();
  }
}
