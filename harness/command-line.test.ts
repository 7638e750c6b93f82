/**
 * The conventions every command shares: our own wording for usage mistakes, negative numbers as
 * values, one help shape, and the endings — a closed stdout ends quietly with 0, Ctrl-C with 130.
 * The endings are checked on a real child process behind a real pipe.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FileError, helpText, numberArgument, parseCommandLine, UsageError } from './command-line.ts';

const spec = {
  name: 'demo',
  usage: ['[options] <thing> ...'],
  description: 'A command for the tests.',
  positionals: true,
  options: {
    timeout: { type: 'string', value: '<seconds>', help: 'give up after this long' },
    model: { type: 'string', value: '<name>', multiple: true, help: 'a model\n(repeatable)' },
    json: { type: 'boolean', help: 'print JSON' },
    micro: { type: 'boolean', negatable: true, help: 'run the micro rows' },
  },
  exitCodes: [
    [0, 'all went well'],
    [1, 'something failed'],
  ],
} as const;

function usageMessage(argv: readonly string[]): string {
  try {
    parseCommandLine(spec, argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} parsed without a usage error`);
}

describe('parseCommandLine', () => {
  it('reads strings, lists, booleans, negations and positionals', () => {
    const { values, positionals } = parseCommandLine(spec, [
      '--timeout',
      '5',
      '--model',
      'a',
      '--model=b',
      '--json',
      '--no-micro',
      'x',
      '--',
      '--y',
    ]);
    expect(values).toEqual({ timeout: '5', model: ['a', 'b'], json: true, micro: false });
    expect(positionals).toEqual(['x', '--y']);
  });

  it('takes a negative number as a value, so the validation can say what is wrong with it', () => {
    expect(parseCommandLine(spec, ['--timeout', '-1']).values.timeout).toBe('-1');
    expect(parseCommandLine(spec, ['--timeout', '-.5']).values.timeout).toBe('-.5');
    expect(() => numberArgument('--timeout', '-1', { positive: true, unit: 'seconds' })).toThrow(
      '--timeout must be a positive number of seconds, got -1',
    );
  });

  it('names an unknown option in our own words, without a quote or a -- hint', () => {
    expect(usageMessage(['--bogus'])).toBe('unknown option --bogus');
    expect(usageMessage(['-x'])).toBe('unknown option -x');
    expect(usageMessage(['--no-json'])).toBe('unknown option --no-json');
  });

  it('says when a value is missing or one is given to a flag', () => {
    expect(usageMessage(['--timeout'])).toBe('--timeout needs a value <seconds>');
    expect(usageMessage(['--timeout', '--json'])).toBe('--timeout needs a value <seconds>');
    expect(usageMessage(['--json=yes'])).toBe('--json takes no value, got "yes"');
  });

  it('refuses positionals where the command takes none', () => {
    expect(() => parseCommandLine({ ...spec, positionals: false }, ['extra'])).toThrow('unexpected argument extra');
  });

  it('takes -h and --help everywhere', () => {
    expect(parseCommandLine(spec, ['-h']).values.help).toBe(true);
    expect(parseCommandLine(spec, ['--help']).values.help).toBe(true);
  });
});

describe('numberArgument', () => {
  it('checks whole numbers, bounds and units', () => {
    expect(numberArgument('--k', '3', { integer: true, min: 1 })).toBe(3);
    expect(() => numberArgument('--k', '1.5', { integer: true, min: 1 })).toThrow(
      '--k must be a whole number of at least 1, got 1.5',
    );
    expect(() => numberArgument('--port', '70000', { integer: true, min: 0, max: 65535 })).toThrow(
      '--port must be a whole number of at least 0 and at most 65535, got 70000',
    );
    expect(() => numberArgument('--k', '', { min: 0 })).toThrow(UsageError);
    expect(() => numberArgument('--k', 'Infinity', { min: 0 })).toThrow(UsageError);
  });
});

describe('helpText', () => {
  it('has a Usage line, aligned options with -h, --help, and the exit codes', () => {
    const lines = helpText(spec).split('\n');
    expect(lines[0]).toBe('Usage: npm run demo -- [options] <thing> ...');
    const options = lines.filter((line) => /^ {2}-/.test(line));
    expect(options.map((line) => line.trim().split(/\s{2,}/)[0])).toEqual([
      '--timeout <seconds>',
      '--model <name>',
      '--json',
      '--micro, --no-micro',
      '-h, --help',
    ]);
    const column = (line: string) => line.indexOf(line.trim().split(/\s{2,}/)[1] ?? '');
    expect(new Set(options.map(column)).size).toBe(1);
    expect(lines).toContain('Exit codes:');
    expect(lines.slice(lines.indexOf('Exit codes:') + 1)).toEqual([
      '  0   all went well',
      '  1   something failed',
      '  2   usage error',
      '  130 interrupted (Ctrl-C)',
    ]);
  });
});

describe('FileError', () => {
  it('names the path and the OS reason', () => {
    const cause = Object.assign(new Error('ENOENT: no such file or directory, open'), { code: 'ENOENT' });
    expect(new FileError('/nonexistent/x.html', cause).message).toBe('/nonexistent/x.html: no such file or directory');
  });
});

const fixture = new URL('./test-fixtures/command-fixture.ts', import.meta.url).pathname;

interface Ended {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `script` in bash with the fixture as `$FIXTURE`; the script prints the status it wants checked. */
function bash(script: string, onStderr?: (text: string, pid: number) => void): Promise<Ended> {
  const child = spawn('bash', ['-c', script], {
    env: { ...process.env, FIXTURE: `${process.execPath} --import tsx ${fixture}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
    onStderr?.(stderr, child.pid ?? 0);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('runCommand, in a real process', () => {
  it('ends quietly with 0 when the reader closes the pipe, and stops its work', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion, not a template
    const { stdout, stderr } = await bash('$FIXTURE | head -1; echo "status ${PIPESTATUS[0]}"');
    expect(stdout).toBe('line 1\nstatus 0\n');
    expect(stderr).toContain('ended: stdout closed');
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
  });

  it('exits 130 on Ctrl-C, after the command has stopped its work', async () => {
    let sent = false;
    const { stdout, stderr } = await bash('$FIXTURE > /dev/null & child=$!; wait $child; echo "status $?"', (text) => {
      if (!sent && text.includes('started')) {
        sent = true;
        // bash puts a background job's SIGINT to "ignore", so the fixture is signalled by its pid.
        spawn('pkill', ['-INT', '-f', 'command-fixture.ts']);
      }
    });
    expect(stdout).toBe('status 130\n');
    expect(stderr).toContain('ended: interrupted');
  });

  it('prints help with -h and exits 0; a usage error exits 2 with one line', async () => {
    const help = await bash('$FIXTURE -h; echo "status $?"');
    expect(help.stdout).toMatch(/^Usage: npm run fixture -- \[--lines <n>\]\n/);
    expect(help.stdout).toMatch(/status 0\n$/);
    const bad = await bash('$FIXTURE --lines -3; echo "status $?"');
    expect(bad.stderr).toBe('fixture: --lines must be a whole number of at least 0, got -3 (see --help)\n');
    expect(bad.stdout).toBe('status 2\n');
  });
});
