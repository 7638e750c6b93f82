/**
 * `contents(address)` over real loopback sockets: it connects only when pulled, reads only what is
 * pulled (the server's writes stall behind TCP backpressure), decodes UTF-8 split across chunks,
 * fails with typed errors, and hangs up the moment the consumer stops.
 */
import { describe, expect, it } from 'vitest';
import { PoetryError } from '../poetry/contract.ts';
import { generatePoem, poems } from '../poetry/poems/index.ts';
import { refusingAddress, startFastServer, startFaultyServer, startSlowServer } from '../poetry/servers/index.ts';
import { contents, lines, take, toArray } from './index.ts';
import { eventually, pause, serve, steady } from './test-fixtures/helpers.ts';

const bigPoem = generatePoem(48 * 1024 * 1024);

describe('contents(address)', () => {
  it('does not connect until the first pull', async () => {
    const server = await serve(startFastServer({ poem: poems.kettle.text }));
    const poem = contents(server.address);
    const iterator = poem[Symbol.asyncIterator]();
    await pause(100);
    expect(server.stats.connections).toBe(0);
    await iterator.next();
    expect(server.stats.connections).toBe(1);
    await iterator.return?.();
  });

  it('reads the whole poem when the whole poem is asked for', async () => {
    const server = await serve(startFastServer({ poem: poems['night-ferry'].text }));
    expect((await toArray(contents(server.address))).join('')).toBe(poems['night-ferry'].text);
  });

  it('pulling one line of a large poem leaves the server stalled far short of the poem', async () => {
    const server = await serve(startFastServer({ poem: bigPoem }));
    const iterator = lines(contents(server.address))[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toBe(bigPoem.subarray(0, bigPoem.indexOf(0x0a)).toString());
    // Nothing pulls now: Node's buffer fills, the kernel's windows fill, and the server's writes stop.
    const sent = await steady(() => server.stats.bytesSent);
    expect(sent).toBeLessThan(bigPoem.length / 4);
    // Pulling again lets it carry on: the stall was backpressure, not a broken connection.
    for (let n = 0; n < 200_000; n++) await iterator.next();
    expect(server.stats.bytesSent).toBeGreaterThan(sent);
    await iterator.return?.();
  });

  it('return() closes the connection at once, and the server sees it', async () => {
    const server = await serve(startFastServer({ poem: bigPoem }));
    const iterator = contents(server.address)[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return?.();
    await eventually(() => server.stats.closedByClient === 1, 'the server to see the client hang up');
    expect(server.stats.active).toBe(0);
  });

  it('break out of for await closes the connection', async () => {
    const server = await serve(startFastServer({ poem: bigPoem }));
    for await (const chunk of contents(server.address)) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await eventually(() => server.stats.closedByClient === 1, 'the server to see the client hang up');
  });

  it('is cold: each iteration is a new connection (like IxJS), so there is nothing to "keep open"', async () => {
    const server = await serve(startFastServer({ poem: poems.kettle.text }));
    const poem = contents(server.address);
    expect((await toArray(take(1, poem))).length).toBe(1);
    expect((await toArray(poem)).join('')).toBe(poems.kettle.text);
    expect(server.stats.connections).toBe(2);
  });

  it('decodes characters split across chunk boundaries', async () => {
    // Three bytes per chunk: every multi-byte character of border-cafe is cut somewhere.
    const text = poems['border-cafe'].text;
    const server = await serve(startSlowServer({ poem: text, numBytes: 3, delay: 0.0005 }));
    const chunks = await toArray(contents(server.address));
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.join('')).toBe(text);
  });

  it('decodes 2-, 3- and 4-byte characters cut after any of their bytes', async () => {
    const text = 'aé€😀b'.repeat(3);
    const server = await serve(startSlowServer({ poem: text, numBytes: 1, delay: 0.002 }));
    const chunks = await toArray(contents(server.address));
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.join('')).toBe(text);
  });

  it('a character whose start waited for its rest fails with BAD_ENCODING when the rest is not one', async () => {
    // 0xe2 0x82 begins '€'; 'A' cannot finish it.
    const server = await serve(
      startSlowServer({ poem: Buffer.from([0x61, 0xe2, 0x82, 0x41]), numBytes: 1, delay: 0.002 }),
    );
    await expect(toArray(contents(server.address))).rejects.toMatchObject({ code: 'BAD_ENCODING' });
  });

  it('fails with typed errors from next(): refused, reset, bad UTF-8', async () => {
    const codeOf = (error: unknown) => (error instanceof PoetryError ? error.code : String(error));
    const failure = (address: Parameters<typeof contents>[0]) =>
      toArray(contents(address)).then(() => 'no error', codeOf);
    const reset = await serve(startFaultyServer({ mode: 'reset' }));
    const bad = await serve(startFaultyServer({ mode: 'bad-utf8' }));
    expect(await failure(await refusingAddress())).toBe('REFUSED');
    expect(await failure(reset.address)).toBe('RESET');
    expect(await failure(bad.address)).toBe('BAD_ENCODING');
    expect(await failure({ host: '127.0.0.1', port: 70_000 })).toBe('BAD_ADDRESS');
  });

  it('a poem cut inside a character fails with BAD_ENCODING', async () => {
    const cut = Buffer.from('café');
    const server = await serve(startFastServer({ poem: cut.subarray(0, cut.length - 1) }));
    await expect(toArray(contents(server.address))).rejects.toMatchObject({ code: 'BAD_ENCODING' });
  });
});
