/**
 * The `poetry` command, run as a user runs it: a child process against real servers on loopback,
 * its output read through pipes. The CLI itself is model-agnostic, so these use the `promises` and
 * `blocking` baselines; the conformance suite is where every model is checked.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { formatAddress } from './contract.ts';
import { models } from './models.ts';
import { generatePoem, poems } from './poems/index.ts';
import { type PoetryServer, refusingAddress, startFastServer, startSlowServer } from './servers/index.ts';

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const cli = new URL('./cli.ts', import.meta.url).pathname;

/** Starts the CLI; `onStdout` sees its output as it arrives. */
function runCli(args: readonly string[], onStdout?: (text: string, child: ReturnType<typeof spawn>) => void) {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    out.push(chunk);
    onStdout?.(chunk.toString(), child);
  });
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise<Finished>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

const servers: PoetryServer[] = [];
async function keep<T extends PoetryServer>(starting: Promise<T>): Promise<T> {
  const server = await starting;
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const ferry = poems['night-ferry'].text;
const kettle = poems.kettle.text;

describe('poetry CLI', () => {
  it('prints progress lines, then the poems in argument order, then the total', async () => {
    // The first server is the slower, so the poems finish in the other order.
    const slow = await keep(startSlowServer({ poem: ferry, numBytes: 500, delay: 0.02 }));
    const fast = await keep(startSlowServer({ poem: kettle, numBytes: 100, delay: 0.001 }));
    const { code, stdout, stderr } = await runCli([
      '--model',
      'promises',
      formatAddress(slow.address),
      String(fast.address.port),
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Task 1: got 500 bytes of poetry from ${formatAddress(slow.address)}$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^Task 2: got \\d+ bytes of poetry from ${formatAddress(fast.address)}$`, 'm'));
    const first = stdout.indexOf(`--- Poem 1 from ${formatAddress(slow.address)} ---\n${ferry}`);
    const second = stdout.indexOf(`--- Poem 2 from ${formatAddress(fast.address)} ---\n${kettle}`);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(stdout).toMatch(/\nGot 2 poems in 0:00:\d\d\.\d{3}\n$/);
  });

  it('reports a failure on stderr with its address and cause, keeps the other poems, and exits 1', async () => {
    const refused = await refusingAddress();
    const good = await keep(startFastServer({ poem: kettle }));
    const { code, stdout, stderr } = await runCli([
      '--model',
      'blocking',
      formatAddress(refused),
      formatAddress(good.address),
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain(`Task 1: failed: ${formatAddress(refused)}: connection refused`);
    expect(stderr).toContain('[REFUSED]');
    expect(stdout).toContain(`--- Poem 2 from ${formatAddress(good.address)} ---\n${kettle}`);
    expect(stdout).toMatch(/Got 1 poem in .* \(1 failed\)\n$/);
  });

  it('exits 1 when every download fails', async () => {
    const { code, stderr } = await runCli(['--model', 'promises', formatAddress(await refusingAddress())]);
    expect(code).toBe(1);
    expect(stderr).toContain('[REFUSED]');
  });

  it.concurrent.each([
    [['--model', 'promises', '99999'], '99999'],
    [['--model', 'promises', 'localhost:port'], 'localhost:port'],
    [['--model', 'no-such-model', '10001'], 'no-such-model'],
    [['--model', 'promises'], 'no servers'],
    [['10001'], '--model'],
    [['--model', 'promises', '--timeout', 'soon', '10001'], '--timeout'],
    [['--model', 'promises', '--concurrency', '0', '10001'], '--concurrency'],
    [['--model', 'promises', '--bogus', '10001'], '--bogus'],
  ])('exits 2 with a message naming the bad argument: %j', async (args, named) => {
    const { code, stdout, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(named);
  });

  it('--json prints exactly one document, results in argument order, and no progress lines', async () => {
    const good = await keep(startSlowServer({ poem: kettle, numBytes: 100, delay: 0.001 }));
    const refused = await refusingAddress();
    const { code, stdout } = await runCli([
      '--json',
      '--model',
      'promises',
      formatAddress(good.address),
      formatAddress(refused),
    ]);
    expect(code).toBe(1);
    const document = JSON.parse(stdout);
    expect(document).toEqual({
      model: 'promises',
      results: [
        { address: formatAddress(good.address), ok: true, poem: kettle },
        {
          address: formatAddress(refused),
          ok: false,
          error: { code: 'REFUSED', message: expect.stringContaining('connection refused') },
        },
      ],
      elapsedMs: expect.any(Number),
    });
    expect(stdout).not.toContain('Task 1');
  });

  it('a 20 MB poem arrives whole through a pipe', async () => {
    const poem = generatePoem(20 * 1024 * 1024, 7);
    const server = await keep(startFastServer({ poem }));
    const { code, stdout } = await runCli(['--json', '--model', 'promises', formatAddress(server.address)]);
    expect(code).toBe(0);
    const [result] = JSON.parse(stdout).results;
    expect(Buffer.byteLength(result.poem)).toBe(poem.byteLength);
    expect(result.poem === poem.toString('utf8')).toBe(true);
  });

  it('a 20 MB poem in text mode is followed by the total, nothing cut off', async () => {
    const poem = generatePoem(20 * 1024 * 1024, 8);
    const server = await keep(startFastServer({ poem }));
    const { code, stdout } = await runCli(['--model', 'promises', formatAddress(server.address)]);
    expect(code).toBe(0);
    const header = `--- Poem 1 from ${formatAddress(server.address)} ---\n`;
    const start = stdout.indexOf(header) + header.length;
    const end = stdout.lastIndexOf('\nGot 1 poem in ');
    expect(stdout.slice(start, end) === poem.toString('utf8')).toBe(true);
  });

  it('Ctrl-C cancels the downloads, reports them as CANCELLED and exits 1', async () => {
    // About 2.9 s per poem in full; the interrupt comes with the first progress line.
    const slow = await keep(startSlowServer({ poem: ferry, numBytes: 10, delay: 0.01 }));
    let interrupted = false;
    const args = ['--model', 'promises', formatAddress(slow.address), formatAddress(slow.address)];
    const { code, stderr } = await runCli(args, (text, child) => {
      // Only once: a second Ctrl-C is meant to kill the process outright.
      if (!interrupted && text.includes('Task ')) interrupted = child.kill('SIGINT');
    });
    expect(code).toBe(1);
    expect(stderr).toContain('Task 1: failed:');
    expect(stderr.match(/\[CANCELLED\]/g)).toHaveLength(2);
  });

  it('--list names every registered model, --help shows the usage', async () => {
    const list = await runCli(['--list']);
    expect(list.code).toBe(0);
    for (const model of models) expect(list.stdout).toMatch(new RegExp(`^${model.name} `, 'm'));
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run poetry -- --model <name>');
  });
});
