/** The netstring codec: Twisted's framing, fed in every way a socket can slice it. */
import { describe, expect, it } from 'vitest';
import { encodeNetstring, NetstringDecoder, NetstringError } from './netstring.ts';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('encodeNetstring', () => {
  it('frames the UTF-8 bytes with their byte length, as Twisted does', () => {
    expect(encodeNetstring('hello').toString('latin1')).toBe('5:hello,');
    expect(encodeNetstring('').toString('latin1')).toBe('0:,');
    expect(encodeNetstring('été').toString('utf8')).toBe('5:été,');
    expect(encodeNetstring(new Uint8Array([0, 255])).equals(Buffer.from([0x32, 0x3a, 0, 255, 0x2c]))).toBe(true);
  });
});

describe('NetstringDecoder', () => {
  it('decodes several netstrings from one chunk, including an empty one', () => {
    const decoder = new NetstringDecoder();
    const payloads = decoder.push(bytes('3:abc,0:,5:hello,'));
    expect(payloads.map((p) => p.toString())).toEqual(['abc', '', 'hello']);
    expect(decoder.idle).toBe(true);
  });

  it('decodes the same stream fed one byte at a time, splitting a multi-byte character', () => {
    const stream = Buffer.concat([encodeNetstring('cummingsify.Ένα νερό'), encodeNetstring('二つ目')]);
    const decoder = new NetstringDecoder();
    const payloads: Buffer[] = [];
    for (const byte of stream) payloads.push(...decoder.push(Buffer.from([byte])));
    expect(payloads.map((p) => p.toString('utf8'))).toEqual(['cummingsify.Ένα νερό', '二つ目']);
  });

  it('says when the stream ends inside a netstring', () => {
    const decoder = new NetstringDecoder();
    decoder.push(bytes('5:hel'));
    expect(decoder.idle).toBe(false);
    expect(() => decoder.end()).toThrow(expect.objectContaining({ reason: 'TRUNCATED' }));
  });

  const malformed: Array<[string, string, string]> = [
    ['a leading zero', '05:hello,', 'BAD_LENGTH'],
    ['a non-digit in the length', '5x:hello,', 'BAD_LENGTH'],
    ['an empty length', ':hello,', 'BAD_LENGTH'],
    ['a negative length', '-5:hello,', 'BAD_LENGTH'],
    ['a missing comma', '5:hello;', 'MISSING_COMMA'],
    ['a length over the maximum', '11:hello world,', 'TOO_LONG'],
    ['an endless run of digits', '9'.repeat(40), 'TOO_LONG'],
  ];
  it.each(malformed)('rejects %s with a typed error, and stays failed', (_what, input, reason) => {
    const decoder = new NetstringDecoder({ maxLength: 10 });
    let error: unknown;
    try {
      decoder.push(bytes(input));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NetstringError);
    expect((error as NetstringError).reason).toBe(reason);
    expect(() => decoder.push(bytes('1:a,'))).toThrow(NetstringError);
  });

  it('accepts a payload of exactly maxLength', () => {
    expect(new NetstringDecoder({ maxLength: 5 }).push(bytes('5:hello,'))[0]!.toString()).toBe('hello');
  });
});
