/**
 * `contents(address)`: the `hGetContents` of this world. It looks like the whole poem, as text, but
 * nothing is read until it is asked for:
 *
 * - the connection is opened on the first pull, not when `contents` is called;
 * - the socket is left paused; each pull takes what the kernel has already delivered (`read()`), or
 *   waits for more. A consumer that stops pulling leaves Node's buffer full, Node stops reading the
 *   socket, the kernel's receive window closes and the server's writes stall: real TCP backpressure;
 * - bytes are decoded as UTF-8 across chunk boundaries (`PoemDecoder`), failing with `BAD_ENCODING`;
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
export function contents(address: Address, options: ContentsOptions = {}): Lazy<string> | Lazy<Buffer> {
  if (options.decode === false) return new Lazy(() => new SocketPuller(address, options, (chunk) => chunk));
  return new Lazy(() => {
    // A stream passes each piece on and keeps none of it: memory stays flat however long the poem.
    const decoder = new PoemDecoder(address, { keep: false });
    return new SocketPuller(address, options, (chunk, last) => (last ? decoder.end() : decoder.push(chunk)));
  });
}

/** Turns one chunk into an item; called once more with `last` at the end (to reject a cut character). */
type ChunkReader<T> = (chunk: Buffer, last: boolean) => T;

interface Waiter<T> {
  readonly resolve: (run: Run<T> | undefined) => void;
  readonly reject: (error: PoetryError) => void;
}

const noBytes = Buffer.alloc(0);

class SocketPuller<T> implements Puller<T> {
  readonly #address: Address;
  readonly #options: ContentsOptions;
  readonly #readChunk: ChunkReader<T>;
  #socket: net.Socket | undefined;
  #waiter: Waiter<T> | undefined;
  #error: PoetryError | undefined;
  #ended = false;
  #closed = false;

  constructor(address: Address, options: ContentsOptions, readChunk: ChunkReader<T>) {
    this.#address = address;
    this.#options = options;
    this.#readChunk = readChunk;
  }

  pull(): Promise<Run<T> | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    if (!this.#socket) this.#connect();
    return this.#take() ?? new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  close(): Promise<void> {
    this.#release();
    this.#waiter?.resolve(undefined);
    this.#waiter = undefined;
    return Promise.resolve();
  }

  // #region connect
  #connect(): void {
    const { host, port } = this.#address;
    let socket: net.Socket;
    try {
      socket = net.connect({ host, port });
    } catch (error) {
      // A bad port throws here rather than emitting 'error'.
      this.#error = toPoetryError(error, this.#address);
      this.#closed = true;
      return;
    }
    this.#socket = socket;
    socket.once('connect', () => {
      this.#options.onConnected?.();
      const { send, halfClose } = this.#options;
      if (send !== undefined && halfClose) socket.end(send);
      else if (send !== undefined) socket.write(send);
      else if (halfClose) socket.end();
    });
    // A 'readable' listener keeps the socket paused: Node fills its buffer up to the high-water mark,
    // then stops reading until we `read()` — the rest waits in the kernel, then at the server.
    socket.on('readable', () => this.#wake());
    socket.once('end', () => {
      this.#ended = true;
      this.#wake();
    });
    socket.once('error', (error) => {
      this.#error = toPoetryError(error, this.#address);
      this.#wake();
    });
  }
  // #endregion

  /** What can be answered now without waiting, or `undefined` if the next pull must wait. */
  #take(): Promise<Run<T> | undefined> | undefined {
    try {
      if (this.#error) throw this.#error;
      const chunk = this.#socket?.read() as Buffer | null | undefined;
      if (chunk) {
        this.#options.onBytes?.(chunk.length);
        return Promise.resolve(single(this.#readChunk(chunk, false)));
      }
      if (this.#ended) {
        this.#readChunk(noBytes, true);
        this.#release();
        return Promise.resolve(undefined);
      }
      return undefined;
    } catch (error) {
      this.#release();
      return Promise.reject(toPoetryError(error, this.#address));
    }
  }

  #wake(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    const answer = this.#take();
    if (!answer) return;
    this.#waiter = undefined;
    answer.then(waiter.resolve, waiter.reject);
  }

  #release(): void {
    this.#closed = true;
    this.#socket?.destroy();
  }
}
