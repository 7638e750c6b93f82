/**
 * Decoding a poem that arrives in pieces. A multi-byte UTF-8 character may be split across two
 * reads; decoding each chunk on its own would corrupt it (the series' raw clients crash or truncate
 * there). The decoder keeps the incomplete tail of one chunk until the next arrives, and rejects
 * bytes that are not UTF-8 at all instead of silently replacing them.
 *
 * By default it also keeps the text, so `end()` hands back the whole poem. A streaming reader that
 * passes each piece on (the lazy model) says `{ keep: false }`, and memory stays flat.
 */
import { type Address, PoetryError } from './contract.ts';

export class PoemDecoder {
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  readonly #address: Address | string;
  readonly #keep: boolean;
  #text = '';

  constructor(address: Address | string, { keep = true }: { keep?: boolean } = {}) {
    this.#address = address;
    this.#keep = keep;
  }

  /** Adds a chunk; returns the text it completed (possibly ''). Throws `BAD_ENCODING` on invalid bytes. */
  push(chunk: Uint8Array): string {
    const text = this.#decode(() => this.#decoder.decode(chunk, { stream: true }));
    if (this.#keep) this.#text += text;
    return text;
  }

  /**
   * Ends the poem: returns all the text (with `keep: false`, only what was still held back, which is
   * always ''); throws `BAD_ENCODING` if the bytes end inside a character.
   */
  end(): string {
    const rest = this.#decode(() => this.#decoder.decode());
    if (!this.#keep) return rest;
    this.#text += rest;
    return this.#text;
  }

  #decode(run: () => string): string {
    try {
      return run();
    } catch (cause) {
      throw new PoetryError('BAD_ENCODING', this.#address, 'the poem is not valid UTF-8', { cause });
    }
  }
}
