/**
 * The renderers, on a matrix made up here (the probes' own figures are the README test's concern):
 * the HTML section colours a row best to worst and says when a row agrees, escapes what it shows,
 * and names each cell's probe; the terminal and Markdown tables show what they must.
 */
import { describe, expect, it } from 'vitest';
import { type Cell, type Matrix, measured, notApplicable, type Row } from './cell.ts';
import { renderMatrixSection } from './html.ts';
import { renderMarkdown, renderTerminal } from './render.ts';

const row = (key: string, stable: boolean, cells: Record<string, Cell>): Row => ({
  key,
  id: Number(key.split('.')[0]),
  title: `dimension ${key}`,
  says: 'what it says',
  probe: 'harness/matrix/example.ts',
  better: 'lower',
  stable,
  cells,
});

const matrix: Matrix = {
  format: 'poetry-matrix/1',
  startedAt: '2025-01-01T00:00:00.000Z',
  finishedAt: '2025-01-01T00:01:00.000Z',
  models: [
    { name: 'fast', title: 'A' },
    { name: 'middle', title: 'B' },
    { name: 'slow', title: 'C' },
  ],
  rows: [
    row('1', false, {
      fast: measured('1 ms', { lastMs: 1 }, { score: 1 }),
      middle: measured('5 ms', { lastMs: 5 }, { score: 5 }),
      slow: measured('9 ms <late>', { lastMs: 9 }, { score: 9 }),
    }),
    row('2', true, {
      fast: measured('yes', {}, { stable: 'yes', score: 0 }),
      middle: measured('yes', {}, { stable: 'yes', score: 0 }),
      slow: measured('yes', {}, { stable: 'yes', score: 0 }),
    }),
    row('3', true, {
      fast: measured('= K', {}, { stable: '= K', score: 0 }),
      middle: notApplicable('one at a time'),
      slow: measured('4 | over', {}, { stable: '4 | over', score: 1 }),
    }),
  ],
};

describe('renderMatrixSection', () => {
  const html = renderMatrixSection(matrix);

  it('is one self-contained section with a column per model', () => {
    expect(html.startsWith('<section class="poetry-matrix">')).toBe(true);
    expect(html.trimEnd().endsWith('</section>')).toBe(true);
    for (const model of ['fast', 'middle', 'slow']) expect(html).toContain(`<th>${model}</th>`);
    expect(html).not.toMatch(/<script|<link|src=/);
  });

  it('colours a row from its best (green) to its worst (red), in between for the middle', () => {
    const first = html.split('<tr>').find((line) => line.includes('dimension 1'))!;
    const hues = [...first.matchAll(/hsl\((\d+) /g)].map((match) => Number(match[1]));
    expect(hues).toEqual([120, 60, 0]);
  });

  it('says when a row agrees instead of ranking it, and marks n/a cells apart', () => {
    expect(html).toContain('<td class="agree" colspan="3">all agree: yes</td>');
    expect(html).toContain('<td class="na"');
    expect(html).toContain('n/a: one at a time');
  });

  it('escapes what it shows and names the probe in each tooltip', () => {
    expect(html).toContain('9 ms &lt;late&gt;');
    expect(html).not.toContain('<late>');
    expect(html).toContain('title="harness/matrix/example.ts: lastMs=9"');
  });
});

describe('the text renderers', () => {
  it('the terminal table has a line per model, one line for a row that agrees, and figures with --explain', () => {
    const text = renderTerminal(matrix);
    expect(text).toContain('      slow    9 ms <late>');
    expect(text).toContain('all agree: yes');
    expect(text.split('\n').filter((line) => line.trim() === 'fast    yes')).toEqual([]);
    expect(renderTerminal(matrix, { explain: true })).toContain('↳ harness/matrix/example.ts: lastMs=5');
  });

  it('the Markdown table holds only the stable rows, with pipes escaped', () => {
    const markdown = renderMarkdown(matrix);
    expect(markdown.split('\n')[0]).toBe('| dimension | fast | middle | slow |');
    expect(markdown).not.toContain('dimension 1');
    expect(markdown).not.toContain('| 2. dimension 2');
    expect(markdown).toContain('Where every model agrees:\n\n- **2. dimension 2**: yes');
    expect(markdown).toContain('| 3. dimension 3 | = K | n/a: one at a time | 4 \\| over |');
  });
});
