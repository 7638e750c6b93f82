/**
 * The caching, cancelling proxy over real loopback sockets: the first download is cached, a client
 * whose connection breaks early makes the proxy close its upstream connection, and a failed
 * upstream reaches the client as a reset, never as an empty poem.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Address } from '../poetry/contract.ts';
import { poems } from '../poetry/poems/index.ts';
import { type PoetryServer, refusingAddress, startFaultyServer, startSlowServer } from '../poetry/servers/index.ts';
import { openRawClient, rawExchange } from '../poetry/servers/test-client.ts';
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

  it('cancels the upstream download when the client aborts first: the slow server sees its connection closed', async () => {
    const [upstream, proxy] = await setUp({ numBytes: 10, delay: 0.2 });
    const client = net.connect(proxy.address.port, proxy.address.host);
    client.on('error', () => {});
    await until(() => upstream.stats.active === 1, 'the proxy to connect upstream');
    // A reset, not a FIN: a FIN only says the client has nothing more to say (see the half-close case).
    client.resetAndDestroy();
    await until(() => upstream.stats.closedByClient === 1, 'the upstream connection to be closed');
    await until(() => upstream.stats.active === 0, 'the upstream connection to end');
    expect(proxy.stats.closedByClient).toBe(1);
    expect(proxy.service.poem).toBeUndefined();
  });

  it('resets the client when upstream fails, instead of a clean close that passes for an empty poem', async () => {
    const proxy = await startProxyServer({ upstream: await refusingAddress() });
    open.push(proxy);
    const { data, errorCode } = await rawExchange(proxy.address);
    expect(errorCode).toBe('ECONNRESET');
    expect(data.length).toBe(0);
  });

  it('never caches a failure: after an upstream reset, the next client gets the poem from upstream', async () => {
    const upstream = await startFaultyServer({ mode: 'flaky', failFirst: 1, poem });
    open.push(upstream);
    const proxy = await startProxyServer({ upstream: upstream.address });
    open.push(proxy);
    expect((await rawExchange(proxy.address)).errorCode).toBe('ECONNRESET');
    expect(proxy.service.poem).toBeUndefined();
    const second = await rawExchange(proxy.address);
    expect(second.errorCode).toBeUndefined();
    expect(second.data.toString('utf8')).toBe(poem);
    expect(upstream.stats.connections).toBe(2);
  });

  it('a client that half-closes right after connecting still gets the whole poem', async () => {
    const [, proxy] = await setUp({ numBytes: 100, delay: 0.002 });
    const { data, errorCode } = await rawExchange(proxy.address, { halfClose: true });
    expect(errorCode).toBeUndefined();
    expect(data.toString('utf8')).toBe(poem);
  });

  it('close() resets a client still waiting for its poem', async () => {
    const [upstream, proxy] = await setUp({ numBytes: 10, delay: 0.2 });
    const client = openRawClient(proxy.address);
    await until(() => upstream.stats.active === 1, 'the proxy to connect upstream');
    await proxy.close();
    const { data, errorCode } = await client.done;
    expect(errorCode).toBe('ECONNRESET');
    expect(data.length).toBe(0);
  });

  it('logs one line per connection, like every other kind', async () => {
    const [, proxy] = await setUp({ numBytes: 4096, delay: 0.001 });
    const lines: string[] = [];
    const logging = await startProxyServer({ upstream: proxy.address, log: (line) => lines.push(line) });
    open.push(logging);
    await rawExchange(logging.address);
    await rawExchange(logging.address);
    const at = `proxy server 127\\.0\\.0\\.1:${logging.address.port}`;
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${at}: connection 1 from 127\\.0\\.0\\.1:\\d+$`));
    expect(lines[1]).toMatch(new RegExp(`^${at}: connection 2 from 127\\.0\\.0\\.1:\\d+$`));
  });
});
