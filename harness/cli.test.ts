/**
 * The `poetry` command, run as a user runs it: a child process against real servers on loopback,
 * its output read through pipes. The CLI itself is model-agnostic, so most of these use the
 * `promises` and `blocking` baselines (the conformance suite is where every model is checked); a
 * reader that stops after the first line is tried with every model, as each must cancel on the
 * command's signal for the process to end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { formatAddress } from '../poetry/contract.ts';
import { generatePoem, poems } from '../poetry/poems/index.ts';
import { type PoetryServer, refusingAddress, startFastServer, startSlowServer } from '../poetry/servers/index.ts';
import { models } from './registry.ts';
import { type ChildOptions, runChild } from './test-fixtures/run-child.ts';

const cli = new URL('./cli.ts', import.meta.url).pathname;
const runCli = (args: readonly string[], options?: ChildOptions) => runChild(cli, args, options);

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
    [['--model', 'promises', '99999'], 'invalid address "99999": port 99999 is outside 1-65535'],
    [['--model', 'promises', 'localhost:port'], 'invalid address "localhost:port": port "port" is not a number'],
    [
      ['--model', 'no-such-model', '10001'],
      `unknown model "no-such-model"; known models: ${models.map((m) => m.name).join(', ')}`,
    ],
    [['--model', 'promises'], 'no servers given: pass host:port or port arguments'],
    [['10001'], '--model is required; --list names the models'],
    [['--model', 'promises', '--timeout', 'soon', '10001'], '--timeout must be a positive number of seconds, got soon'],
    [['--model', 'promises', '--timeout', '-1', '10001'], '--timeout must be a positive number of seconds, got -1'],
    [
      ['--model', 'promises', '--concurrency', '-2', '10001'],
      '--concurrency must be a whole number of at least 1, got -2',
    ],
    [['--model', 'promises', '--retries', '-1', '10001'], '--retries must be a whole number of at least 0, got -1'],
    [['--model', 'promises', '--bogus', '10001'], 'unknown option --bogus'],
    [
      ['--model', 'promises', '--transform', '10002/', '10001'],
      '--transform "10002/": the transform name after "/" is empty',
    ],
  ])('exits 2 with one line naming the bad argument: %j', async (args, message) => {
    const { code, stdout, stderr } = await runCli(args);
    expect(stderr).toBe(`poetry: ${message} (see --help)\n`);
    expect(code).toBe(2);
    expect(stdout).toBe('');
  });

  it('with no arguments at all prints the usage on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await runCli([]);
    expect(stderr).toMatch(/^Usage: npm run poetry -- --model <name> /);
    expect(code).toBe(2);
    expect(stdout).toBe('');
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

  it('Ctrl-C cancels the downloads, still prints the poems that arrived, and exits 130', async () => {
    // The slow poem takes about 300 s in full; the interrupt comes once the fast one is in.
    const slow = await keep(startSlowServer({ poem: ferry, numBytes: 10, delay: 0.1 }));
    const fast = await keep(startFastServer({ poem: kettle }));
    const args = ['--model', 'promises', formatAddress(slow.address), formatAddress(fast.address)];
    let fastBytes = 0;
    let interrupted = false;
    const onStdout: ChildOptions['onStdout'] = (text, child) => {
      for (const [, bytes] of text.matchAll(/^Task 2: got (\d+) bytes/gm)) fastBytes += Number(bytes);
      // Only once: a second Ctrl-C is meant to kill the process outright.
      if (!interrupted && fastBytes === Buffer.byteLength(kettle)) interrupted = child.kill('SIGINT');
    };
    const { code, stdout, stderr } = await runCli(args, { onStdout });
    expect(code).toBe(130);
    expect(stderr).toBe(`Task 1: failed: ${formatAddress(slow.address)}: download cancelled [CANCELLED]\n`);
    expect(stdout).toContain(`--- Poem 2 from ${formatAddress(fast.address)} ---\n${kettle}`);
    expect(stdout).toMatch(/\nGot 1 poem in .* \(1 failed\)\n$/);
  });

  // A download left running would keep the process alive for the slow poem's 1,000 s (and time the
  // test out), so ending at all proves the downloads were cancelled and nothing was left open.
  it.each(models.map((model) => model.name))(
    '%s: a reader that stops after the first line (| head -1) ends it quietly with 0, downloads cancelled',
    async (model) => {
      const slow = await keep(startSlowServer({ poem: generatePoem(1024 * 1024, 3), numBytes: 10, delay: 0.01 }));
      const at = formatAddress(slow.address);
      const { code, stdout, stderr } = await runCli(['--model', model, at, at, at], { reader: 'first line' });
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Task \d: got \d+ bytes of poetry from /);
    },
  );

  it.each([[['--list']], [['--help']], [['--json', '--model', 'reactor']], [['--model', 'reactor']]])(
    'a closed stdout (| true) ends %j quietly with 0',
    async (args) => {
      // A poem of 4 MB: more than a pipe holds, so writing it meets the closed end for sure.
      const server = await keep(startFastServer({ poem: generatePoem(4 * 1024 * 1024, 5) }));
      const argv = args.includes('--model') ? [...args, formatAddress(server.address)] : args;
      const { code, stderr } = await runCli(argv, { reader: 'none' });
      expect(stderr).toBe('');
      expect(code).toBe(0);
    },
  );

  it('--list names every registered model; -h and --help show the usage in the shared shape', async () => {
    const list = await runCli(['--list']);
    expect(list.code).toBe(0);
    for (const model of models) expect(list.stdout).toMatch(new RegExp(`^${model.name} `, 'm'));
    for (const flag of ['-h', '--help']) {
      const help = await runCli([flag]);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: npm run poetry -- --model <name> \[options\] host:port\|port \.\.\.\n/);
      expect(help.stdout).toMatch(/^ {2}--timeout <seconds> +give up/m);
      expect(help.stdout).toMatch(
        /\nExit codes:\n {2}0 {3}every poem arrived\n {2}1 {3}any poem failed\n {2}2 {3}usage error\n/,
      );
    }
  });
});
