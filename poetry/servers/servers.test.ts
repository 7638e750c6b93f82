/**
 * The servers, tested from the outside with a bare TCP client on loopback: what bytes arrive, in
 * what order, how each connection ends, and what the server's stats say. No poetry client is used,
 * so these tests hold whichever models exist.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeNetstring, NetstringDecoder } from '../netstring.ts';
import { generatePoem, poems } from '../poems/index.ts';
import {
  defaultMaxRequest,
  type PoetryServer,
  refusingAddress,
  slowSchedule,
  startClassicServers,
  startFastServer,
  startFaultyServer,
  startSlowServer,
  startTransformServer,
} from './index.ts';
import { eventually, openHandles, openRawClient, rawExchange } from './test-client.ts';

const started: Array<{ close(): Promise<void> }> = [];
async function track<T extends { close(): Promise<void> }>(server: Promise<T>): Promise<T> {
  const value = await server;
  started.push(value);
  return value;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
});

/** Local ports of this machine's IPv4 TCP sockets on loopback, from the kernel's own table (Linux). */
function boundLoopbackPorts(): number[] {
  return readFileSync('/proc/net/tcp', 'latin1')
    .split('\n')
    .slice(1)
    .flatMap((line) => {
      const local = /^\s*\d+: 0100007F:([0-9A-F]{4}) /.exec(line);
      return local ? [Number.parseInt(local[1]!, 16)] : [];
    });
}

const strict = new TextDecoder('utf-8', { fatal: true });
const isUtf8 = (bytes: Uint8Array) => {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

describe('slow server', () => {
  it('sends the poem in numBytes slices on a schedule of ceil(size / numBytes) ticks', async () => {
    const poem = poems.kettle.text;
    const server = await track(startSlowServer({ poem, numBytes: 60, delay: 0.03 }));
    const { chunks, data } = await rawExchange(server.address);
    expect(data.toString('utf8')).toBe(poem);
    expect(server.schedule.ticks).toBe(Math.ceil(Buffer.byteLength(poem) / 60));
    // Slices may merge on a busy machine, never split beyond numBytes or arrive as one write.
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.length % 60 === 0 || chunk === chunks.at(-1)).toBe(true);
    expect(server.stats).toMatchObject({ connections: 1, bytesSent: Buffer.byteLength(poem), closedByClient: 0 });
  });

  it('computes the classic schedule: 96 ticks of 0.7 s for 2,859 bytes at 30 a tick', () => {
    expect(slowSchedule(2859, 30, 0.7)).toMatchObject({ ticks: 96, seconds: 96 * 0.7 });
  });

  it('splits multi-byte characters across slices, and the whole is still the poem', async () => {
    const poem = poems['border-cafe'].text;
    const server = await track(startSlowServer({ poem, numBytes: 7, delay: 0.002 }));
    const { chunks, data } = await rawExchange(server.address);
    expect(data.toString('utf8')).toBe(poem);
    expect(chunks.some((chunk) => !isUtf8(chunk))).toBe(true);
  });

  it('a poem with fewer ticks finishes first when both are fetched at once', async () => {
    const short = await track(startSlowServer({ poem: poems['small-hours'].text, numBytes: 200, delay: 0.05 }));
    const long = await track(startSlowServer({ poem: poems['night-ferry'].text, numBytes: 200, delay: 0.05 }));
    const finished: string[] = [];
    await Promise.all([
      rawExchange(long.address).then(() => finished.push('long')),
      rawExchange(short.address).then(() => finished.push('short')),
    ]);
    expect(finished).toEqual(['short', 'long']);
  });

  it('serves connections concurrently by default and one at a time with serial', async () => {
    const poem = poems.kettle.text;
    const concurrent = await track(startSlowServer({ poem, numBytes: 100, delay: 0.02 }));
    const serial = await track(startSlowServer({ poem, numBytes: 100, delay: 0.02, serial: true }));
    for (const server of [concurrent, serial]) {
      const results = await Promise.all([1, 2, 3].map(() => rawExchange(server.address)));
      for (const { data } of results) expect(data.toString('utf8')).toBe(poem);
      expect(server.stats.connections).toBe(3);
    }
    expect(concurrent.stats.maxActive).toBe(3);
    expect(serial.stats.maxActive).toBe(1);
  });

  it('stops writing when the client goes away early, and counts it', async () => {
    const server = await track(startSlowServer({ poem: poems['night-ferry'].text, numBytes: 10, delay: 0.01 }));
    const client = openRawClient(server.address);
    await eventually(() => server.stats.bytesSent > 0, 'the first slice');
    client.socket.destroy();
    await client.done;
    await eventually(() => server.stats.active === 0, 'the server to notice');
    expect(server.stats.closedByClient).toBe(1);
    const sentWhenGone = server.stats.bytesSent;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.stats.bytesSent).toBe(sentWhenGone);
    expect(sentWhenGone).toBeLessThan(Buffer.byteLength(poems['night-ferry'].text));
  });
});

