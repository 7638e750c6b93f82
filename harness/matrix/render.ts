/**
 * The matrix as text: a terminal table (one block per dimension, one line per model, coloured
 * best to worst on a terminal), and the Markdown table the README holds (its stable rows only).
 */
import type { Cell, Figures, Matrix, Row } from './cell.ts';
import { agreement, standing } from './rank.ts';

export interface TextStyle {
  /** Colours a cell by its place, 0 best to 1 worst; undefined: not ranked. */
  cell(text: string, place: number | undefined, status: Cell['status']): string;
  heading(text: string): string;
}

export const plainStyle: TextStyle = { cell: (text) => text, heading: (text) => text };

export const ansiStyle: TextStyle = {
  cell(text, place, status) {
    if (status === 'failed') return `\x1b[1;31m${text}\x1b[0m`;
    if (status === 'n/a' || place === undefined) return `\x1b[2m${text}\x1b[0m`;
    const colour = place === 0 ? 32 : place === 1 ? 31 : 33;
    return `\x1b[${colour}m${text}\x1b[0m`;
  },
  heading: (text) => `\x1b[1;36m${text}\x1b[0m`,
};

/** Figures as one line, `key=value, …`; long lists cut to their first twelve. */
export function figuresLine(figures: Figures): string {
  return Object.entries(figures)
    .map(([key, value]) => {
      if (!Array.isArray(value)) return `${key}=${String(value)}`;
      const shown = value.slice(0, 12).join(' ');
      return `${key}=[${shown}${value.length > 12 ? ` … ${value.length} in all` : ''}]`;
    })
    .join(', ');
}

export function renderTerminal(matrix: Matrix, { style = plainStyle, explain = false } = {}): string {
  const models = matrix.models.map((model) => model.name);
  const width = Math.max(...models.map((name) => name.length)) + 2;
  const lines: string[] = [];
  for (const row of matrix.rows) {
    const sub = row.key.includes('.');
    lines.push(style.heading(sub ? `    ${row.title}` : `${String(row.id).padStart(2)}  ${row.title} — ${row.says}`));
    const agreed = agreement(row, models);
    const places = standing(row, models);
    // Cells that agree on what is stable show their figures unranked: what is left to rank is noise.
    if (agreed !== undefined) lines.push(`      all agree: ${agreed}`);
    const everyTextAgrees = agreed !== undefined && models.every((model) => row.cells[model]?.text === agreed);
    if (everyTextAgrees && !explain) continue;
    for (const model of models) {
      const cell = row.cells[model];
      const place = agreed === undefined ? places.get(model) : undefined;
      const text = cell ? style.cell(cell.text, place, cell.status) : 'not measured';
      lines.push(`      ${model.padEnd(width)}${text}`);
      if (explain && cell)
        lines.push(`      ${''.padEnd(width)}↳ ${row.probe}: ${figuresLine(cell.figures) || 'no figures'}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const escapeMarkdown = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/**
 * The README's table: the stable rows, each cell's stable form. A row on which every model agrees
 * is not repeated across the columns: it is listed once under the table, as agreeing.
 */
export function renderMarkdown(matrix: Matrix): string {
  const models = matrix.models.map((model) => model.name);
  const stableRows = matrix.rows.filter((row: Row) => row.stable);
  const label = (row: Row) => (row.key.includes('.') ? row.title : `${row.id}. ${row.title}`);
  const agreeing = stableRows.filter((row) => agreement(row, models) !== undefined);
  const differing = stableRows.filter((row) => agreement(row, models) === undefined);
  const header = `| dimension | ${models.join(' | ')} |`;
  const rule = `|---|${models.map(() => '---').join('|')}|`;
  const body = differing.map((row) => {
    const cells = models.map((model) =>
      escapeMarkdown(row.cells[model]?.stable ?? row.cells[model]?.text ?? 'not measured'),
    );
    return `| ${escapeMarkdown(label(row))} | ${cells.join(' | ')} |`;
  });
  const agreed = agreeing.map((row) => `- **${label(row)}**: ${agreement(row, models)}`);
  return [header, rule, ...body, ...(agreed.length > 0 ? ['', 'Where every model agrees:', '', ...agreed] : [])].join(
    '\n',
  );
}
