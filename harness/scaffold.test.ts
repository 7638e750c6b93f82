/**
 * Adding a model works the way the README says. In a throwaway copy of the project, the scaffold
 * makes a model; the parts check names every part as missing; a minimal client is written into the
 * skeleton; then the whole conformance suite and a quick benchmark run accept it, with no other
 * change anywhere; and a model list naming a folder without a face stops the commands, naming it.
 * Before that, the command's own conventions: help, usage mistakes, and a project folder it cannot use.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientParts } from '../poetry/parts.ts';
import { formatModelList, modelListFile, parseModelList } from './model-list.ts';
import { projectRoot } from './part-reader.ts';

/**
 * The minimal working client: one attempt at a poem is the shared download's `fetchPoem`, shown as a
 * pointer; the model writes only its own retry, analysis, limit and collection.
 */
const minimalClient = `/**
 * The scratch model: a minimal client written over the scaffold by a test. One attempt at one poem
 * is the shared download's \`fetchPoem\`; this model only adds its own retry, analysis, limit and collection.
 */
import pLimit from 'p-limit';
import { fetchPoem } from '../baselines/download.ts';
import { analysePoem } from '../poetry/analyse.ts';
import { type Address, formatAddress, type GetPoemsOptions, type Model, type PoemResult } from '../poetry/contract.ts';
import { toPoetryError } from '../poetry/errors.ts';

// #uses connect, receive, finish, fail, timeout, cancel, transform: fetchPoem (baselines/download.ts)

async function getPoems(addresses: readonly Address[], options: GetPoemsOptions = {}): Promise<PoemResult[]> {
  // #region retry
  const getPoem = async (address: Address, task: number) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const fetched = await fetchPoem(address, task, options);
        // #region analyse
        const { analyse } = options;
        return analyse ? { ...fetched, analysis: analysePoem(fetched.poem, analyse.rounds) } : fetched;
        // #endregion
      } catch (error) {
        const failure = toPoetryError(error, address);
        if (failure.code !== 'CANCELLED' && attempt < (options.retries ?? 0)) continue;
        const where = formatAddress(address);
        options.onEvent?.({ type: 'failed', task, address: where, error: failure, at: performance.now() });
        throw failure;
      }
    }
  };
  // #endregion
  // #region limit
  const limit = pLimit(options.concurrency ?? Number.POSITIVE_INFINITY);
  // #endregion
  // #region collect
  const settled = await Promise.allSettled(addresses.map((address, index) => limit(() => getPoem(address, index + 1))));
  return settled.map((outcome, index) => {
    const address = formatAddress(addresses[index] as Address);
    return outcome.status === 'fulfilled'
      ? { ok: true, address, ...outcome.value }
      : { ok: false, address, error: toPoetryError(outcome.reason, address) };
  });
  // #endregion
}

export const scratchModel: Model = {
  name: 'scratch',
  title: 'A minimal model made with the scaffold',
  summary: 'Made by a test: the scaffold, then a minimal client.',
  clientFiles: ['scratch/client.ts'],
  runtimeFiles: ['baselines/download.ts'],
  getPoems,
};
`;

describe('npm run new-model, the command', () => {
  let scratch: string | undefined;
  afterEach(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });
  const newModel = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'harness/new-model.ts', ...args], {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('takes -h and --help: the usage, the options aligned, the exit codes', () => {
    for (const flag of ['-h', '--help']) {
      const help = newModel(flag);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/^Usage: npm run new-model -- <name> \[--root <dir>\]\n/);
      expect(help.stdout).toMatch(/\n {2}--root <dir> +\S/);
      expect(help.stdout).toContain('\nExit codes:\n');
    }
  });

  it.each([
    [['--bogus', 'x'], 'unknown option --bogus'],
    [[], 'name the model to create'],
    [['Bad'], '"Bad" is not a model name'],
    [['promises'], 'a model called "promises" is already registered'],
  ])('%j is a usage error: one line, exit 2', (args, message) => {
    const ended = newModel(...args);
    expect(ended.stderr).toMatch(/^new-model: [^\n]+ \(see --help\)\n$/);
    expect(ended.stderr).toContain(message);
    expect(ended.status).toBe(2);
  });

  it('--root at a folder that does not exist names the path and the reason, exit 1, and creates nothing', () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'poetry-new-model-'));
    const missing = path.join(scratch, 'missing');
    const ended = newModel('--root', missing, 'x');
    expect(ended.stderr).toBe(
      `new-model: ${path.join(missing, 'harness', 'models.json')}: no such file or directory\n`,
    );
    expect(ended.status).toBe(1);
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('a model list that is not a list of folders is named, exit 1, and no folder is made', () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'poetry-new-model-'));
    mkdirSync(path.join(scratch, 'harness'));
    const list = path.join(scratch, 'harness', 'models.json');
    writeFileSync(list, '{ "models": ["reactor"] }\n');
    const ended = newModel('--root', scratch, 'x');
    expect(ended.stderr).toBe(
      `new-model: ${list}: not a list of model folders, such as ["baselines/promises", "reactor"]\n`,
    );
    expect(ended.status).toBe(1);
    expect(readdirSync(scratch)).toEqual(['harness']);
  });
});