describe('fast server', () => {
  it('sends a 1 MB poem intact', async () => {
    const poem = generatePoem(1_000_000, 3);
    const server = await track(startFastServer({ poem }));
    const { data } = await rawExchange(server.address);
    expect(data.equals(poem)).toBe(true);
    expect(server.stats.bytesSent).toBe(poem.length);
  });
});

describe('transform server', () => {
  const request = (xform: string, poem: string) => encodeNetstring(`${xform}.${poem}`);
  const decodeReply = (data: Buffer) => {
    const payloads = new NetstringDecoder().push(data);
    expect(payloads).toHaveLength(1);
    return payloads[0]!.toString('utf8');
  };

  it('answers cummingsify with the lower-cased poem as one netstring, then closes', async () => {
    const server = await track(startTransformServer());
    const poem = poems['border-cafe'].text;
    const { data, errorCode } = await rawExchange(server.address, { write: request('cummingsify', poem) });
    expect(errorCode).toBeUndefined();
    expect(decodeReply(data)).toBe(poem.toLowerCase());
  });

  it('answers backwards with the lines in reverse order', async () => {
    const server = await track(startTransformServer());
    const { data } = await rawExchange(server.address, { write: request('backwards', 'one\ntwo\nthree\n') });
    expect(decodeReply(data)).toBe('three\ntwo\none\n');
  });

  it('takes a request that arrives one byte at a time', async () => {
    const server = await track(startTransformServer());
    const client = openRawClient(server.address);
    for (const byte of request('cummingsify', 'ÉTÉ')) {
      client.socket.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(decodeReply((await client.done).data)).toBe('été');
  });

  const badRequests: Array<[string, Buffer]> = [
    ['a transform that fails', request('fail', 'a poem')],
    ['no dot', encodeNetstring('cummingsify a poem')],
    ['an unknown transform', request('shuffle', 'a poem')],
    ['a length with a leading zero', Buffer.from('07:fail.ab,')],
    ['a length that is not a number', Buffer.from('x5:a.bcd,')],
    ['a missing comma', Buffer.from('6:fail.a;')],
    ['a request over maxRequest', request('cummingsify', 'x'.repeat(200))],
    [
      'a poem that is not UTF-8',
      Buffer.concat([Buffer.from('14:cummingsify.'), Buffer.from([0xff, 0xfe]), Buffer.from(',')]),
    ],
  ];
  it.each(badRequests)('closes without a reply on %s, and keeps serving', async (_what, bad) => {
    const server = await track(startTransformServer({ maxRequest: 100 }));
    const refused = await rawExchange(server.address, { write: bad });
    expect(refused.data.length).toBe(0);
    const next = await rawExchange(server.address, { write: request('cummingsify', 'STILL HERE') });
    expect(decodeReply(next.data)).toBe('still here');
  });

  it('closes without a reply when the client half-closes mid-request', async () => {
    const server = await track(startTransformServer());
    const { data } = await rawExchange(server.address, { write: '20:cummingsify.', halfClose: true });
    expect(data.length).toBe(0);
    await eventually(() => server.stats.active === 0, 'the connection to close');
  });

  it('raw mode: the client writes the poem and half-closes, then reads the transformed poem', async () => {
    const server = await track(startTransformServer({ raw: 'cummingsify' }));
    const poem = poems['night-ferry'].text;
    const { data, errorCode } = await rawExchange(server.address, { write: poem, halfClose: true });
    expect(errorCode).toBeUndefined();
    expect(data.toString('utf8')).toBe(poem.toLowerCase());
  });

  it('raw mode with the fail transform closes without a reply', async () => {
    const server = await track(startTransformServer({ raw: 'fail' }));
    const { data } = await rawExchange(server.address, { write: 'a poem', halfClose: true });
    expect(data.length).toBe(0);
  });

  it('by default a few MB is the cap: a netstring declaring more is reset at once, before any payload is sent', async () => {
    const server = await track(startTransformServer());
    const client = openRawClient(server.address, { write: `${defaultMaxRequest + 1}:cummingsify.` });
    const closed = await client.done;
    expect(closed.data.length).toBe(0);
    expect(closed.errorCode).toBe('ECONNRESET');
    // The cut-off request cost the server nothing it kept: it serves the next one.
    const next = await rawExchange(server.address, { write: request('cummingsify', 'STILL HERE') });
    expect(decodeReply(next.data)).toBe('still here');
  });

  it('raw mode: a request past the cap is reset as soon as the bytes exceed it, without waiting for its end', async () => {
    const server = await track(startTransformServer({ raw: 'cummingsify', maxRequest: 64 * 1024 }));
    // The client never half-closes: only the cap can end this exchange.
    const client = openRawClient(server.address, { write: Buffer.alloc(64 * 1024 + 1, 0x61) });
    const { data, errorCode } = await client.done;
    expect(data.length).toBe(0);
    expect(['ECONNRESET', 'EPIPE']).toContain(errorCode);
  });
});

describe('faulty server', () => {
  const poem = poems['small-hours'].text;

  it('reset: sends part of the poem, then a TCP reset', async () => {
    const server = await track(startFaultyServer({ mode: 'reset', poem }));
    const { data, errorCode } = await rawExchange(server.address);
    expect(errorCode).toBe('ECONNRESET');
    expect(data.length).toBeLessThan(Buffer.byteLength(poem));
  });

  it('stall: sends the first line, then neither sends nor closes', async () => {
    const server = await track(startFaultyServer({ mode: 'stall', poem }));
    const client = openRawClient(server.address);
    let closed = false;
    client.done.then(() => {
      closed = true;
    });
    await eventually(() => server.stats.bytesSent > 0, 'the first line');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closed).toBe(false);
    expect(server.stats.bytesSent).toBe(poem.indexOf('\n') + 1);
    client.socket.destroy();
    await client.done;
  });

  it('bad-utf8: sends bytes that are not UTF-8, then closes normally', async () => {
    const server = await track(startFaultyServer({ mode: 'bad-utf8', poem }));
    const { data, errorCode } = await rawExchange(server.address);
    expect(errorCode).toBeUndefined();
    expect(data.length).toBeGreaterThan(Buffer.byteLength(poem));
    expect(isUtf8(data)).toBe(false);
  });

  it('flaky: resets the first failFirst connections, then serves the poem', async () => {
    const server = await track(startFaultyServer({ mode: 'flaky', poem, failFirst: 2 }));
    const first = await rawExchange(server.address);
    const second = await rawExchange(server.address);
    const third = await rawExchange(server.address);
    expect([first.data.length, second.data.length]).toEqual([0, 0]);
    expect(first.errorCode).toBe('ECONNRESET');
    expect(second.errorCode).toBe('ECONNRESET');
    expect(third.errorCode).toBeUndefined();
    expect(third.data.toString('utf8')).toBe(poem);
  });

  it('refusingAddress gives a port that refuses connections', async () => {
    const address = await refusingAddress();
    const { errorCode } = await rawExchange(address);
    expect(errorCode).toBe('ECONNREFUSED');
  });

  it('refusingAddress stays refused for the whole run: its port stays bound by a socket of ours, and servers started on free ports later never get it', async () => {
    const address = await refusingAddress();
    expect(await refusingAddress()).toEqual(address);
    // Bound, not merely free when it was handed out: free, the next server on port 0 could take it.
    expect(boundLoopbackPorts()).toContain(address.port);
    const servers = await Promise.all(Array.from({ length: 200 }, () => track(startFastServer({ poem: 'x' }))));
    expect(servers.map((server) => server.address.port)).not.toContain(address.port);
    expect((await rawExchange(address)).errorCode).toBe('ECONNREFUSED');
  });
});

