/**
 * `npm run serve` as a user meets it: spawned as `npx tsx poetry/serve.ts`, read through its output,
 * stopped with a signal to the pid in its pid file (the way a service manager would).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { poems } from './poems/index.ts';
import { eventually, openRawClient, rawExchange } from './servers/test-client.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'poetry-serve-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Serving {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function serve(args: string[]): Serving {
  const child = spawn('npx', ['tsx', 'poetry/serve.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** The ports a running `serve` announced on stdout, once it has announced `count` of them. */
async function announcedPorts(serving: Serving, count: number): Promise<number[]> {
  const ports = () => [...serving.stdout().matchAll(/on 127\.0\.0\.1:(\d+)/g)].map((match) => Number(match[1]));
  await eventually(() => ports().length >= count, `${count} announced address(es)`, 30_000);
  return ports();
}

/** Sends `signal` to the pid in `pidFile` (the server itself, not the npx wrapper around it). */
async function signalPidFile(pidFile: string, signal: NodeJS.Signals): Promise<void> {
  await eventually(() => existsSync(pidFile), 'the pid file', 30_000);
  process.kill(Number(readFileSync(pidFile, 'utf8')), signal);
}

describe('npm run serve', () => {
  it('--help exits 0 and lists every kind; a kind has its own --help', async () => {
    const overall = serve(['--help']);
    expect(await overall.exited).toBe(0);
    for (const kind of ['slow', 'fast', 'transform', 'faulty', 'classic']) expect(overall.stdout()).toContain(kind);
    const slow = serve(['slow', '--help']);
    expect(await slow.exited).toBe(0);
    expect(slow.stdout()).toContain('--num-bytes');
  });

  it.each([
    [['slow', '--delay', 'abc'], '--delay'],
    [['slow', '--bogus'], '--bogus'],
    [['faulty', '--mode', 'explode'], '--mode'],
    [['transform', '--raw', 'shuffle'], '--raw'],
    [['sideways'], 'unknown kind "sideways"'],
  ])('%j exits 2 with a message naming the problem', async (args, named) => {
    const run = serve(args);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain(named);
  });

  it('serve slow announces its port and serves the chosen poem', async () => {
    const pidFile = join(scratch, 'slow.pid');
    const running = serve(['slow', '--poem', 'kettle', '--num-bytes', '100', '--delay', '0.01', '--pid-file', pidFile]);
    const [port] = await announcedPorts(running, 1);
    const { data } = await rawExchange({ host: '127.0.0.1', port: port! });
    expect(data.toString('utf8')).toBe(poems.kettle.text);
    await signalPidFile(pidFile, 'SIGINT');
    expect(await running.exited).toBe(0);
  });

  it('SIGTERM to serve classic closes all three servers and open connections, and removes the pid file', async () => {
    const pidFile = join(scratch, 'classic.pid');
    const running = serve(['classic', '--delay', '0.5', '--pid-file', pidFile]);
    const ports = await announcedPorts(running, 3);
    expect(new Set(ports).size).toBe(3);
    const listener = openRawClient({ host: '127.0.0.1', port: ports[0]! });
    await eventually(() => running.stderr().includes('connection 1 from'), 'the connection log line', 30_000);

    await signalPidFile(pidFile, 'SIGTERM');
    expect(await running.exited).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
    expect(running.stderr()).toContain('stopped (SIGTERM)');
    // The connection was mid-poem (a 0.5 s tick): the shutdown ended it rather than waiting it out.
    const { data } = await listener.done;
    expect(data.length).toBeLessThan(Buffer.byteLength(poems['night-ferry'].text));
    const refused = await rawExchange({ host: '127.0.0.1', port: ports[1]! });
    expect(refused.errorCode).toBe('ECONNREFUSED');
  });
});
