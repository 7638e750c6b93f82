/**
 * Decoding a poem that arrives in pieces. A multi-byte UTF-8 character may be split across two
 * reads; decoding each chunk on its own would corrupt it (the series' raw clients crash or truncate
 * there). The decoder decodes a chunk only up to its last whole character and keeps the cut-off start
 * of the next one until the rest arrives, and rejects bytes that are not UTF-8 at all instead of
 * silently replacing them. Since no decode then needs what the one before saw, every poem shares one
 * `TextDecoder`, which takes the fast path a whole buffer gets: a streaming decoder per download was a
 * cost thousands of downloads at once noticed.
 *
 * By default it keeps the text, so `end()` hands back the whole poem. Such a poem is held as bytes
 * while it is short and decoded once, at the end (see `wholePoemBytes`); a long one is decoded as it
 * comes. A streaming reader that passes each piece on (the lazy model) says `{ keep: false }`: every
 * `push` returns the text it completed, and memory stays flat.
 */
import { type Address, PoetryError } from './contract.ts';

/**
 * A kept poem is held undecoded while it is at most this many bytes, and decoded as it comes once it
 * passes. One decode at the end costs least — no streaming decoder per poem, no string per chunk, and
 * V8's fast path for a whole buffer — which thousands of short downloads at once notice. But it
 * blocks the event loop for as long as it takes and holds the bytes beside the text: on this
 * project's generated verse about 5 ms per MB on the bench machine, so at 1 MB a quarter of the
 * shortest slow-server tick the bench uses. The raw baseline follows the same rule.
 */
export const wholePoemBytes = 1024 * 1024;

/** One decoder for every poem and piece: without `stream`, a decode keeps no state between calls. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class PoemDecoder {
  readonly #address: Address | string;
  readonly #keep: boolean;
  /** A kept poem's chunks, undecoded, until it passes `wholePoemBytes` (then `undefined`). */
  #held: Uint8Array[] | undefined;
  #heldBytes = 0;
  /** The start of a character cut off at the end of the last piece, waiting for the rest of it. */
  #cut: Uint8Array | undefined;
  #text = '';

  constructor(address: Address | string, { keep = true }: { keep?: boolean } = {}) {
    this.#address = address;
    this.#keep = keep;
    this.#held = keep ? [] : undefined;
  }

  /**
   * Adds a chunk; returns the text it completed — with `keep: false` always, otherwise only once the
   * poem is long enough to be decoded as it comes (before that, '' and the text comes from `end()`).
   * Throws `BAD_ENCODING` on invalid bytes, when they are decoded.
   */
  push(chunk: Uint8Array): string {
    const held = this.#held;
    if (held !== undefined) {
      held.push(chunk);
      this.#heldBytes += chunk.byteLength;
      if (this.#heldBytes <= wholePoemBytes) return '';
      this.#held = undefined;
      const text = this.#streamed(concat(held, this.#heldBytes));
      this.#text += text;
      return text;
    }
    const text = this.#streamed(chunk);
    if (this.#keep) this.#text += text;
    return text;
  }

  /**
   * Ends the poem: returns all the text (with `keep: false`, only what was still held back, which is
   * always ''); throws `BAD_ENCODING` if the bytes are not UTF-8 or end inside a character.
   */
  end(): string {
    const held = this.#held;
    if (held !== undefined) {
      this.#held = undefined;
      this.#text = this.#decoded(concat(held, this.#heldBytes));
      return this.#text;
    }
    // A character still cut short at the end: the poem is not UTF-8.
    const cut = this.#cut;
    this.#cut = undefined;
    if (cut !== undefined) this.#decoded(cut);
    return this.#keep ? this.#text : '';
  }

  /** `chunk`, after what the last piece cut off, decoded up to its last whole character. */
  #streamed(chunk: Uint8Array): string {
    const bytes = this.#cut === undefined ? chunk : concat([this.#cut, chunk], this.#cut.byteLength + chunk.byteLength);
    const whole = wholeCharacters(bytes);
    // Copied, so that a few bytes held back do not keep the whole chunk alive.
    this.#cut = whole < bytes.byteLength ? new Uint8Array(bytes.subarray(whole)) : undefined;
    return this.#decoded(whole < bytes.byteLength ? bytes.subarray(0, whole) : bytes);
  }

  #decoded(bytes: Uint8Array): string {
    try {
      return utf8.decode(bytes);
    } catch (cause) {
      throw this.#badEncoding(cause);
    }
  }

  #badEncoding(cause: unknown): PoetryError {
    return new PoetryError('BAD_ENCODING', this.#address, 'the poem is not valid UTF-8', { cause });
  }
}

/** The chunks as one buffer, copied only when there are several. */
function concat(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, bytes);
}

/** How many of `bytes` end on a character boundary: all, unless the last character is cut short. */
function wholeCharacters(bytes: Uint8Array): number {
  const length = bytes.byteLength;
  // A character is at most 4 bytes: its first byte is among the last 3, or it is complete.
  for (let at = length - 1; at >= 0 && at >= length - 3; at--) {
    const byte = bytes[at] as number;
    if (byte < 0x80) return length;
    // A byte that can start no character (0xc0, 0xc1, above 0xf4) is decoded now, and fails now.
    if (byte >= 0xc0) {
      if (byte < 0xc2 || byte > 0xf4) return length;
      const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return length - at >= size ? length : at;
    }
  }
  return length;
}
