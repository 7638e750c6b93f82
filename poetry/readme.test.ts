/**
 * The README cannot rot: every code block in it marked runnable (a fence opened with ```sh runnable)
 * is run here, as written, from the project root, and must succeed. The first block (`npm ci && …`)
 * is not marked: CI itself runs `npm ci` and `npm test`, and the `npm start` smoke test covers the rest.
 * Each block runs in its own process group, which is ended afterwards, so a server a failing block
 * started in the background cannot outlive it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectRoot } from './regions.ts';

/** The runnable blocks of a Markdown text, with the line each starts on. */
function runnableBlocks(markdown: string): { line: number; script: string }[] {
  const blocks: { line: number; script: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```sh\s+runnable\s*$/.test(lines[i] as string)) continue;
    const end = lines.indexOf('```', i + 1);
    blocks.push({ line: i + 1, script: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

async function runBlock(script: string): Promise<{ status: number | null; output: string }> {
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

const blocks = runnableBlocks(readFileSync(`${projectRoot}/README.md`, 'utf8'));

describe('README runnable blocks', () => {
  it('finds the runnable blocks, and only those', () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(runnableBlocks('```sh runnable\necho hi\n```\n```sh\nnot this\n```')).toEqual([
      { line: 1, script: 'echo hi' },
    ]);
  });

  it.each(blocks.map((b) => [b.line, b.script] as const))(
    'README.md:%i runs',
    async (_line, script) => {
      const { status, output } = await runBlock(script);
      expect(status, output).toBe(0);
    },
    240_000,
  );
});
