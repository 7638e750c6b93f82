/**
 * What the comparison matrix is made of: probes, the cells they fill, and the matrix they add up
 * to. A cell is never written by hand: a probe measures it, or says `n/a` and why, or says it could
 * not measure (a failed cell, which is a finding about the probe or the model, never hidden).
 */
import type { Model } from '../../poetry/contract.ts';
import type { Lab } from './lab.ts';
import type { ModelProcess } from './model-process.ts';

export type CellStatus = 'measured' | 'n/a' | 'failed';

/** Raw figures behind a cell, for `--explain` and the JSON: numbers, words, or lists of them. */
export type Figures = Readonly<Record<string, number | string | boolean | readonly (number | string)[]>>;

export interface Cell {
  readonly status: CellStatus;
  /** What the terminal table and the HTML show: a value with its unit, or `n/a: <reason>`. */
  readonly text: string;
  /**
   * The part of the cell that is the same on every run and machine (an error code, a count, yes or
   * no): what the README shows, and what its test checks. Absent for figures that vary (latencies).
   */
  readonly stable?: string;
  /** What the row ranks by, best to worst in the row's direction; absent: not ranked. */
  readonly score?: number;
  readonly figures: Figures;
}

/** What a probe gets to measure one model. */
export interface ProbeContext {
  readonly model: Model;
  /** The model, loaded in a process of its own, so its sockets, timers and memory are its alone. */
  readonly client: ModelProcess;
  /** The servers of this probe, all in this process; closed once the probe is done. */
  readonly lab: Lab;
  /** Aborted when the probe runs out of time or the run is interrupted. */
  readonly signal: AbortSignal;
}

export interface Probe {
  /** The dimension's number in the matrix (its row). */
  readonly id: number;
  readonly title: string;
  /** What a cell of this row says, in a few words. */
  readonly says: string;
  /** The file the probe lives in, from the project root: `--explain` names it. */
  readonly file: string;
  /** Which way is better for the row's scores. */
  readonly better: 'lower' | 'higher';
  /** Whether every cell has a `stable` form: only such rows go into the README. */
  readonly stable: boolean;
  /**
   * Run in a model process that has run nothing else: for a probe whose answer depends on the
   * runtime's state (a reactor loop with a timer already pending on the real clock).
   */
  readonly freshProcess?: boolean;
  /** How long the probe may take for one model before its cells are failed and its model process restarted. */
  readonly budgetMs: number;
  /**
   * Sub-rows, when one dimension has several lines (code size: one per part). The cell keyed `''`
   * is the dimension's own row; the others are keyed by these names, in this order.
   */
  readonly rows?: readonly string[];
  /** Measures one model: the cell of the row (keyed `''`) and of each sub-row. */
  measure(context: ProbeContext): Promise<Readonly<Record<string, Cell>>>;
}

/** A measured cell. */
export function measured(text: string, figures: Figures, extra: { stable?: string; score?: number } = {}): Cell {
  return { status: 'measured', text, figures, ...extra };
}

/** A cell the dimension does not apply to, with the reason (which is stable: it is the same next run). */
export function notApplicable(reason: string, figures: Figures = {}): Cell {
  const text = `n/a: ${reason}`;
  return { status: 'n/a', text, stable: text, figures };
}

/** A cell the probe could not fill: the reason is shown, never a value. */
export function failed(reason: string, figures: Figures = {}): Cell {
  return { status: 'failed', text: `failed: ${reason}`, figures };
}

/** The one cell of a probe without sub-rows. */
export function single(cell: Cell): Record<string, Cell> {
  return { '': cell };
}

/** One row of the matrix: a dimension (or a sub-row of one) and each model's cell. */
export interface Row {
  /** `3`, or `11.connect` for a sub-row. */
  readonly key: string;
  readonly id: number;
  readonly title: string;
  readonly says: string;
  readonly probe: string;
  readonly better: 'lower' | 'higher';
  readonly stable: boolean;
  /** Model name → its cell, for the models the run measured. */
  readonly cells: Readonly<Record<string, Cell>>;
}

export interface Matrix {
  readonly format: 'poetry-matrix/1';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly models: readonly { readonly name: string; readonly title: string }[];
  readonly rows: readonly Row[];
}
