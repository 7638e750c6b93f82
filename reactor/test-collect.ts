/**
 * For tests of what a real garbage collection lets go of: runs an ES module program in a child
 * Node with `--expose-gc` (and tsx, so it can import the project's modules), and resolves with
 * what it printed. The program calls `globalThis.gc()` itself, at the moment it means to collect.
 */
import { execFile } from 'node:child_process';

export function runCollecting(program: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', program],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`child failed: ${error.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}
