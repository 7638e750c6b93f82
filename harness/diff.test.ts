/**
 * `npm run diff` as a command, in its own process: help, usage mistakes, a file it cannot write, a
 * reader that closes the pipe early, and which columns the page opens with. What it prints is
 * checked in `part-reader.test.ts`, and the page's behaviour in Chromium in `diff.browser.test.ts`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from './part-reader.ts';
import { models } from './registry.ts';

const diff = `${process.execPath} --import tsx harness/diff.ts`;

/** Runs `script` in bash with `$DIFF` as the command; the script echoes any status it wants checked. */
function bash(script: string) {
  const ended = spawnSync('bash', ['-c', script], {
    cwd: projectRoot,
    env: { ...process.env, DIFF: diff },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { stdout: ended.stdout, stderr: ended.stderr };
}

describe('npm run diff, the command', () => {
  let scratch: string | undefined;
  afterEach(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });

  it('ends quietly with 0 when the reader closes the pipe (--all | head -1)', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion, not a template
    const { stdout, stderr } = bash('$DIFF --all | head -1; echo "status ${PIPESTATUS[0]}"');
    expect(stdout).toMatch(/^══ connect: [^\n]*\nstatus 0\n$/);
    expect(stderr).toBe('');
  });

  it('takes -h and --help: the usage, the options aligned, the exit codes', () => {
    for (const flag of ['-h', '--help']) {
      const { stdout } = bash(`$DIFF ${flag}; echo "status $?"`);
      expect(stdout).toMatch(/^Usage: npm run diff -- /);
      expect(stdout).toMatch(/\n {2}--html <file> +\S/);
      expect(stdout).toContain('\nExit codes:\n');
      expect(stdout).toMatch(/status 0\n$/);
    }
  });

  it.each([
    ['--bogus', 'unknown option --bogus'],
    ['--width -1', '--width must be a whole number of at least 40, got -1'],
    ['--part nowhere', '--part: unknown part "nowhere"'],
    ['promises nobody', 'unknown model "nobody"'],
    ['promises', 'expected two models to compare (or --all), got 1'],
  ])('%s is a usage error: one line, exit 2', (args, message) => {
    const { stdout, stderr } = bash(`$DIFF ${args}; echo "status $?"`);
    expect(stderr).toMatch(/^diff: [^\n]+ \(see --help\)\n$/);
    expect(stderr).toContain(message);
    expect(stdout).toBe('status 2\n');
  });

  it('--html into a folder that does not exist names the path and the reason, exit 1', () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'poetry-diff-'));
    const file = path.join(scratch, 'missing', 'x.html');
    const { stdout, stderr } = bash(`$DIFF --html '${file}'; echo "status $?"`);
    expect(stderr).toBe(`diff: ${file}: no such file or directory\n`);
    expect(stdout).toBe('status 1\n');
  });

  it('--html with models named writes every model into the page, the named ones ticked as its columns', () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'poetry-diff-'));
    const file = path.join(scratch, 'page.html');
    const { stdout, stderr } = bash(`$DIFF --html '${file}' lazy csp effect; echo "status $?"`);
    expect(stdout).toBe('status 0\n');
    expect(stderr).toBe(`wrote ${file}\n`);
    const page = readFileSync(file, 'utf8');
    const boxes = [...page.matchAll(/<input type="checkbox" value="([\w-]+)"( checked)?>/g)];
    expect(boxes.map((box) => box[1])).toEqual(models.map((model) => model.name));
    expect(boxes.filter((box) => box[2]).map((box) => box[1])).toEqual(['lazy', 'csp', 'effect']);
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
