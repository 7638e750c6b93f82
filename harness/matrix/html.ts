/**
 * The matrix as an HTML section, for a report page to include: one row per dimension, one column
 * per model, each measured cell coloured from the row's best (green) to its worst (red); `n/a` and
 * failed cells grey and marked; a row whose cells all agree is one cell that says so. Each cell's
 * tooltip names its probe and raw figures (what `--explain` prints). Self-contained: its styles
 * are scoped to the section, and it loads nothing.
 */
import type { Matrix } from './cell.ts';
import { agreement, standing } from './rank.ts';
import { figuresLine } from './render.ts';

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Green at 0 (best), through yellow, to red at 1 (worst). */
const colour = (place: number) => `hsl(${Math.round(120 * (1 - place))} 65% 85%)`;

const styles = `
.poetry-matrix table { border-collapse: collapse; font: 13px/1.4 system-ui, sans-serif; }
.poetry-matrix th, .poetry-matrix td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }
.poetry-matrix td.na { background: #eee; color: #666; }
.poetry-matrix td.failed { background: #fdd; color: #900; font-weight: bold; }
.poetry-matrix td.agree { background: #eef3ff; font-style: italic; }
.poetry-matrix th.says { font-weight: normal; color: #555; }
`;

export function renderMatrixSection(matrix: Matrix): string {
  const models = matrix.models.map((model) => model.name);
  const head = `<tr><th>dimension</th>${models.map((name) => `<th>${escapeHtml(name)}</th>`).join('')}</tr>`;
  const rows = matrix.rows.map((row) => {
    const label = `<th>${escapeHtml(row.key.includes('.') ? row.title : `${row.id}. ${row.title}`)}<br><span class="says">${escapeHtml(row.says)}</span></th>`;
    const agreed = agreement(row, models);
    if (agreed !== undefined && models.every((model) => row.cells[model]?.text === agreed)) {
      return `<tr>${label}<td class="agree" colspan="${models.length}">all agree: ${escapeHtml(agreed)}</td></tr>`;
    }
    // Cells that agree on what is stable are shown unranked: what is left to rank is noise.
    const places = agreed === undefined ? standing(row, models) : new Map<string, number>();
    const cells = models.map((model) => {
      const cell = row.cells[model];
      if (cell === undefined) return '<td class="na">not measured</td>';
      const tip = escapeHtml(`${row.probe}: ${figuresLine(cell.figures)}`);
      const place = places.get(model);
      if (cell.status !== 'measured')
        return `<td class="${cell.status === 'n/a' ? 'na' : 'failed'}" title="${tip}">${escapeHtml(cell.text)}</td>`;
      const style = place === undefined ? '' : ` style="background: ${colour(place)}"`;
      return `<td${style} title="${tip}">${escapeHtml(cell.text)}</td>`;
    });
    return `<tr>${label}${cells.join('')}</tr>`;
  });
  return [
    '<section class="poetry-matrix">',
    `<style>${styles}</style>`,
    '<h2>How the models differ</h2>',
    `<p>Every cell measured by a probe (hover for its figures), ${escapeHtml(matrix.startedAt)}; green is the row's best, red its worst.</p>`,
    `<table>${head}${rows.join('')}</table>`,
    '</section>',
  ].join('\n');
}
