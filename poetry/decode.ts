/**
 * Decoding a poem that arrives in pieces. A multi-byte UTF-8 character may be split across two
 * reads; decoding each chunk on its own would corrupt it (the series' raw clients crash or truncate
 * there). The decoder keeps the incomplete tail of one chunk until the next arrives, and rejects
 * bytes that are not UTF-8 at all instead of silently replacing them.
 */
import { type Address, PoetryError } from './contract.ts';

export class PoemDecoder {
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  readonly #address: Address | string;
  #text = '';

  constructor(address: Address | string) {
    this.#address = address;
  }

  /** Adds a chunk; returns the text it completed (possibly ''). Throws `BAD_ENCODING` on invalid bytes. */
  push(chunk: Uint8Array): string {
    const text = this.#decode(() => this.#decoder.decode(chunk, { stream: true }));
    this.#text += text;
    return text;
  }

  /** Ends the poem: returns all the text; throws `BAD_ENCODING` if it ends inside a character. */
  end(): string {
    this.#text += this.#decode(() => this.#decoder.decode());
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
