/**
 * The figures the HTML report lets a reader explore: each contender's factor versus the fastest of
 * those shown and versus the raw baseline, with the paired 95% interval; the colour of a factor;
 * the overall score (the geometric mean of a contender's factors over the scenarios it ran); and
 * the selection kept in the page's `location.hash`.
 *
 * Also the parts the page redraws when the selection changes, as HTML text: a scenario's factor
 * table and the score table. The server renders them first, so the file reads without its script.
 *
 * These functions run twice: here, where the tests call them, and in the page, which gets their
 * source text (`pageFunctions`) so that what the page shows when a reader toggles a model is
 * computed by the code the tests checked. That is why each is self-contained: it uses its
 * arguments and the other functions of this file only, and nothing imported (a test runner's
 * module transform renames imported bindings inside a function's text; names local to one file
 * it leaves alone).
 */
import type { Row } from '../harness.ts';

/** One contender's standing in one scenario, among the contenders shown. */
export interface Factor {
  readonly contender: string;
  readonly label: string;
  readonly kind: Row['kind'];
  /** Its figure ÷ the fastest shown contender's: 1 for the fastest. */
  readonly vsFastest: number;
  /** The paired 95% interval, divided by the fastest's figure (absent for raw, and without two paired rounds or more). */
  readonly low?: number;
  readonly high?: number;
  /** Its per-round ratio to raw (median), 1 for raw itself; absent when raw did not verify. */
  readonly vsRaw?: number;
  readonly rawLow?: number;
  readonly rawHigh?: number;
  /** ± half the range of its rounds, as a percentage of the median (absent with one round). */
  readonly spreadPct?: number;
  readonly rounds: number;
}

/**
 * The factors of the verified rows among `shown`, fastest first. They rest on the per-round ratios
 * to raw when every such row has one (pairing cancels what a round shares), else on median wall
 * times (a report from before the pairing, or one where raw failed). The interval is the row's own
 * paired interval divided by the fastest's median: it carries the row's round-to-round
 * uncertainty, not the fastest's.
 */
export function scenarioFactors(rows: readonly Row[], shown: readonly string[]): Factor[] {
  const verified = rows.filter((row) => row.status === 'ok' && row.median && shown.includes(row.contender));
  const rawOk = rows.some((row) => row.contender === 'raw' && row.status === 'ok');
  const toRaw = (row: Row) => (row.contender === 'raw' ? 1 : (row.paired?.wall.median ?? row.vsRaw));
  const byRatio =
    rawOk && verified.every((row) => typeof toRaw(row) === 'number' && Number.isFinite(toRaw(row)) && toRaw(row)! > 0);
  const figure = (row: Row) => (byRatio ? toRaw(row)! : row.median!.wallMs);
  if (verified.length === 0) return [];
  const fastest = Math.min(...verified.map(figure));
  return verified
    .map((row) => {
      // Raw is the reference, exactly 1× itself; one round has no spread to make an interval of.
      const paired = row.contender === 'raw' ? undefined : row.paired?.wall;
      const interval = paired && paired.rounds > 1 ? paired : undefined;
      const factor: Factor = {
        contender: row.contender,
        label: row.kind === 'peer' ? `${row.contender} (peer)` : row.contender,
        kind: row.kind,
        vsFastest: figure(row) / fastest,
        ...(byRatio && interval && { low: interval.low / fastest, high: interval.high / fastest }),
        ...(rawOk && typeof toRaw(row) === 'number' && { vsRaw: toRaw(row) }),
        ...(interval && rawOk && { rawLow: interval.low, rawHigh: interval.high }),
        ...(row.samples.length > 1 && row.spread && { spreadPct: row.spread.pct / 2 }),
        rounds: row.samples.length,
      };
      return factor;
    })
    .sort((a, b) => a.vsFastest - b.vsFastest);
}

/** A contender's overall score: the geometric mean of its factors versus the fastest. */
export interface Score {
  readonly contender: string;
  readonly label: string;
  readonly score: number;
  /** The scenarios it has a factor in, each with weight 1 / their number. */
  readonly scenarios: readonly string[];
  /** Scenarios shown where it has no factor (skipped, failed, or not run). */
  readonly missing: readonly string[];
}

/**
 * Equal weights over the scenarios a contender ran: a scenario it skipped or failed does not count
 * against it, so `missing` says which they were and the page shows them beside the score.
 */
export function overallScores(perScenario: readonly { scenario: string; factors: readonly Factor[] }[]): Score[] {
  const contenders: { contender: string; label: string }[] = [];
  for (const { factors } of perScenario) {
    for (const factor of factors) {
      if (!contenders.some((one) => one.contender === factor.contender)) {
        contenders.push({ contender: factor.contender, label: factor.label });
      }
    }
  }
  return contenders
    .map(({ contender, label }) => {
      const ran = perScenario.flatMap(({ scenario, factors }) => {
        const factor = factors.find((one) => one.contender === contender);
        return factor ? [{ scenario, value: factor.vsFastest }] : [];
      });
      const logSum = ran.reduce((sum, one) => sum + Math.log(one.value), 0);
      return {
        contender,
        label,
        score: Math.exp(logSum / ran.length),
        scenarios: ran.map((one) => one.scenario),
        missing: perScenario
          .filter(({ scenario }) => !ran.some((one) => one.scenario === scenario))
          .map(({ scenario }) => scenario),
      };
    })
    .sort((a, b) => a.score - b.score);
}

/**
 * A factor's background: green at 1×, yellow at 2×, red at 4× or more, the hue on a log scale in
 * between (each doubling moves it as far), so 1.4× sits halfway from green to yellow.
 */
export function factorColour(factor: number): string {
  const place = Math.min(1, Math.max(0, Math.log2(Number.isFinite(factor) ? factor : 4) / 2));
  return `hsl(${Math.round(120 * (1 - place))}, 70%, 78%)`;
}

/** What the reader chose to compare; a name the report does not have is dropped. */
export interface Selection {
  readonly models: readonly string[];
  readonly scenarios: readonly string[];
}

/**
 * The selection in a hash such as `#models=raw,reactor&scenarios=classic`: a key that is absent
 * means everything, so the page's own address (no hash) shows all. Order follows the report's.
 */
export function parseSelection(hash: string, models: readonly string[], scenarios: readonly string[]): Selection {
  const values = new Map<string, string[]>();
  for (const part of hash.replace(/^#/, '').split('&')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const names = part
      .slice(at + 1)
      .split(',')
      .filter((name) => name !== '')
      .map((name) => {
        try {
          return decodeURIComponent(name);
        } catch {
          return name;
        }
      });
    values.set(part.slice(0, at), names);
  }
  const pick = (key: string, all: readonly string[]) => {
    const chosen = values.get(key);
    return chosen === undefined ? [...all] : all.filter((name) => chosen.includes(name));
  };
  return { models: pick('models', models), scenarios: pick('scenarios', scenarios) };
}

/** The hash for a selection: empty when everything is shown; only the keys that narrow it. */
export function formatSelection(selection: Selection, models: readonly string[], scenarios: readonly string[]): string {
  const parts: string[] = [];
  const add = (key: string, chosen: readonly string[], all: readonly string[]) => {
    if (all.some((name) => !chosen.includes(name))) {
      parts.push(
        `${key}=${all
          .filter((name) => chosen.includes(name))
          .map(encodeURIComponent)
          .join(',')}`,
      );
    }
  };
  add('models', selection.models, models);
  add('scenarios', selection.scenarios, scenarios);
  return parts.join('&');
}

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
