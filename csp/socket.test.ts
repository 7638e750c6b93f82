/** The socket adapter: node:net events as channel puts, in order, with backpressure. */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { refusingAddress } from '../poetry/servers/index.ts';
import { type Channel, CLOSED, takeAsync } from './channels.ts';
import { dial, type SocketEvent } from './socket.ts';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A server on a free port that writes `bytes` to each connection, then closes it; `sent` counts what it wrote. */
async function server(bytes: Buffer): Promise<{ port: number; written: () => number }> {
  let written = 0;
  const srv = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.end(bytes, () => {
      written = bytes.length;
    });
  });
  servers.push(srv);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { port: (srv.address() as net.AddressInfo).port, written: () => written };
}

async function all(events: Channel<SocketEvent>): Promise<SocketEvent[]> {
  const taken: SocketEvent[] = [];
  for (let event = await takeAsync(events); event !== CLOSED; event = await takeAsync(events)) taken.push(event);
  return taken;
}

describe('dial', () => {
  it('puts connected, then the chunks in order, then closes the channel', async () => {
    const poem = Buffer.from('a line of verse\n'.repeat(10_000));
    const { port } = await server(poem);
    const conn = dial({ host: '127.0.0.1', port });
    const events = await all(conn.events);
    conn.close();
    expect(events[0]).toEqual({ type: 'connected' });
    const chunks = events.slice(1).map((event) => (event.type === 'chunk' ? event.chunk : Buffer.alloc(0)));
    expect(Buffer.concat(chunks).equals(poem)).toBe(true);
  });

  it('while nobody takes, pauses the socket once the channel is full, and resumes when taken from', async () => {
    const poem = Buffer.alloc(32 * 1024 * 1024, 'x');
    const { port, written } = await server(poem);
    const conn = dial({ host: '127.0.0.1', port }, { capacity: 4 });
    await vi.waitFor(() => expect(conn.events.buffered).toBe(4));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Still full, and the server could not write everything: reading stopped.
    expect(conn.events.buffered).toBe(4);
    expect(written()).toBe(0);
    const events = await all(conn.events);
    conn.close();
    const bytes = events.reduce((sum, event) => sum + (event.type === 'chunk' ? event.chunk.length : 0), 0);
    expect(bytes).toBe(poem.length);
  });

  it('a refused connection is an error event, then the close', async () => {
    const conn = dial(await refusingAddress());
    const events = await all(conn.events);
    conn.close();
    expect(events).toHaveLength(1);
    expect(events[0]?.type === 'error' && (events[0].error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('a port out of range is reported the same way, not thrown', async () => {
    const conn = dial({ host: '127.0.0.1', port: 70_000 });
    const events = await all(conn.events);
    expect(events[0]?.type).toBe('error');
  });

  it('after close, nothing more is put', async () => {
    const { port } = await server(Buffer.from('poem'));
    const conn = dial({ host: '127.0.0.1', port });
    conn.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(conn.events.buffered).toBe(0);
    expect(conn.events.closed).toBe(false);
  });
});
