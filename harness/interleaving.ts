/**
 * The interleaving `npm start` ends with, drawn as text: per model a row per task and a mark in
 * every slice of time in which that task received a chunk, the way the series' figures draw Task 1,
 * Task 2 and Task 3 taking turns. Blocking's three rows make a staircase (one task after another),
 * a concurrent model's rows share their columns (all three at once); seeing the two beside each
 * other is the lesson of part one of the series.
 *
 * Every model is drawn on one time axis, from 0 to the slowest model's wall time, so a model twice
 * as slow draws twice as long, and the ideal time (the slowest server's schedule) is one column
 * marked in every row. It is a pure function of the recorded progress events, the width and the
 * character set: plain ASCII for a pipe or a file, block characters and colour only for a terminal.
 */
import type { PoetryEvent } from '../poetry/contract.ts';

/** One model's run: its progress events as `getPoems` reported them. */
export interface RecordedRun {
  readonly model: string;
  /** `performance.now()` when the model was asked for the poems: the time axis starts here. */
  readonly startedAt: number;
  readonly wallSeconds: number;
  readonly events: readonly PoetryEvent[];
}

export interface DrawOptions {
  /** The widest a line may be, in columns (the terminal's width, or 80). */
  readonly width: number;
  /** `ascii` through a pipe or into a file; `unicode` on a terminal. */
  readonly charset: 'ascii' | 'unicode';
  /** ANSI colours, one per task; only ever asked for on a terminal. */
  readonly colour?: boolean;
  /** The slowest server's schedule, marked as one column in every row. */
  readonly idealSeconds?: number;
}

interface Glyphs {
  readonly chunk: string;
  readonly waiting: string;
  readonly failed: string;
  readonly ideal: string;
  readonly frame: string;
}

const glyphs: Record<DrawOptions['charset'], Glyphs> = {
  ascii: { chunk: '#', waiting: '-', failed: 'x', ideal: ':', frame: '|' },
  unicode: { chunk: '█', waiting: '─', failed: '✗', ideal: '┊', frame: '│' },
};

