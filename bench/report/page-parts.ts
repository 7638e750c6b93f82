/**
 * The parts of the report the page redraws when the reader changes the selection: the factor
 * table of a scenario and the overall score table, as HTML text. The server renders them first
 * (so the file reads without its script), and the page renders them again from the same
 * functions, which it gets as source text with `score.ts`'s (`pageFunctions`): each is
 * self-contained for that reason.
 */
import {
  type Factor,
  factorColour,
  formatSelection,
  overallScores,
  parseSelection,
  type Score,
  scenarioFactors,
} from './score.ts';

export function escapeText(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `1.50× [1.45–1.56]`, or without the interval when there is none. */
export function factorText(value: number, low?: number, high?: number): string {
  const digits = (v: number) => v.toFixed(2);
  return low === undefined || high === undefined
    ? `${digits(value)}×`
    : `${digits(value)}× [${digits(low)}–${digits(high)}]`;
}

/** A scenario's contenders shown, fastest first: factor versus the fastest and versus raw, coloured. */
export function factorTable(factors: readonly Factor[]): string {
  if (factors.length === 0) return '<p class="dim">No verified contender is shown in this scenario.</p>';
  const cell = (value: number | undefined, low?: number, high?: number) =>
    value === undefined
      ? '<td class="dim">—</td>'
      : `<td class="factor" style="background: ${factorColour(value)}">${factorText(value, low, high)}</td>`;
  const body = factors
    .map(
      (f) =>
        `<tr data-model="${escapeText(f.contender)}"><td class="name">${escapeText(f.label)}</td>` +
        cell(f.vsFastest, f.low, f.high) +
        cell(f.vsRaw, f.rawLow, f.rawHigh) +
        `<td>${f.spreadPct === undefined ? '' : `±${f.spreadPct.toFixed(1)}%`}</td><td>${f.rounds}</td></tr>`,
    )
    .join('');
  return (
    '<table class="factors"><thead><tr><th>contender</th><th>× fastest shown [95%]</th><th>× raw [95%]</th>' +
    `<th>spread</th><th>rounds</th></tr></thead><tbody>${body}</tbody></table>`
  );
}

/** The overall score of each contender shown, best first, with what it rests on. */
export function scoreTable(scores: readonly Score[]): string {
  if (scores.length === 0) return '<p class="dim">Nothing is shown: tick a contender and a scenario.</p>';
  const body = scores
    .map(
      (s, index) =>
        `<tr data-model="${escapeText(s.contender)}"><td>${index + 1}</td><td class="name">${escapeText(s.label)}</td>` +
        `<td class="factor" style="background: ${factorColour(s.score)}">${s.score.toFixed(2)}×</td>` +
        `<td class="list">${s.scenarios.length} × weight 1/${s.scenarios.length}: ${s.scenarios.map(escapeText).join(', ')}</td>` +
        `<td class="list dim">${s.missing.length === 0 ? '' : `not counted (skipped or failed): ${s.missing.map(escapeText).join(', ')}`}</td></tr>`,
    )
    .join('');
  return (
    '<table class="scores"><thead><tr><th>#</th><th>contender</th><th>score (geometric mean of × fastest)</th>' +
    `<th>scenarios counted, equal weights</th><th></th></tr></thead><tbody>${body}</tbody></table>`
  );
}

/** The functions the page gets as source text, each defined before the page's own script runs. */
export const pageFunctions = [
  scenarioFactors,
  overallScores,
  factorColour,
  parseSelection,
  formatSelection,
  escapeText,
  factorText,
  factorTable,
  scoreTable,
];
