/**
 * The interleaving drawing, from made-up events whose shape is known: one task after another draws
 * a staircase of disjoint column ranges, tasks at once share columns, every model shares one time
 * axis, no line is ever wider than asked, and plain mode is ASCII with no escape code in it.
 */
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PoetryError, type PoetryEvent } from '../poetry/contract.ts';
import { type DrawOptions, drawInterleaving, type RecordedRun } from './interleaving.ts';

const address = '127.0.0.1:1';

/** A task's events: connected at `from` ms, a chunk every 10 ms to `to`, then done (or failed). */
function task(number: number, from: number, to: number, end: 'done' | 'failed' = 'done'): PoetryEvent[] {
  const events: PoetryEvent[] = [{ type: 'connected', task: number, address, at: from }];
  for (let at = from + 10; at <= to; at += 10) events.push({ type: 'chunk', task: number, address, bytes: 10, at });
  if (end === 'done') events.push({ type: 'done', task: number, address, bytes: 100, at: to });
  else
    events.push({ type: 'failed', task: number, address, at: to, error: new PoetryError('RESET', address, 'reset') });
  return events;
}

function run(model: string, wallMs: number, events: PoetryEvent[]): RecordedRun {
  return { model, startedAt: 0, wallSeconds: wallMs / 1000, events: events.sort((a, b) => a.at - b.at) };
}

// Each task ends 10 ms before the next connects, so no slice of time holds two of them.
const blocking = run('blocking', 3000, [...task(1, 0, 990), ...task(2, 1000, 1990), ...task(3, 2000, 2990)]);
const promises = run('promises', 1000, [...task(1, 0, 1000), ...task(2, 0, 700), ...task(3, 0, 700)]);
const ascii: DrawOptions = { width: 80, charset: 'ascii', idealSeconds: 1 };

/** The plot of each task row under a model's heading: the text between the two frames. */
function plots(lines: readonly string[], model: string, frame = '|'): string[] {
  const start = lines.findIndex((line) => stripVTControlCharacters(line).startsWith(`${model}  `));
  expect(start, `a heading for ${model}`).toBeGreaterThanOrEqual(0);
  const rows: string[] = [];
  for (const line of lines.slice(start + 1).map((l) => stripVTControlCharacters(l))) {
    const match = new RegExp(`^ {2}task \\d+ \\${frame}(.*)\\${frame}$`).exec(line);
    if (!match) break;
    rows.push(match[1] as string);
  }
  return rows;
}

/** The columns in which a row has a chunk mark. */
function chunkColumns(plot: string, mark = '#'): number[] {
  return [...plot].flatMap((char, column) => (char === mark ? [column] : []));
}

describe('the interleaving drawing', () => {
  it("draws blocking's tasks as a staircase: disjoint column ranges, one after another", () => {
    const rows = plots(drawInterleaving([blocking], ascii), 'blocking').map((plot) => chunkColumns(plot));
    expect(rows).toHaveLength(3);
    for (const columns of rows) expect(columns.length).toBeGreaterThan(5);
    for (let i = 1; i < rows.length; i++) {
      expect(Math.min(...(rows[i] as number[])), `task ${i + 1} starts after task ${i} ends`).toBeGreaterThan(
        Math.max(...(rows[i - 1] as number[])),
      );
    }
  });

  it("draws a concurrent model's tasks in the same columns", () => {
    const [one, two, three] = plots(drawInterleaving([promises], ascii), 'promises').map((p) => chunkColumns(p));
    const shared = (one as number[]).filter((column) => two?.includes(column) && three?.includes(column));
    expect(shared.length).toBeGreaterThan(20);
    expect(shared[0]).toBe(0);
  });

  it('puts every model on one time axis: a model a third as slow draws a third as long', () => {
    const lines = drawInterleaving([blocking, promises], ascii);
    const blockingEnd = Math.max(...plots(lines, 'blocking').flatMap((p) => chunkColumns(p)));
    const promisesEnd = Math.max(...plots(lines, 'promises').flatMap((p) => chunkColumns(p)));
    expect(blockingEnd).toBeGreaterThan(promisesEnd * 2.5);
    expect(lines.at(-1)).toMatch(/^ +0 s +3\.00 s$/);
    // The ideal second is marked where a row is otherwise empty, a third of the way along.
    const idealColumn = plots(lines, 'promises')[1]?.indexOf(':') ?? -1;
    expect(idealColumn / (plots(lines, 'promises')[0]?.length ?? 1)).toBeCloseTo(1 / 3, 1);
  });

  it('never draws a line wider than asked, in either character set, with or without colour', () => {
    for (const width of [20, 33, 40, 80, 132, 200]) {
      for (const options of [
        { width, charset: 'ascii' },
        { width, charset: 'unicode', colour: true, idealSeconds: 1 },
      ] as const) {
        const lines = drawInterleaving([blocking, promises], options);
        for (const line of lines) expect([...stripVTControlCharacters(line)].length, line).toBeLessThanOrEqual(width);
        if (width >= 40) expect(plots(lines, 'blocking', options.charset === 'ascii' ? '|' : '│')).toHaveLength(3);
      }
    }
  });

  it('uses the whole width it is given for the time axis', () => {
    const lines = drawInterleaving([blocking], { ...ascii, width: 120 });
    for (const line of lines.filter((l) => l.startsWith('  task'))) expect(line).toHaveLength(120);
  });

  it('in plain mode writes printable ASCII only: no escape code, no block character', () => {
    for (const line of drawInterleaving([blocking, promises], ascii)) expect(line).toMatch(/^[\x20-\x7e]*$/);
  });

  it('on a terminal draws blocks, coloured per task, and the colours strip to the same picture', () => {
    const lines = drawInterleaving([blocking], { width: 80, charset: 'unicode', colour: true });
    expect(lines.join('\n')).toContain('\x1b[36m█');
    const rows = plots(lines, 'blocking', '│').map((plot) => chunkColumns(plot, '█'));
    const plain = plots(drawInterleaving([blocking], { width: 80, charset: 'ascii' }), 'blocking').map((plot) =>
      chunkColumns(plot),
    );
    expect(rows).toEqual(plain);
  });

  it('marks a failed task where it failed, and the waiting while a connection is open', () => {
    const stalled = run('stalled', 1000, [
      ...task(1, 0, 300),
      { type: 'connected', task: 2, address, at: 0 },
      { type: 'failed', task: 2, address, at: 1000, error: new PoetryError('TIMEOUT', address, 'timed out') },
    ]);
    const [first, second] = plots(drawInterleaving([stalled], ascii), 'stalled');
    expect(first).toMatch(/^#+ +$/);
    expect(second).toMatch(/^-+x$/);
  });

  it('says so when a model reported no progress events', () => {
    const lines = drawInterleaving([run('quiet', 500, [])], ascii);
    expect(lines).toContain('  (no progress events reported)');
  });
});
