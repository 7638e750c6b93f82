/**
 * The CPU step: the work a real client does on what it downloads, reduced to something every model
 * can run and the harness can check. A poem is counted (lines, words) and then read over `rounds`
 * times, each pass folding its characters into a 32-bit FNV-1a hash seeded by the pass before.
 *
 * It is deliberately plain, synchronous and deterministic: the same poem and rounds always give the
 * same analysis, so a result is checked like a poem's hash; and its cost grows with `rounds` and the
 * poem's length alone, so a scenario can ask for about as much CPU per poem as it wants. While it
 * runs nothing else on the thread does — which is what the `cpu` scenario measures.
 */

/** How much analysis each poem gets: passes over its text (each about a poem's length of work). */
export interface AnalyseOptions {
  readonly rounds: number;
}

/** What the analysis found; `digest` is the last pass's hash, 8 hex digits. */
export interface PoemAnalysis {
  readonly lines: number;
  readonly words: number;
  readonly digest: string;
}

const fnvOffset = 0x811c9dc5;
const fnvPrime = 0x01000193;

/** The analysis of `poem` with `rounds` passes (0 or more; a fraction is rounded down). */
export function analysePoem(poem: string, rounds: number): PoemAnalysis {
  if (!(rounds >= 0)) throw new RangeError(`analyse: rounds must be 0 or more, got ${rounds}`);
  const lines = poem === '' ? 0 : poem.split('\n').length - (poem.endsWith('\n') ? 1 : 0);
  const words = poem.split(/\s+/).filter((word) => word !== '').length;
  let hash = fnvOffset;
  for (let pass = 0; pass < Math.floor(rounds); pass++) {
    let h = hash ^ pass;
    for (let i = 0; i < poem.length; i++) h = Math.imul(h ^ poem.charCodeAt(i), fnvPrime);
    hash = h >>> 0;
  }
  return { lines, words, digest: hash.toString(16).padStart(8, '0') };
}
