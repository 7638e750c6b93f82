/**
 * Saved matrix runs: `npm run matrix` writes each as `matrix-<time>.json` beside the bench's reports,
 * and the bench report shows the newest as its matrix section. Kept apart from the probes so the
 * bench can read a saved matrix without loading any of them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Matrix } from './cell.ts';

export const matrixFilePrefix = 'matrix-';

/** The newest saved matrix in `folder`, with its file name; undefined when there is none. */
export function newestMatrix(folder: string): { readonly file: string; readonly matrix: Matrix } | undefined {
  if (!existsSync(folder)) return undefined;
  const files = readdirSync(folder)
    .filter((name) => name.startsWith(matrixFilePrefix) && name.endsWith('.json'))
    .sort();
  for (const file of files.reverse()) {
    let parsed: Partial<Matrix>;
    try {
      parsed = JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as Partial<Matrix>;
    } catch {
      continue; // A file cut short (a run stopped while saving) is passed over for an older one.
    }
    if (parsed.format === 'poetry-matrix/1') return { file, matrix: parsed as Matrix };
  }
  return undefined;
}
