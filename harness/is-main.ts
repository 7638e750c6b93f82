/**
 * Whether a module is the program being run (`tsx harness/diff.ts`) rather than imported by a test.
 * Commands export their `main` for tests and run it only when they are the entry point.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && path.resolve(entry) === fileURLToPath(moduleUrl);
}
