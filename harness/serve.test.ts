/**
 * `npm run serve` as a user meets it: the command run in its own process, read through its output,
 * stopped with a signal to the pid in its pid file (the way a service manager would, and the way
 * Ctrl-C reaches it). The process is node itself, not an npx wrapper, so the exit code is the server's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { poems } from '../poetry/poems/index.ts';
import { eventually, openRawClient, rawExchange } from '../poetry/servers/test-client.ts';
import { proxyServeKind } from './serve.ts';
import { UsageError } from './serve-kind.ts';

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
  const child = spawn(process.execPath, ['--import', 'tsx', 'harness/serve.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

/** Sends `signal` to the pid in `pidFile`, once the server has written it. */
async function signalPidFile(pidFile: string, signal: NodeJS.Signals): Promise<void> {
  await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the pid file', 30_000);
  process.kill(Number(readFileSync(pidFile, 'utf8')), signal);
}

describe('npm run serve', () => {
  it('--help (and -h) exits 0 with the usage, the common options, every kind and the exit codes', async () => {
    for (const flag of ['--help', '-h']) {
      const overall = serve([flag]);
      expect(await overall.exited).toBe(0);
      const text = overall.stdout();
      expect(text).toMatch(/^Usage: npm run serve -- <kind> \[options\]\n/);
      expect(text).toContain('--pid-file <path>');
      for (const kind of ['slow', 'fast', 'transform', 'faulty', 'classic', 'proxy']) {
        expect(text).toMatch(new RegExp(`^ {2}${kind} {2,}\\S`, 'm'));
      }
      expect(text).toContain('Exit codes:\n  0   stopped by SIGTERM');
      expect(text).toContain('  130 interrupted (Ctrl-C)');
    }
  });

  it('<kind> --help lists the kind its own options, then the common ones (helpText aligns them)', async () => {
    const slow = serve(['slow', '-h']);
    expect(await slow.exited).toBe(0);
    const lines = slow.stdout().split('\n');
    expect(lines[0]).toBe('Usage: npm run serve -- slow [options]');
    const options = lines.filter((line) => /^ {2}-/.test(line));
    expect(options.map((line) => line.trim().split(/\s{2,}/)[0])).toEqual([
      '--num-bytes <n>',
      '--delay <seconds>',
      '--serial',
      '--poem <name>',
      '--file <path>',
      '--port <n>',
      '--iface <host>',
      '--pid-file <path>',
      '-h, --help',
    ]);

    const classic = serve(['classic', '--help']);
    expect(await classic.exited).toBe(0);
    expect(classic.stdout()).toMatch(/--port <n> +the first of 3 consecutive ports/);
  });

  it.each([
    [['slow', '--bogus'], 'unknown option --bogus'],
    [['proxy', '--bogus'], 'unknown option --bogus'],
    [['--bogus'], 'unknown option --bogus'],
    [['slow', 'extra'], 'unexpected argument extra'],
    [['slow', '--port', '-1'], '--port must be a whole number of at least 0 and at most 65535, got -1'],
    [['slow', '--delay', '-1'], '--delay must be a number of at least 0, got -1'],
    [['slow', '--delay', 'abc'], '--delay must be a number of at least 0, got abc'],
    [['fast', '--size', '-5'], '--size must be a whole number of at least 0, got -5'],
    [
      ['classic', '--port', '65535'],
      'classic listens on 3 consecutive ports, so --port must be at most 65533, got 65535',
    ],
    [['faulty', '--mode', 'explode'], '--mode must be one of'],
    [['transform', '--raw', 'shuffle'], '--raw: unknown transform "shuffle"'],
    [['sideways'], 'unknown kind "sideways"'],
  ])('%j exits 2 with one line naming the problem', async (args, named) => {
    const run = serve(args);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/^serve: [^\n]+ \(see --help\)\n$/);
    expect(run.stderr()).toContain(named);
  });

  it('a poem file it cannot read names the path and the reason, exit 1', async () => {
    const missing = join(scratch, 'missing.txt');
    const run = serve(['fast', '--file', missing]);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe(`serve: ${missing}: no such file or directory\n`);
  });

  it('a port already taken fails at once: one line naming the address and the reason, exit 1', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const pidFile = join(scratch, 'taken.pid');
      const run = serve(['slow', '--port', String(port), '--pid-file', pidFile]);
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toMatch(
        new RegExp(`^serve slow: [^\\n]*address already in use 127\\.0\\.0\\.1:${port}\\n$`),
      );
      expect(run.stdout()).toBe('');
      expect(existsSync(pidFile)).toBe(false);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('Ctrl-C (SIGINT) stops serve slow cleanly: the pid file is removed, exit 130', async () => {
    const pidFile = join(scratch, 'slow.pid');
    const running = serve(['slow', '--poem', 'kettle', '--num-bytes', '100', '--delay', '0.01', '--pid-file', pidFile]);
    const [port] = await announcedPorts(running, 1);
    const { data } = await rawExchange({ host: '127.0.0.1', port: port! });
    expect(data.toString('utf8')).toBe(poems.kettle.text);
    await signalPidFile(pidFile, 'SIGINT');
    expect(await running.exited).toBe(130);
    expect(existsSync(pidFile)).toBe(false);
    expect(running.stderr()).toContain('serve slow: stopped (SIGINT)');
  });

  it('SIGTERM to serve classic closes all three servers and open connections, removes the pid file, exit 0', async () => {
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

describe('serve proxy', () => {
  it('an --upstream that is not an address is a usage error (exit 2), not a failure to start', async () => {
    await expect(proxyServeKind.start({ upstream: 'abc' }, {})).rejects.toThrow(UsageError);
    await expect(proxyServeKind.start({ upstream: 'abc' }, {})).rejects.toThrow(/--upstream: invalid address "abc"/);
  });
});