describe('a client that half-closes', () => {
  const big = generatePoem(16_000_000, 5);
  const ferry = Buffer.from(poems['night-ferry'].text);
  const kinds: Array<[string, () => Promise<PoetryServer>, Buffer]> = [
    ['slow', () => startSlowServer({ poem: ferry, numBytes: 100, delay: 0.002 }), ferry],
    ['fast', () => startFastServer({ poem: big }), big],
    ['faulty (flaky, serving)', () => startFaultyServer({ mode: 'flaky', failFirst: 0, poem: big }), big],
  ];
  it.each(kinds)(
    '%s: a client that calls end() right after connecting still gets the whole poem',
    async (_kind, start, poem) => {
      const server = await track(start());
      const { data, errorCode } = await rawExchange(server.address, { halfClose: true });
      expect(errorCode).toBeUndefined();
      expect(data.equals(poem)).toBe(true);
    },
  );
});

describe('shutting down', () => {
  it('close() destroys open connections and leaves no socket, server or timer behind', async () => {
    const timersBefore = openHandles().filter((kind) => kind === 'Timeout').length;
    const servers: PoetryServer[] = [
      await startSlowServer({ poem: poems['night-ferry'].text, numBytes: 1, delay: 10 }),
      await startSlowServer({ poem: poems.kettle.text, numBytes: 1, delay: 10, serial: true }),
      await startFaultyServer({ mode: 'stall' }),
      await startFaultyServer({ mode: 'reset' }),
      await startTransformServer({ raw: 'cummingsify' }),
      await startFastServer({ poem: generatePoem(50_000_000) }),
    ];
    const clients = servers.flatMap((server) => [openRawClient(server.address), openRawClient(server.address)]);
    await eventually(() => servers.every((server) => server.stats.connections === 2), 'every connection accepted');
    await Promise.all(servers.map((server) => server.close()));
    // The servers hung up on their clients; the clients' sockets close as a consequence.
    await Promise.all(clients.map((client) => client.done));
    // No socket or server at all; timers at most the test runner's own (it may drop one meanwhile),
    // while a leak here would add one per slow connection (three 10-second intervals).
    const left = openHandles();
    expect(left.filter((kind) => kind !== 'Timeout')).toEqual([]);
    expect(left.length).toBeLessThanOrEqual(timersBefore);
    for (const server of servers) expect(server.stats.active).toBe(0);
  });

  it('close() mid-poem resets the connections still sending, so a client cannot take a cut poem for a whole one', async () => {
    const poem = poems['night-ferry'].text;
    // The next slice is far off, and the close comes once the client has read the first: a reset
    // that arrives together with unread data reads as a clean end to a Node client on Linux
    // (libuv reports EOF on POLLHUP after a partial read), which would test libuv, not the server.
    const server = await startSlowServer({ poem, numBytes: 10, delay: 60 });
    const client = openRawClient(server.address);
    await eventually(() => client.chunks.length > 0, 'the first slice, read by the client');
    await server.close();
    const { data, errorCode } = await client.done;
    expect(errorCode).toBe('ECONNRESET');
    expect(data.length).toBeLessThan(Buffer.byteLength(poem));
  });

  it('close() can be called twice', async () => {
    const server = await startFastServer({ poem: 'x' });
    await Promise.all([server.close(), server.close()]);
  });
});

