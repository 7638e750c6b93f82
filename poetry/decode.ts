/**
 * Decoding a poem that arrives in pieces. A multi-byte UTF-8 character may be split across two
 * reads; decoding each chunk on its own would corrupt it (the series' raw clients crash or truncate
 * there). The decoder keeps the incomplete tail of one chunk until the next arrives, and rejects
 * bytes that are not UTF-8 at all instead of silently replacing them.
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

/** One decoder for every poem decoded whole: without `stream`, a decode keeps no state between calls. */
const wholePoem = new TextDecoder('utf-8', { fatal: true });

export class PoemDecoder {
  readonly #address: Address | string;
  readonly #keep: boolean;
  /** A kept poem's chunks, undecoded, until it passes `wholePoemBytes` (then `undefined`). */
  #held: Uint8Array[] | undefined;
  #heldBytes = 0;
  /** Made only once a poem is decoded as it comes. */
  #stream: TextDecoder | undefined;
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
      try {
        this.#text = wholePoem.decode(concat(held, this.#heldBytes));
      } catch (cause) {
        throw this.#badEncoding(cause);
      }
      return this.#text;
    }
    const rest = this.#streamed();
    if (!this.#keep) return rest;
    this.#text += rest;
    return this.#text;
  }

  /** `chunk` through the streaming decoder, or the end of the stream without one. */
  #streamed(chunk?: Uint8Array): string {
    this.#stream ??= new TextDecoder('utf-8', { fatal: true });
    try {
      return chunk === undefined ? this.#stream.decode() : this.#stream.decode(chunk, { stream: true });
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
