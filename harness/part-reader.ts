/**
 * Reading a model's client part by part, from its client files only. Each client marks its parts
 * with region comments:
 *
 *     // #region receive
 *     ...
 *     // #endregion
 *
 * A part may be marked more than once (its pieces are read in file order), regions may nest (the
 * outer one shows the inner one's lines too), and a model that has no such part says so with
 * `// #region <part> — not applicable: <reason>` followed at once by `// #endregion`.
 *
 * A part taken whole from shared code is a pointer line, `// #uses retry: retrying (shared/x.ts)`:
 * it shows as `uses retrying (shared/x.ts:12)`, the line where that file declares the name, and
 * never as the shared code itself, so what a model shows is its own or says where it lives.
 * `npm run diff` and the conformance suite both read models through this one parser.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Model } from '../poetry/contract.ts';
import { type ClientPart, clientParts } from '../poetry/parts.ts';

/** The project root: the folder that holds `poetry/`. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A run of lines of one part, from one file. */
export interface Piece {
  readonly file: string;
  /** 1-based line number of the first line in `lines`. */
  readonly line: number;
  /** The lines, with the marker comments taken out and the common indentation removed. */
  readonly lines: readonly string[];
  /** Set when the piece is a `#uses` line: the shared code the part is taken from. */
  readonly uses?: SharedCode;
}

/** Where a part taken from shared code lives. */
export interface SharedCode {
  readonly name: string;
  readonly file: string;
  /** 1-based line of the name's declaration in `file`. */
  readonly line: number;
}

/** What a model shows of one part: its pieces, or why it has none. */
export interface PartSource {
  readonly part: ClientPart;
  readonly pieces: readonly Piece[];
  readonly notApplicable?: string;
}

const regionStart = /^\s*\/\/\s*#region\s+(\S+)\s*(.*)$/;
const usesLine = /^\s*\/\/\s*#uses\s+([\w\s,-]+?)\s*:\s*([\w$.]+)\s+\(([^)\s]+)\)\s*$/;
const regionEnd = /^\s*\/\/\s*#endregion\b/;
const notApplicable = /not applicable:\s*(.+)$/i;

/** Every region in one file's text, by name, in file order; `#uses` lines resolved under `root`. */
export function extractRegions(
  file: string,
  text: string,
  root = projectRoot,
): Map<string, { pieces: Piece[]; notApplicable?: string }> {
  const regions = new Map<string, { pieces: Piece[]; notApplicable?: string }>();
  const open: { name: string; note: string; line: number; lines: string[] }[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const uses = usesLine.exec(line);
    if (uses) {
      const shared = findDeclaration(`${file}:${index + 1}`, uses[2] as string, uses[3] as string, root);
      for (const part of (uses[1] as string).split(/[\s,]+/).filter(Boolean)) {
        const entry = regions.get(part) ?? { pieces: [] };
        const pointer = `uses ${shared.name} (${shared.file}:${shared.line})`;
        entry.pieces.push({ file, line: index + 1, lines: [pointer], uses: shared });
        regions.set(part, entry);
      }
      return;
    }
    const start = regionStart.exec(line);
    if (start) {
      open.push({ name: start[1] as string, note: start[2] as string, line: index + 2, lines: [] });
      return;
    }
    if (regionEnd.test(line)) {
      const region = open.pop();
      if (!region) throw new Error(`${file}:${index + 1}: #endregion without a #region`);
      const entry = regions.get(region.name) ?? { pieces: [] };
      const reason = notApplicable.exec(region.note)?.[1];
      if (reason !== undefined && region.lines.every((l) => l.trim() === '')) entry.notApplicable = reason.trim();
      else entry.pieces.push({ file, line: region.line, lines: dedent(trimBlank(region.lines)) });
      regions.set(region.name, entry);
      return;
    }
    for (const region of open) region.lines.push(line);
  });
  const unclosed = open.at(-1);
  if (unclosed) throw new Error(`${file}:${unclosed.line - 1}: #region ${unclosed.name} is never closed`);
  return regions;
}

/**
 * The line that declares `name` (`Class.member` for a member) in `file`: a pointer must say where
 * the code it stands for begins, so a renamed or moved declaration fails the parts check.
 */
function findDeclaration(where: string, name: string, file: string, root: string): SharedCode {
  let text: string;
  try {
    text = readFileSync(path.join(root, file), 'utf8');
  } catch {
    throw new Error(`${where}: #uses points at ${file}, which does not exist`);
  }
  const [owner, member] = name.split('.') as [string, string | undefined];
  const lines = text.split('\n');
  const declares = (symbol: string) =>
    new RegExp(
      `^\\s*(export\\s+)?(default\\s+)?(async\\s+)?(function\\*?|class|const|let|interface|type)\\s+${symbol}\\b`,
    );
  const ownerLine = lines.findIndex((line) => declares(owner).test(line));
  if (ownerLine === -1) throw new Error(`${where}: #uses ${name}: ${file} declares no ${owner}`);
  if (member === undefined) return { name, file, line: ownerLine + 1 };
  const memberPattern = new RegExp(
    `^\\s*(static\\s+|async\\s+|get\\s+|set\\s+|readonly\\s+|\\*\\s*)*#?${member}\\s*[(<=:]`,
  );
  const memberLine = lines.findIndex((line, index) => index > ownerLine && memberPattern.test(line));
  if (memberLine === -1) throw new Error(`${where}: #uses ${name}: ${owner} in ${file} has no member ${member}`);
  return { name, file, line: memberLine + 1 };
}

/** Every client part of `model`, read from its client files only; a part it does not mark has no pieces. */
export function readModelParts(model: Model, root = projectRoot): PartSource[] {
  const found = new Map<string, { pieces: Piece[]; notApplicable?: string }>();
  for (const file of model.clientFiles) {
    for (const [name, region] of extractRegions(file, readFileSync(path.join(root, file), 'utf8'), root)) {
      const entry = found.get(name) ?? { pieces: [] };
      entry.pieces.push(...region.pieces);
      if (region.notApplicable !== undefined) entry.notApplicable = region.notApplicable;
      found.set(name, entry);
    }
  }
  return clientParts.map(({ name }) => {
    const entry = found.get(name);
    return entry?.notApplicable !== undefined && entry.pieces.length === 0
      ? { part: name, pieces: [], notApplicable: entry.notApplicable }
      : { part: name, pieces: entry?.pieces ?? [] };
  });
}

/** What `npm run new-model` leaves in each part of a skeleton until the part is written. */
export const todoMarker = 'TODO(new-model)';

/** The parts a model neither writes (a skeleton's TODO does not count) nor declares not applicable. */
export function missingParts(model: Model, root = projectRoot): ClientPart[] {
  const written = (piece: Piece) => piece.lines.some((line) => line.trim() !== '' && !line.includes(todoMarker));
  return readModelParts(model, root)
    .filter((p) => p.notApplicable === undefined && !p.pieces.some(written))
    .map((p) => p.part);
}

function trimBlank(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]?.trim() === '') start++;
  while (end > start && lines[end - 1]?.trim() === '') end--;
  return lines.slice(start, end);
}

function dedent(lines: string[]): string[] {
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^\s*/.exec(l)?.[0].length ?? 0);
  const common = indents.length === 0 ? 0 : Math.min(...indents);
  return lines.map((l) => l.slice(common).trimEnd());
}
