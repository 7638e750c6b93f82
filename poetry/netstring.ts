/**
 * Netstrings (`<len>:<data>,`), byte-compatible with Twisted's `NetstringReceiver`: the length is
 * ASCII decimal with no leading zeros (except `0` itself), the data is raw bytes, a comma ends it.
 *
 * The transform server and every model's transform client share this codec, so it is deliberately
 * idiom-neutral: bytes are pushed in and complete payloads come out, with no sockets, promises or
 * callbacks. A reactor protocol calls `push` from `dataReceived`, a generator from its loop, an actor
 * from its message handler. Malformed input raises a `NetstringError`; after that the decoder stays
 * failed, because the stream can no longer be framed.
 */

export type NetstringErrorReason = 'BAD_LENGTH' | 'TOO_LONG' | 'MISSING_COMMA' | 'TRUNCATED';

export class NetstringError extends Error {
  override readonly name = 'NetstringError';
  readonly reason: NetstringErrorReason;

  constructor(reason: NetstringErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Twisted's default `MAX_LENGTH` is 99999; poems here go up to 100 MB, so the default is larger. */
export const defaultNetstringMaxLength = 256 * 1024 * 1024;

/** `<len>:<data>,` for `data` (a string is encoded as UTF-8). */
export function encodeNetstring(data: Uint8Array | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([Buffer.from(`${payload.length}:`, 'latin1'), payload, Buffer.from(',', 'latin1')]);
}

const colon = 0x3a;
const comma = 0x2c;
const zero = 0x30;
const nine = 0x39;

/**
 * Incremental decoder. `push` takes any slice of the stream (a read may hold half a length, several
 * netstrings, or one byte of a 100 MB payload) and returns the payloads it completed, in order.
 */
export class NetstringDecoder {
  readonly maxLength: number;
  #lengthDigits = '';
  /** Length of the payload being read, or -1 while reading the length. */
  #expected = -1;
  #pieces: Buffer[] = [];
  #received = 0;
  #failure: NetstringError | undefined;

  constructor(options: { maxLength?: number } = {}) {
    this.maxLength = options.maxLength ?? defaultNetstringMaxLength;
  }

  /** True between netstrings: ending the stream here loses nothing. */
  get idle(): boolean {
    return this.#failure === undefined && this.#expected === -1 && this.#lengthDigits === '';
  }

  /**
   * Adds bytes; returns every payload they complete. Throws `NetstringError` on malformed input.
   * Until its payload completes, the decoder keeps views of the chunks rather than copies, so a
   * caller must not reuse a chunk's memory after pushing it (socket reads never are).
   */
  push(chunk: Uint8Array): Buffer[] {
    if (this.#failure) throw this.#failure;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const payloads: Buffer[] = [];
    let at = 0;
    try {
      while (at < bytes.length) {
        if (this.#expected === -1) {
          at = this.#readLength(bytes, at);
        } else if (this.#received < this.#expected) {
          // Payload bytes are kept as views and joined once, so a large payload is copied once.
          const take = Math.min(this.#expected - this.#received, bytes.length - at);
          this.#pieces.push(bytes.subarray(at, at + take));
          this.#received += take;
          at += take;
        } else {
          if (bytes[at] !== comma) {
            throw new NetstringError('MISSING_COMMA', `netstring of ${this.#expected} bytes not followed by ","`);
          }
          at += 1;
          payloads.push(Buffer.concat(this.#pieces, this.#received));
          this.#expected = -1;
          this.#pieces = [];
          this.#received = 0;
        }
      }
    } catch (error) {
      if (error instanceof NetstringError) this.#failure = error;
      throw error;
    }
    return payloads;
  }

  /** Ends the stream; throws `TRUNCATED` if it stopped inside a netstring. */
  end(): void {
    if (this.#failure) throw this.#failure;
    if (!this.idle) {
      this.#failure = new NetstringError('TRUNCATED', 'stream ended inside a netstring');
      throw this.#failure;
    }
  }

  #readLength(bytes: Buffer, from: number): number {
    let at = from;
    while (at < bytes.length) {
      const byte = bytes[at]!;
      at += 1;
      if (byte === colon) {
        if (this.#lengthDigits === '') throw new NetstringError('BAD_LENGTH', 'netstring length is empty');
        this.#expected = Number(this.#lengthDigits);
        this.#lengthDigits = '';
        return at;
      }
      if (byte < zero || byte > nine) {
        throw new NetstringError('BAD_LENGTH', `netstring length has a non-digit byte 0x${byte.toString(16)}`);
      }
      if (this.#lengthDigits === '0') throw new NetstringError('BAD_LENGTH', 'netstring length has a leading zero');
      this.#lengthDigits += String.fromCharCode(byte);
      // Checked digit by digit, so an endless run of digits is rejected as soon as it is too long.
      if (Number(this.#lengthDigits) > this.maxLength) {
        throw new NetstringError('TOO_LONG', `netstring longer than the maximum of ${this.maxLength} bytes`);
      }
    }
    return at;
  }
}
