/**
 * The suite's own checkers must be able to fail: the leak checker sees a socket or a timer left
 * open, and the event-stream checker names each way a stream can break the contract.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { type Address, type PoemResult, PoetryError, type PoetryEvent } from '../../poetry/contract.ts';
import { activeResources, leaksSince } from '../../poetry/leaks.ts';
import { startFastServer } from '../../poetry/servers/index.ts';
import { eventProblems } from './events.ts';

describe('leak checker', () => {
  it('reports a timer left running, and nothing once it is cleared', async () => {
    const before = activeResources();
    const timer = setTimeout(() => {}, 60_000);
    expect(await leaksSince(before, 50)).toEqual(['1 × Timeout']);
    clearTimeout(timer);
    expect(await leaksSince(before, 50)).toEqual([]);
  });

  it('reports a socket left open, and nothing once it is closed', async () => {
    const before = activeResources();
    const server = await startFastServer({ poem: 'a poem\n' });
    const kept = net.connect(server.address.port, server.address.host);
    await new Promise((resolve) => kept.once('connect', resolve));
    const leaked = await leaksSince(before, 50);
    expect(leaked.some((entry) => entry.includes('TCP'))).toBe(true);
    kept.destroy();
    await server.close();
    expect(await leaksSince(before, 1000)).toEqual([]);
  });
});

describe('event-stream checker', () => {
  const addresses: Address[] = [
    { host: '127.0.0.1', port: 10001 },
    { host: '127.0.0.1', port: 10002 },
  ];
  const [a, b] = ['127.0.0.1:10001', '127.0.0.1:10002'];
  const refused = new PoetryError('REFUSED', b!, 'connection refused');
  const results: PoemResult[] = [
    { ok: true, address: a!, poem: 'héllo' },
    { ok: false, address: b!, error: refused },
  ];
  const good: PoetryEvent[] = [
    { type: 'connected', task: 1, address: a!, at: 1 },
    { type: 'failed', task: 2, address: b!, error: refused, at: 2 },
    { type: 'chunk', task: 1, address: a!, bytes: 4, at: 3 },
    { type: 'chunk', task: 1, address: a!, bytes: 2, at: 4 },
    { type: 'done', task: 1, address: a!, bytes: 6, at: 5 },
  ];

  it('accepts a well-formed stream', () => {
    expect(eventProblems(addresses, good, results)).toEqual([]);
  });

  it.each([
    ['a chunk before connected', [good[2]!, ...good], /chunk before any "connected"/],
    ['no final event', good.slice(0, 4), /task 1: no final/],
    ['an event after the final one', [...good, good[3]!], /after the final "done"/],
    [
      'done bytes that disagree with the chunks',
      [...good.slice(0, 4), { ...good[4]!, bytes: 7 } as PoetryEvent],
      /done says 7 bytes/,
    ],
    [
      'a task outside 1..n',
      [...good, { type: 'connected', task: 3, address: a!, at: 6 } as PoetryEvent],
      /outside 1..2/,
    ],
    ['time going backwards', [...good.slice(0, 4), { ...good[4]!, at: 0 } as PoetryEvent], /earlier than/],
  ])('rejects %s', (_what, events, problem) => {
    expect(eventProblems(addresses, events as PoetryEvent[], results).join('\n')).toMatch(problem);
  });

  it('rejects results out of input order and a final event that disagrees with the result', () => {
    const swapped = [results[1]!, results[0]!];
    expect(eventProblems(addresses, good, swapped).join('\n')).toMatch(/result 1 is for 127.0.0.1:10002/);
    const poemless: PoemResult[] = [{ ok: false, address: a!, error: refused }, results[1]!];
    expect(eventProblems(addresses, good, poemless).join('\n')).toMatch(/"done" event but the result failed/);
  });

  it('checks done bytes against the poem unless a transform changed it', () => {
    const longer: PoemResult[] = [{ ok: true, address: a!, poem: 'héllo!' }, results[1]!];
    expect(eventProblems(addresses, good, longer).join('\n')).toMatch(/the poem has 7/);
    expect(eventProblems(addresses, good, longer, { transformed: true })).toEqual([]);
  });
});
