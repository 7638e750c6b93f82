/**
 * The poems the servers serve. Each poem is a `.txt` file beside this module (title on the first
 * line), written for this project. `border-cafe` mixes accents, em dashes, Greek and Japanese so
 * that small chunks split multi-byte UTF-8 characters. The three `classicPoems` are what the classic
 * slow servers serve: one of about 3 KB and two of about 600 bytes, like the series' originals.
 *
 * `generatePoem` makes verse-like text of any exact size for benchmarks (1 MB, 100 MB): it builds one
 * block of lines per seed and repeats it with `Buffer.fill`, so size costs a memory fill, not a loop.
 */
import { readFileSync } from 'node:fs';
import { seededRandom } from '../random.ts';

export interface Poem {
  readonly title: string;
  readonly text: string;
}

const poemNames = ['night-ferry', 'small-hours', 'kettle', 'border-cafe', 'semaphore'] as const;
export type PoemName = (typeof poemNames)[number];

function loadPoem(name: PoemName): Poem {
  const text = readFileSync(new URL(`./${name}.txt`, import.meta.url), 'utf8');
  return { title: text.slice(0, text.indexOf('\n')), text };
}

export const poems: Readonly<Record<PoemName, Poem>> = Object.fromEntries(
  poemNames.map((name) => [name, loadPoem(name)]),
) as Record<PoemName, Poem>;

/** The poem called `name`, or an error listing the names there are (for the command line). */
export function findPoem(name: string): Poem {
  if (!Object.hasOwn(poems, name)) {
    throw new Error(`unknown poem "${name}"; known poems: ${poemNames.join(', ')}`);
  }
  return poems[name as PoemName];
}

/** What the classic slow servers serve, in order: the long poem first, as in the series. */
export const classicPoems: readonly PoemName[] = ['night-ferry', 'semaphore', 'kettle'];

// Words for generated verse; the non-ASCII ones make every generated poem exercise 2-, 3- and 4-byte
// characters (the 4-byte one is outside the Basic Multilingual Plane, a surrogate pair in JS).
const words = [
  'the',
  'tide',
  'lamp',
  'harbour',
  'slow',
  'rope',
  'window',
  'bread',
  'salt',
  'kettle',
  'bell',
  'gull',
  'night',
  'ferry',
  'chalk',
  'stone',
  'letter',
  'wind',
  'roof',
  'flag',
  'quiet',
  'under',
  'over',
  'again',
  'café',
  'naïve',
  'crêpe',
  'façade',
  'über',
  'θάλασσα',
  'ψωμί',
  'νερό',
  '海',
  '灯り',
  'ゆっくり',
  '🌊',
  '—',
  'and',
  'of',
  'a',
  'still',
  'waits',
  'carries',
  'remembers',
  'forgets',
  'turns',
];
const blockBytes = 64 * 1024;
const blocks = new Map<number, Buffer>();

function verseBlock(seed: number): Buffer {
  const cached = blocks.get(seed);
  if (cached) return cached;
  const random = seededRandom(seed);
  const lines: string[] = [];
  let size = 0;
  while (size < blockBytes) {
    const count = 4 + Math.floor(random() * 6);
    const line = Array.from({ length: count }, () => words[Math.floor(random() * words.length)]).join(' ');
    // Stanzas of four lines, separated by a blank line, so it reads (and splits) like verse.
    const text = lines.length % 5 === 4 ? '' : line[0]!.toUpperCase() + line.slice(1);
    lines.push(text);
    size += Buffer.byteLength(text) + 1;
  }
  const block = Buffer.from(`${lines.join('\n')}\n`);
  blocks.set(seed, block);
  return block;
}

/**
 * A verse-like poem of exactly `bytes` bytes of valid UTF-8, the same for the same `seed`. It ends
 * with a newline; the character that the size would have cut in half is replaced by spaces instead.
 */
export function generatePoem(bytes: number, seed = 1): Buffer {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new RangeError(`generatePoem: bytes must be a non-negative integer, got ${bytes}`);
  }
  const poem = Buffer.allocUnsafe(bytes);
  if (bytes === 0) return poem;
  poem.fill(verseBlock(seed));
  let lastStart = bytes - 1;
  while (lastStart > 0 && (poem[lastStart]! & 0xc0) === 0x80) lastStart--;
  poem.fill(0x20, lastStart, bytes - 1);
  poem[bytes - 1] = 0x0a;
  return poem;
}