describe('npm run new-model, end to end', () => {
  let copy: string;
  const run = (command: string, args: string[], env: Record<string, string> = {}) =>
    spawnSync(command, args, { cwd: copy, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
  const tsx = (...args: string[]) => run(process.execPath, ['--import', 'tsx', ...args]);
  const vitest = (files: string, env: Record<string, string>) =>
    run(process.execPath, [path.join(copy, 'node_modules/vitest/vitest.mjs'), 'run', files], env);

  beforeAll(() => {
    copy = mkdtempSync(path.join(tmpdir(), 'poetry-scaffold-'));
    const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: projectRoot, encoding: 'utf8' }).split('\0');
    for (const file of tracked.filter(Boolean)) {
      mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      copyFileSync(path.join(projectRoot, file), path.join(copy, file));
    }
    symlinkSync(path.join(projectRoot, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  });

  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('scaffolds, fails the parts check naming every part, then passes the suite and the bench once written', () => {
    const scaffold = tsx('harness/new-model.ts', 'scratch');
    expect(scaffold.status, scaffold.stderr).toBe(0);
    expect(scaffold.stdout).toContain('MODELS=scratch npx vitest run harness/conformance');
    expect(JSON.parse(readFileSync(path.join(copy, 'harness/models.json'), 'utf8')).at(-1)).toBe('scratch');

    const unwritten = vitest('harness/conformance/parts.test.ts', { MODELS: 'scratch' });
    expect(unwritten.status).not.toBe(0);
    const report = unwritten.stdout + unwritten.stderr;
    expect(report).toContain('scratch does not yet mark or write these parts:');
    for (const part of clientParts) expect(report).toContain(part.name);

    writeFileSync(path.join(copy, 'scratch/client.ts'), minimalClient);
    const shown = tsx('harness/diff.ts', '--all', '--part', 'receive');
    expect(shown.stdout).toMatch(/\n── scratch\nuses fetchPoem \(baselines\/download\.ts:\d+\)\n/);
    const suite = vitest('harness/conformance', { MODELS: 'scratch' });
    expect(suite.status, suite.stdout + suite.stderr).toBe(0);
    expect(suite.stdout).toContain('conformance: testing scratch');

    const out = path.join(copy, 'bench-results');
    const bench = tsx(
      'bench/run.ts',
      '--quick',
      '--model',
      'scratch',
      '--scenario',
      'classic',
      '--no-micro',
      '--json',
      '--out',
      out,
    );
    expect(bench.status, bench.stderr).toBe(0);
    const rows = (JSON.parse(bench.stdout) as { scenarios: { rows: { contender: string; status: string }[] }[] })
      .scenarios[0]?.rows;
    expect(rows?.find((row) => row.contender === 'scratch')?.status).toBe('ok');
  }, 300_000);

  it('stops every command, naming the folder, when a listed model has no face or its face no model', () => {
    const list = path.join(copy, modelListFile);
    const listed = readFileSync(list, 'utf8');
    try {
      writeFileSync(list, formatModelList([...parseModelList(listed), 'faceless']));
      const noFace = tsx('harness/cli.ts', '--list');
      expect(noFace.status).not.toBe(0);
      expect(noFace.stderr).toContain('harness/models.json lists faceless, which has no index.ts');
      mkdirSync(path.join(copy, 'faceless'));
      writeFileSync(path.join(copy, 'faceless/index.ts'), 'export const models = [];\n');
      const noModel = tsx('harness/cli.ts', '--list');
      expect(noModel.status).not.toBe(0);
      expect(noModel.stderr).toContain('faceless/index.ts exports no `model`');
    } finally {
      writeFileSync(list, listed);
    }
  }, 60_000);
});
