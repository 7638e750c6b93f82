/**
 * Runs one of the project's commands as a user does: a child process (`node --import tsx <file>`)
 * with its stdout and stderr on real pipes. The tests of `poetry` and `npm start` share it, so they
 * check the exit code and the exact output, and can signal the process or close its stdout.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface Finished {
  /** The exit code; null when a signal killed the process (it did not handle the signal). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ChildOptions {
  /** Sees each piece of stdout as it arrives. */
  readonly onStdout?: (text: string, child: ChildProcess) => void;
  /** Sees each piece of stderr as it arrives. */
  readonly onStderr?: (text: string, child: ChildProcess) => void;
  /**
   * How much of stdout is read: all of it; none, the reading end closed before the command writes
   * (`… | true`); or the first line, then closed (`… | head -1`).
   */
  readonly reader?: 'all' | 'none' | 'first line';
}

/** Runs the TypeScript file `script` with `args` and resolves once it has ended and its pipes closed. */
export function runChild(script: string, args: readonly string[], options: ChildOptions = {}): Promise<Finished> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  if (options.reader === 'none') child.stdout.destroy();
  child.stdout.on('data', (chunk: Buffer) => {
    out.push(chunk);
    options.onStdout?.(chunk.toString(), child);
    if (options.reader === 'first line' && chunk.includes('\n')) child.stdout.destroy();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err.push(chunk);
    options.onStderr?.(chunk.toString(), child);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}