/** Cyan, yellow, magenta, green, blue, red: adjacent tasks never share a colour. */
const taskColours = [36, 33, 35, 32, 34, 31];
const paint = (on: boolean, code: string, text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

/** The narrowest plot kept readable; below it lines are cut to the width instead. */
const minimumPlot = 10;

type Cell = 'blank' | 'waiting' | 'chunk' | 'failed';

/** The drawing's lines, none wider than `options.width` columns (escape codes take no column). */
export function drawInterleaving(runs: readonly RecordedRun[], options: DrawOptions): string[] {
  const width = Math.max(1, Math.floor(options.width));
  const glyph = glyphs[options.charset];
  const colour = options.colour === true;
  const span = Math.max(
    1e-3,
    ...runs.map((run) => run.wallSeconds),
    ...runs.flatMap((run) => run.events.map((event) => (event.at - run.startedAt) / 1000)),
  );
  const taskCount = Math.max(1, ...runs.flatMap((run) => run.events.map((event) => event.task)));
  const label = (task: number) => `task ${String(task).padStart(String(taskCount).length)}`;
  // Two spaces, the label, a space, and a frame on either side of the plot.
  const margin = 2 + label(taskCount).length + 1 + 1;
  const columns = Math.max(minimumPlot, width - margin - 1);
  const column = (seconds: number) => Math.min(columns - 1, Math.max(0, Math.floor((seconds / span) * columns)));
  const ideal =
    options.idealSeconds !== undefined && options.idealSeconds < span ? column(options.idealSeconds) : undefined;
  const sliceMs = (span * 1000) / columns;

  const out = wrapWords(
    `The interleaving, one time axis for every model (0 to ${seconds(span)}, a column is ` +
      `${sliceMs < 10 ? sliceMs.toFixed(1) : Math.round(sliceMs)} ms): a row per task, ` +
      `${glyph.chunk} where a chunk arrived, ${glyph.waiting} connected and waiting, ${glyph.failed} failed` +
      `${ideal === undefined ? '' : `, ${glyph.ideal} the ideal ${seconds(options.idealSeconds as number)}`}.`,
    width,
  );
  for (const run of runs) {
    const heading = `${run.model}  ${seconds(run.wallSeconds)}${
      options.idealSeconds ? ` (${(run.wallSeconds / options.idealSeconds).toFixed(2)}x ideal)` : ''
    }`;
    out.push('', paint(colour, '1', cut(heading, width)));
    if (run.events.length === 0) {
      out.push(cut('  (no progress events reported)', width));
      continue;
    }
    taskCells(run, taskCount, columns, column).forEach((row, index) => {
      const chunk = String(taskColours[index % taskColours.length]);
      const pieces: Piece[] = [
        [`  ${label(index + 1)} ${glyph.frame}`],
        ...row.map((cell, at): Piece => {
          if (cell === 'blank') return at === ideal ? [glyph.ideal, '2'] : [' '];
          if (cell === 'waiting') return [glyph.waiting, '2'];
          if (cell === 'failed') return [glyph.failed, '1;31'];
          return [glyph.chunk, chunk];
        }),
        [glyph.frame],
      ];
      out.push(render(pieces, width, colour));
    });
  }
  const start = '0 s';
  const end = seconds(span);
  const axis = `${' '.repeat(margin - 1)}${start}${' '.repeat(Math.max(1, columns + 2 - start.length - end.length))}${end}`;
  out.push('', cut(axis, width));
  return out;
}

/** Per task, per column: what the task was doing in that slice of time. */
function taskCells(
  run: RecordedRun,
  taskCount: number,
  columns: number,
  column: (seconds: number) => number,
): Cell[][] {
  const rows: Cell[][] = Array.from({ length: taskCount }, () => Array<Cell>(columns).fill('blank'));
  const opened = new Map<number, number>();
  const at = (event: PoetryEvent) => column((event.at - run.startedAt) / 1000);
  const mark = (task: number, from: number, to: number, cell: Cell) => {
    const row = rows[task - 1] as Cell[];
    for (let c = from; c <= to; c++) if (row[c] === 'blank') row[c] = cell;
  };
  // Chunks first, so a slice with a chunk shows the chunk whatever else happened in it.
  for (const event of run.events) if (event.type === 'chunk') (rows[event.task - 1] as Cell[])[at(event)] = 'chunk';
  for (const event of run.events) {
    if (event.type === 'connected') {
      if (!opened.has(event.task)) opened.set(event.task, at(event));
    } else if (event.type === 'done' || event.type === 'failed') {
      const from = opened.get(event.task) ?? at(event);
      mark(event.task, from, at(event), 'waiting');
      if (event.type === 'failed') (rows[event.task - 1] as Cell[])[at(event)] = 'failed';
      opened.delete(event.task);
    }
  }
  // A task still open when the run ended (cut off, say) waited to the end of its run.
  for (const [task, from] of opened) mark(task, from, column(run.wallSeconds), 'waiting');
  return rows;
}

function seconds(value: number): string {
  return `${value.toFixed(2)} s`;
}

/** Plain text cut to `width` columns. */
function cut(text: string, width: number): string {
  return [...text].slice(0, width).join('');
}

/** Text and the colour to paint it in, if any. */
type Piece = readonly [text: string, colour?: string];

/**
 * Pieces cut to `width` columns, then painted, a run of one colour under one code: cutting first
 * means no cut falls inside a colour code.
 */
function render(pieces: readonly Piece[], width: number, colour: boolean): string {
  let room = width;
  const runs: { text: string; code: string | undefined }[] = [];
  for (const [text, code] of pieces) {
    const kept = [...text].slice(0, Math.max(0, room)).join('');
    room -= [...kept].length;
    if (kept === '') continue;
    const last = runs.at(-1);
    if (last !== undefined && last.code === code) last.text += kept;
    else runs.push({ text: kept, code });
  }
  return runs.map(({ text, code }) => (code === undefined ? text : paint(colour, code, text))).join('');
}

/** Words into lines of at most `width` columns; a word longer than that is cut. */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if ([...candidate].length <= width) line = candidate;
    else {
      if (line !== '') lines.push(line);
      line = cut(word, width);
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