describe('classic servers', () => {
  it('start three slow servers as one group whose schedules give the ideal and blocking times', async () => {
    const group = await track(startClassicServers({ speedup: 35 }));
    expect(group.servers).toHaveLength(3);
    const [long, ...short] = group.servers;
    expect(long!.schedule.numBytes).toBe(30);
    expect(short.map((server) => server.schedule.numBytes)).toEqual([10, 10]);
    const seconds = group.servers.map((server) => server.schedule.seconds);
    expect(group.idealSeconds).toBe(Math.max(...seconds));
    expect(group.blockingSeconds).toBeCloseTo(seconds[0]! + seconds[1]! + seconds[2]!);

    const finished: number[] = [];
    const results = await Promise.all(
      group.servers.map((server, index) =>
        rawExchange(server.address).then((result) => {
          finished.push(index);
          return result;
        }),
      ),
    );
    expect(results.map((result) => result.data.toString('utf8'))).toEqual(
      [poems['night-ferry'], poems.semaphore, poems.kettle].map((poem) => poem.text),
    );
    // kettle (54 ticks), then semaphore (70), then the long one (96).
    expect(finished).toEqual([2, 1, 0]);
    await group.close();
    for (const server of group.servers) expect(server.stats.active).toBe(0);
  });
});

describe('interoperability', () => {
  it('plain TCP client reads a poem (bash /dev/tcp, the `nc localhost PORT` of this machine)', async () => {
    const server = await track(startSlowServer({ poem: poems['border-cafe'].text, numBytes: 64, delay: 0.005 }));
    const reader = spawn('bash', ['-c', `cat < /dev/tcp/127.0.0.1/${server.address.port}`]);
    const out: Buffer[] = [];
    reader.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    const code = await new Promise((resolve) => reader.on('close', resolve));
    expect(code).toBe(0);
    expect(Buffer.concat(out).toString('utf8')).toBe(poems['border-cafe'].text);
  });
});
