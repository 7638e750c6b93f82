/**
 * Dimension 11, code size per part: the non-comment, non-blank lines of each part of the client,
 * read by the diff's part reader from the client files alone, and the lines of the runtime files.
 * A part taken from shared code counts no lines of the client's own and says where it comes from.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { clientParts } from '../../poetry/parts.ts';
import { projectRoot, readModelParts } from '../part-reader.ts';
import { type Cell, measured, notApplicable, type Probe } from './cell.ts';
import { count } from './format.ts';

/** Lines that are code: not blank, and not wholly a comment (`//`, or inside or opening a block comment). */
export function codeLines(lines: readonly string[]): number {
  let inBlock = false;
  let total = 0;
  for (const line of lines) {
    const text = line.trim();
    if (inBlock) {
      if (text.includes('*/')) inBlock = false;
      continue;
    }
    if (text === '' || text.startsWith('//')) continue;
    if (text.startsWith('/*')) {
      inBlock = !text.includes('*/');
      continue;
    }
    total += 1;
  }
  return total;
}

export function codeSizeProbe(root = projectRoot): Probe {
  return {
    id: 11,
    title: 'Code size per part',
    says: "non-comment lines of each part of the client; the runtime's lines",
    file: 'harness/matrix/code-size.ts',
    better: 'lower',
    stable: true,
    budgetMs: 5000,
    rows: clientParts.map((part) => part.name),
    async measure({ model }) {
      const cells: Record<string, Cell> = {};
      let own = 0;
      for (const source of readModelParts(model, root)) {
        const lines = source.pieces.filter((piece) => piece.uses === undefined).flatMap((piece) => piece.lines);
        const uses = source.pieces.flatMap((piece) => (piece.uses ? [piece.uses.name] : []));
        const size = codeLines(lines);
        own += size;
        const figures = { lines: size, uses, pieces: source.pieces.length };
        if (source.notApplicable !== undefined && source.pieces.length === 0) {
          cells[source.part] = notApplicable(source.notApplicable);
          continue;
        }
        const text = [
          ...(size > 0 || uses.length === 0 ? [count(size)] : []),
          ...uses.map((name) => `uses ${name}`),
        ].join(' + ');
        cells[source.part] = measured(text, figures, { stable: text, score: size });
      }
      const runtime = model.runtimeFiles.reduce(
        (sum, file) => sum + codeLines(readFileSync(path.join(root, file), 'utf8').split('\n')),
        0,
      );
      const text = `${count(own)} in the client's parts; runtime ${count(runtime)}`;
      cells[''] = measured(
        text,
        { clientPartLines: own, runtimeLines: runtime, runtimeFiles: model.runtimeFiles.length },
        { stable: text, score: own },
      );
      return cells;
    },
  };
}
