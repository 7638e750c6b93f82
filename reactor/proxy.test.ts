/**
 * The caching, cancelling proxy over real loopback sockets: the first download is cached, and a
 * client that hangs up early makes the proxy close its upstream connection.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Address } from '../poetry/contract.ts';
import { poems } from '../poetry/poems/index.ts';
import { type PoetryServer, startSlowServer } from '../poetry/servers/index.ts';
import { type ProxyServer, startProxyServer } from './proxy.ts';

const poem = poems.kettle.text;
const open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const server of open.splice(0).reverse()) await server.close();
});

/** Everything a plain client reads from `address` until the server closes. */
function readAll(address: Address): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(address.port, address.host);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`gave up waiting for ${what}`);
}

async function setUp(slow: { numBytes: number; delay: number }): Promise<[PoetryServer, ProxyServer]> {
  const upstream = await startSlowServer({ poem, ...slow });
  open.push(upstream);
  const proxy = await startProxyServer({ upstream: upstream.address });
  open.push(proxy);
  return [upstream, proxy];
}

describe('poetry proxy 3.0', () => {
  it('passes the upstream poem on, then serves later clients from the cache without going upstream', async () => {
    const [upstream, proxy] = await setUp({ numBytes: 4096, delay: 0.01 });
    expect(await readAll(proxy.address)).toBe(poem);
    expect(upstream.stats.connections).toBe(1);
    expect(proxy.service.poem).toBe(poem);
    const [second, third] = await Promise.all([readAll(proxy.address), readAll(proxy.address)]);
    expect([second, third]).toEqual([poem, poem]);
    expect(upstream.stats.connections).toBe(1);
    expect(proxy.stats.connections).toBe(3);
  });

  it('cancels the upstream download when the client hangs up first: the slow server sees its connection closed', async () => {
    const [upstream, proxy] = await setUp({ numBytes: 10, delay: 0.2 });
    const client = net.connect(proxy.address.port, proxy.address.host);
    client.on('error', () => {});
    await until(() => upstream.stats.active === 1, 'the proxy to connect upstream');
    client.destroy();
    await until(() => upstream.stats.closedByClient === 1, 'the upstream connection to be closed');
    await until(() => upstream.stats.active === 0, 'the upstream connection to end');
    expect(proxy.stats.closedByClient).toBe(1);
    expect(proxy.service.poem).toBeUndefined();
  });
});
