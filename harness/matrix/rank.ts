/**
 * Reading a row the way every renderer shows it: do its cells all say the same (then it says so
 * instead of ranking noise), and where does each measured cell stand between the row's best (0)
 * and worst (1)? `n/a` and failed cells stand nowhere: they are not ranked.
 */
import type { Cell, Row } from './cell.ts';

/** What a cell shows in a form that can be compared: its stable part where it has one. */
const shown = (cell: Cell) => cell.stable ?? cell.text;

/** The one value every cell of the row shows, or undefined when they differ. */
export function agreement(row: Row, models: readonly string[]): string | undefined {
  const values = new Set(models.map((model) => (row.cells[model] ? shown(row.cells[model]) : 'not measured')));
  return values.size === 1 && models.length > 1 ? [...values][0] : undefined;
}

/** Model → its place from best (0) to worst (1); a model whose cell has no score is left out. */
export function standing(row: Row, models: readonly string[]): Map<string, number> {
  const scored = models.flatMap((model) => {
    const cell = row.cells[model];
    return cell?.status === 'measured' && cell.score !== undefined && !Number.isNaN(cell.score)
      ? [[model, cell.score] as const]
      : [];
  });
  const finite = scored.map(([, score]) => score).filter(Number.isFinite);
  const best = row.better === 'lower' ? Math.min(...finite) : Math.max(...finite);
  const worst = row.better === 'lower' ? Math.max(...finite) : Math.min(...finite);
  return new Map(
    scored.map(([model, score]) => {
      if (!Number.isFinite(score)) return [model, 1];
      return [model, best === worst ? 0 : (score - best) / (worst - best)];
    }),
  );
}
