import { describe, expect, it } from 'vitest';
import { AddressError, parseAddress } from './address.ts';
import { PoetryError } from './contract.ts';
import { PoemDecoder, wholePoemBytes } from './decode.ts';
import { poetryErrors, toPoetryError } from './errors.ts';

describe('parseAddress', () => {
  it('reads host:port, a bare port (127.0.0.1) and a bracketed IPv6 host', () => {
    expect(parseAddress('localhost:10001')).toEqual({ host: 'localhost', port: 10001 });
    expect(parseAddress('10002')).toEqual({ host: '127.0.0.1', port: 10002 });
    expect(parseAddress('[::1]:10003')).toEqual({ host: '::1', port: 10003 });
  });

  it('rejects a port that is not a number or out of range, naming the argument', () => {
    expect(() => parseAddress('localhost:abc')).toThrow(AddressError);
    expect(() => parseAddress('70000')).toThrow(/70000.*outside 1-65535/);
    expect(() => parseAddress('0')).toThrow(/outside/);
    expect(() => parseAddress('host:')).toThrow(/not a number/);
  });
});

describe('PoemDecoder', () => {
  it('joins a multi-byte character split across every possible chunk boundary', () => {
    const text = 'Ünder the ŵillow — 柳の下で, κάτω';
    const bytes = new TextEncoder().encode(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const decoder = new PoemDecoder('127.0.0.1:1');
      decoder.push(bytes.subarray(0, cut));
      decoder.push(bytes.subarray(cut));
      expect(decoder.end()).toBe(text);
      // Streaming, each piece's text is handed on as it comes, and the pieces make the whole.
      const streaming = new PoemDecoder('127.0.0.1:1', { keep: false });
      const pieces = [streaming.push(bytes.subarray(0, cut)), streaming.push(bytes.subarray(cut)), streaming.end()];
      expect(pieces.join('')).toBe(text);
    }
  });

  it('with keep: false hands each piece on and keeps none of it, still joining split characters', () => {
    const decoder = new PoemDecoder('h:1', { keep: false });
    expect(decoder.push(Uint8Array.of(0x61, 0xce))).toBe('a');
    expect(decoder.push(Uint8Array.of(0xba, 0x62))).toBe('κb');
    expect(decoder.end()).toBe('');
  });

  it('rejects invalid UTF-8 with BAD_ENCODING, and a poem cut inside a character', () => {
    const spoiled = Uint8Array.of(0x61, 0xff, 0x62);
    // Streaming, at the chunk that has the bad bytes; a short kept poem, when it is decoded at the end.
    expect(() => new PoemDecoder('h:1', { keep: false }).push(spoiled)).toThrow(
      expect.objectContaining({ code: 'BAD_ENCODING', address: 'h:1' }),
    );
    const kept = new PoemDecoder('h:1');
    expect(kept.push(spoiled)).toBe('');
    expect(() => kept.end()).toThrow(expect.objectContaining({ code: 'BAD_ENCODING', address: 'h:1' }));
    const cutShort = new PoemDecoder('h:1');
    cutShort.push(Uint8Array.of(0xe6, 0x9f));
    expect(() => cutShort.end()).toThrow(PoetryError);
  });

  it('holds a short kept poem undecoded and decodes one past wholePoemBytes as it comes, a split character whole', () => {
    const wave = new TextEncoder().encode('🌊');
    const first = Buffer.alloc(wholePoemBytes - 1, 'a');
    const decoder = new PoemDecoder('h:1');
    expect(decoder.push(first)).toBe('');
    // This chunk takes the poem past the limit with a 4-byte character cut after its first byte.
    expect(decoder.push(Buffer.concat([Buffer.from('b'), wave.subarray(0, 1)]))).toBe(`${first.toString()}b`);
    expect(decoder.push(Buffer.concat([wave.subarray(1), Buffer.from('c')]))).toBe('🌊c');
    expect(decoder.end()).toBe(`${first.toString()}b🌊c`);
    // Past the limit, invalid bytes are caught at their chunk.
    const long = new PoemDecoder('h:1');
    long.push(Buffer.alloc(wholePoemBytes + 1, 'a'));
    expect(() => long.push(Uint8Array.of(0xff))).toThrow(expect.objectContaining({ code: 'BAD_ENCODING' }));
  });

  it('gives the same whole poem from a second end()', () => {
    const decoder = new PoemDecoder('h:1');
    decoder.push(Buffer.from('river'));
    expect(decoder.end()).toBe('river');
    expect(decoder.end()).toBe('river');
  });
});

describe('toPoetryError', () => {
  it('maps Node socket error codes to the contract codes and keeps the cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const error = toPoetryError(refused, { host: '127.0.0.1', port: 9 });
    expect(error.code).toBe('REFUSED');
    expect(error.address).toBe('127.0.0.1:9');
    expect(error.cause).toBe(refused);
    expect(toPoetryError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'a:1').code).toBe('RESET');
    expect(toPoetryError(new Error('odd'), 'a:1').code).toBe('NETWORK');
  });

  it('passes a PoetryError through unchanged', () => {
    const original = new PoetryError('TIMEOUT', 'a:1', 'slow');
    expect(toPoetryError(original, 'b:2')).toBe(original);
  });
});

describe('poetryErrors.timeout', () => {
  it('prints the limit readably: 3 significant digits, but every whole millisecond kept', () => {
    // What `--timeout 1e-9` (seconds) becomes in milliseconds.
    expect(poetryErrors.timeout('a:1', 1e-9 * 1000).message).toBe('a:1: no complete poem within 0.000001 ms');
    expect(poetryErrors.timeout('a:1', 0.123456).message).toBe('a:1: no complete poem within 0.123 ms');
    expect(poetryErrors.timeout('a:1', 2.5).message).toBe('a:1: no complete poem within 2.5 ms');
    expect(poetryErrors.timeout('a:1', 5000).message).toBe('a:1: no complete poem within 5000 ms');
    expect(poetryErrors.timeout('a:1', 123456.7).message).toBe('a:1: no complete poem within 123457 ms');
  });

  it("prints a transform's limit the same way", () => {
    expect(poetryErrors.noReplyWithin(1e-9 * 1000)).toBe('no reply within 0.000001 ms');
    expect(poetryErrors.noReplyWithin(5000)).toBe('no reply within 5000 ms');
  });
});
