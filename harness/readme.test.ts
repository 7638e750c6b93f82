/**
 * The README cannot rot: every code block in it marked runnable (a fence opened with ```sh runnable)
 * is run here, as written, from the project root, and what it prints and writes is checked — an exit
 * code of 0 alone would pass a tour that writes an unparseable file.
 *
 * Two substitutions keep runs apart and the machine clean, and nothing else is changed: the
 * README's ports 10001–10003 become three free consecutive ports, and `/tmp/` becomes a folder of
 * the test's own, removed afterwards. A block marked `with-classic-servers` is one the README says
 * to run while `serve classic` runs in another terminal; the test starts those servers itself.
 * Each block runs in its own process group, ended afterwards, so a server a failing block started
 * in the background cannot outlive it. The first block (`npm ci && …`) is not marked: CI itself
 * runs `npm ci` and `npm test`, and `npm start` has its own test.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startClassicServers } from '../poetry/servers/index.ts';
import { projectRoot } from './part-reader.ts';

interface Block {
  readonly line: number;
  readonly script: string;
  readonly withClassicServers: boolean;
}

/** The runnable blocks of a Markdown text, with the line each starts on. */
function runnableBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```sh\s+runnable(\s+with-classic-servers)?\s*$/.exec(lines[i] as string);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    blocks.push({ line: i + 1, script: lines.slice(i + 1, end).join('\n'), withClassicServers: !!fence[1] });
    i = end;
  }
  return blocks;
}

/** A port such that it and the next two are free now (bound and released; the tour binds them next). */
async function freeConsecutivePorts(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const servers = [0, 1, 2].map(() => createServer());
    const bound = await Promise.all(
      servers.map(
        (server, index) =>
          new Promise<boolean>((resolve) => {
            server.once('error', () => resolve(false));
            server.listen(base + index, '127.0.0.1', () => resolve(true));
          }),
      ),
    );
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    if (bound.every(Boolean)) return base;
  }
  throw new Error('no three consecutive free ports found');
}

/** The script as the test runs it: the README's ports and /tmp swapped for the test's own. */
function localised(script: string, basePort: number, folder: string): string {
  return script
    .replace(/\b1000([1-3])\b/g, (_match, digit: string) => String(basePort + Number(digit) - 1))
    .replaceAll('/tmp/', `${folder}/`);
}

async function runScript(script: string): Promise<{ status: number | null; output: string }> {
  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: projectRoot,
    detached: true,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const [status] = (await once(child, 'close')) as [number | null];
  try {
    process.kill(-(child.pid as number), 'SIGTERM');
  } catch {
    // The group is already gone: nothing was left running.
  }
  return { status, output };
}

/**
 * What the README says each command does, checked against what it did. Each check names a command
 * that must appear in some runnable block, so a README edit that drops one fails here too.
 */
const checks: readonly { command: string; check(output: string, folder: string): void }[] = [
  {
    command: 'npm run poetry -- --help',
    check: (output) => expect(output).toMatch(/^Usage: npm run poetry -- /m),
  },
  {
    command: 'npm run poetry -- --model reactor 10001 10002 10003',
    check: (output) => {
      const tasks = [...output.matchAll(/^Task (\d): got \d+ bytes of poetry from 127\.0\.0\.1:\d+$/gm)].map(
        (match) => match[1],
      );
      // Interleaved: after task 2 or 3 has had a turn, task 1 gets another.
      expect(tasks.slice(tasks.findIndex((task) => task !== '1')), 'task 1 takes turns with the others').toContain('1');
      expect(output).toMatch(/^Got 3 poems in 0:00:\d\d\.\d{3}$/m);
    },
  },
  {
    command: '--concurrency 2 --json localhost:10001 localhost:10002',
    check: (output) => {
      const line = output.split('\n').find((text) => text.startsWith('{"model":"actors"'));
      expect(line, 'a JSON document on a line of its own').toBeDefined();
      const document = JSON.parse(line as string) as { results: { ok: boolean }[] };
      expect(document.results.map((result) => result.ok)).toEqual([true, true]);
    },
  },
  {
    command: 'npm run -s poetry -- --model actors --json 10001 10002 10003 > /tmp/poems.json',
    check: (output, folder) => {
      const document = JSON.parse(readFileSync(path.join(folder, 'poems.json'), 'utf8')) as {
        model: string;
        results: { ok: boolean; poem: string }[];
      };
      expect(document.model).toBe('actors');
      expect(document.results).toHaveLength(3);
      expect(document.results.every((result) => result.ok && result.poem.length > 0)).toBe(true);
      expect(output).toContain('3 poems from actors');
    },
  },
  {
    command: 'kill "$(cat /tmp/poetry-classic.pid)"',
    check: (_output, folder) => expect(existsSync(path.join(folder, 'poetry-classic.pid'))).toBe(false),
  },
  {
    command: 'npm run diff -- reactor actors --part receive',
    check: (output) => expect(output).toMatch(/── receive: .*\nreactor\/\S+\.ts:\d+ +│ actors\/\S+\.ts:\d+/),
  },
  {
    command: 'npm run diff -- --all --part timeout',
    check: (output) => expect(output).toMatch(/══ timeout: [\s\S]*── blocking[\s\S]*── lazy/),
  },
  {
    command: 'npm run diff -- --html /tmp/side-by-side.html',
    check: (_output, folder) => {
      const html = readFileSync(path.join(folder, 'side-by-side.html'), 'utf8');
      expect(html).toMatch(/^<!doctype html>/i);
      expect(html).toContain('actors');
    },
  },
  {
    command: 'npm run -s matrix -- --only 4,5 --model reactor --model lazy --out /tmp/poetry-matrix',
    check: (output, folder) => {
      expect(output).toMatch(/^ *4 +Error surface/m);
      expect(output).toMatch(/^ *5 +Limit exactness/m);
      expect(output).not.toMatch(/^ *6 +Retry/m);
      const saved = readdirSync(path.join(folder, 'poetry-matrix'));
      expect(saved.filter((name) => /^matrix-.*\.json$/.test(name))).toHaveLength(1);
    },
  },
  {
    command: 'npm run bench -- --quick --scenario classic --no-micro --out /tmp/poetry-bench',
    check: (output, folder) => {
      const saved = /saved (\S+\.json)/.exec(output)?.[1];
      expect(saved, 'the bench says where it saved the report').toBeDefined();
      expect(path.resolve(projectRoot, saved as string).startsWith(path.join(folder, 'poetry-bench'))).toBe(true);
      const report = JSON.parse(readFileSync(path.resolve(projectRoot, saved as string), 'utf8')) as {
        format: string;
        scenarios: { name: string }[];
      };
      expect(report.format).toBe('poetry-bench/1');
      expect(report.scenarios.map((scenario) => scenario.name)).toEqual(['classic']);
    },
  },
];

const blocks = runnableBlocks(readFileSync(`${projectRoot}/README.md`, 'utf8'));
const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('README runnable blocks', () => {
  it('finds the runnable blocks, and only those', () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(
      runnableBlocks('```sh runnable\necho hi\n```\n```sh\nnot this\n```\n```sh runnable with-classic-servers\nx\n```'),
    ).toEqual([
      { line: 1, script: 'echo hi', withClassicServers: false },
      { line: 7, script: 'x', withClassicServers: true },
    ]);
  });

  it('checks a command of some block with every check', () => {
    for (const { command } of checks)
      expect(
        blocks.some((block) => block.script.includes(command)),
        command,
      ).toBe(true);
  });

  it('swaps the ports and /tmp only', () => {
    expect(localised('x 10001 localhost:10003 /tmp/a.json 100012 /tmpfoo', 40_000, '/t/f')).toBe(
      'x 40000 localhost:40002 /t/f/a.json 100012 /tmpfoo',
    );
  });

  it.each(blocks.map((block) => [block.line, block] as const))(
    'README.md:%i runs and does what it says',
    async (_line, block) => {
      const folder = mkdtempSync(path.join(tmpdir(), 'poetry-readme-'));
      folders.push(folder);
      const basePort = await freeConsecutivePorts();
      const classic = block.withClassicServers ? await startClassicServers({ port: basePort, delay: 0.05 }) : undefined;
      try {
        const { status, output } = await runScript(localised(block.script, basePort, folder));
        expect(status, output).toBe(0);
        expect(output, 'no warning or stack trace').not.toMatch(/Warning|\n\s+at /);
        for (const { command, check } of checks) if (block.script.includes(command)) check(output, folder);
      } finally {
        await classic?.close();
      }
    },
    240_000,
  );
});

describe('a fresh install (`npm ci`)', () => {
  it('is quiet: every dependency with an install script is approved or denied in allowScripts', () => {
    const lock = JSON.parse(readFileSync(`${projectRoot}/package-lock.json`, 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    const { allowScripts = {} } = JSON.parse(readFileSync(`${projectRoot}/package.json`, 'utf8')) as {
      allowScripts?: Record<string, boolean>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const name of withScripts) expect(Object.keys(allowScripts), name).toContain(name);
  });
});
