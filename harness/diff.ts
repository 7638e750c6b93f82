/**
 * `npm run diff -- <modelA> <modelB> [--part receive]`: two models' clients side by side, part by
 * part (connect, receive, finish, …), so the same job done two ways can be read line against line.
 *
 * With no models it lists the models and the parts; `--all` shows one part (or every part) across
 * every model, one after another; `--html out.html` writes the comparison as a static page with one
 * column per model, highlighted by highlight.js and readable offline. On a terminal the output is
 * fitted to its width and coloured; through a pipe it is plain text, 120 columns unless `--width`.
 *
 * A part a model takes from shared code shows as its one pointer line, `uses getPoetry
 * (reactor/get-poetry.ts:40)`, set apart from code (dim italic on a terminal, a note in the page),
 * never as the shared code: what a column shows as code is that model's own.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { stripVTControlCharacters } from 'node:util';
import hljs from 'highlight.js/lib/core';
import typescript from 'highlight.js/lib/languages/typescript';
import type { Model } from '../poetry/contract.ts';
import { type ClientPart, clientParts } from '../poetry/parts.ts';
import {
  type CommandSpec,
  FileError,
  numberArgument,
  type Parsed,
  type Run,
  runAsMain,
  UsageError,
} from './command-line.ts';
import { isMain } from './is-main.ts';
import { type PartSource, readModelParts } from './part-reader.ts';
import { findModel, models } from './registry.ts';

const spec = {
  name: 'diff',
  usage: ['[modelA modelB] [options]'],
  description: "Shows two models' clients side by side, part by part. With no models, lists the models and the parts.",
  positionals: true,
  options: {
    part: { type: 'string', value: '<name>', help: `only this part (${clientParts.map((p) => p.name).join(', ')})` },
    all: { type: 'boolean', help: 'every model, one after another (with --part: that part across all models)' },
    html: {
      type: 'string',
      value: '<file>',
      help: 'write a static HTML page, one column per model (the named models, or all)',
    },
    width: {
      type: 'string',
      value: '<columns>',
      help: "output width (default: the terminal's, or 120 through a pipe)",
    },
  },
  exitCodes: [
    [0, 'shown (or written)'],
    [1, 'the --html file could not be written'],
  ],
} as const satisfies CommandSpec;

interface Style {
  heading(text: string): string;
  dim(text: string): string;
  /** A pointer line: not code, so it must not read as code. */
  pointer(text: string): string;
}

const plain: Style = { heading: (t) => t, dim: (t) => t, pointer: (t) => t };
/** Colours for a terminal; `plain` through a pipe or with NO_COLOR. */
export const ansi: Style = {
  heading: (t) => `\x1b[1;36m${t}\x1b[0m`,
  dim: (t) => `\x1b[2m${t}\x1b[0m`,
  pointer: (t) => `\x1b[2;3m${t}\x1b[0m`,
};

/**
 * Lines of one model's part, as shown in a column `width` wide: a `file:line` label before each
 * piece of code, a pointer as its one line (the place it points at is its label). Lines are cut to
 * the width before they are styled, so no cut falls inside a colour code.
 */
function partLines(source: PartSource, style: Style, width: number): string[] {
  const styled = (text: string, as: (t: string) => string) => wrap(text, width).map(as);
  if (source.notApplicable !== undefined) return styled(`(not applicable: ${source.notApplicable})`, style.dim);
  if (source.pieces.length === 0) return styled('(not marked)', style.dim);
  return source.pieces.flatMap((piece) =>
    piece.uses === undefined
      ? [...styled(`${piece.file}:${piece.line}`, style.dim), ...piece.lines.flatMap((line) => wrap(line, width))]
      : piece.lines.flatMap((line) => styled(line, style.pointer)),
  );
}

/** Cuts a line into pieces of at most `width` columns; continuations start with `↪`. */
function wrap(line: string, width: number): string[] {
  if (visibleLength(line) <= width) return [line];
  const chars = [...line];
  const out = [chars.slice(0, width).join('')];
  for (let at = width; at < chars.length; at += width - 1) out.push(`↪${chars.slice(at, at + width - 1).join('')}`);
  return out;
}

function visibleLength(text: string): number {
  return [...stripVTControlCharacters(text)].length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

/** Two columns, part by part, each part under a full-width heading. */
export function sideBySide(left: Model, right: Model, parts: readonly ClientPart[], width: number, style = plain) {
  const column = Math.max(20, Math.floor((width - 3) / 2));
  const leftParts = readModelParts(left);
  const rightParts = readModelParts(right);
  const out = [`${pad(style.heading(left.name), column)} │ ${style.heading(right.name)}`];
  for (const part of parts) {
    const what = clientParts.find((p) => p.name === part)?.what ?? '';
    out.push('', style.heading(`── ${part}: ${what} `.padEnd(width, '─').slice(0, width)));
    const a = partLines(leftParts.find((p) => p.part === part) as PartSource, style, column);
    const b = partLines(rightParts.find((p) => p.part === part) as PartSource, style, column);
    for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(`${pad(a[i] ?? '', column)} │ ${b[i] ?? ''}`);
  }
  return out.join('\n');
}

/** Each model's parts one after another, for `--all`. */
export function stacked(chosen: readonly Model[], parts: readonly ClientPart[], width: number, style = plain) {
  const out: string[] = [];
  for (const part of parts) {
    const what = clientParts.find((p) => p.name === part)?.what ?? '';
    out.push(style.heading(`══ ${part}: ${what} `.padEnd(width, '═').slice(0, width)));
    for (const model of chosen) {
      const source = readModelParts(model).find((p) => p.part === part) as PartSource;
      out.push('', style.heading(`── ${model.name}`), ...partLines(source, style, width), '');
    }
  }
  return out.join('\n');
}

hljs.registerLanguage('typescript', typescript);

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A self-contained page: one column per model, one row per part, highlighted, no external links. */
export function htmlPage(chosen: readonly Model[], parts: readonly ClientPart[]): string {
  const require = createRequire(import.meta.url);
  const theme = readFileSync(require.resolve('highlight.js/styles/github.css'), 'utf8');
  const sources = new Map(chosen.map((m) => [m.name, readModelParts(m)]));
  const cell = (model: Model, part: ClientPart) => {
    const source = sources.get(model.name)?.find((p) => p.part === part) as PartSource;
    if (source.notApplicable !== undefined)
      return `<p class="na">not applicable: ${escapeHtml(source.notApplicable)}</p>`;
    if (source.pieces.length === 0) return '<p class="na">not marked</p>';
    return source.pieces
      .map(({ file, line, lines, uses }) => {
        if (uses !== undefined) {
          const where = `${uses.file}:${uses.line}`;
          return `<p class="uses">uses <code>${escapeHtml(uses.name)}</code> (<span class="path">${escapeHtml(where)}</span>)</p>`;
        }
        const code = hljs.highlight(lines.join('\n'), { language: 'typescript' }).value;
        return `<div class="where">${escapeHtml(file)}:${line}</div><pre><code class="hljs">${code}</code></pre>`;
      })
      .join('');
  };
  const header = chosen.map(
    (m) => `<th><span class="name">${escapeHtml(m.name)}</span><br>${escapeHtml(m.title)}</th>`,
  );
  const rows = parts.map((part) => {
    const what = clientParts.find((p) => p.name === part)?.what ?? '';
    return `<tr class="part"><th colspan="${chosen.length}" id="${part}">${part}: ${escapeHtml(what)}</th></tr>
<tr>${chosen.map((m) => `<td>${cell(m, part)}</td>`).join('')}</tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>poetry-models: ${chosen.map((m) => escapeHtml(m.name)).join(' · ')}</title>
<style>${theme}
body{font-family:system-ui,sans-serif;margin:1rem}table{border-collapse:collapse;table-layout:fixed;width:max(100%,${chosen.length * 34}rem)}
td,th{vertical-align:top;border:1px solid #ddd;padding:.4rem;text-align:left}tr.part th{background:#f3f3f8;font-size:1.1rem}
pre{margin:.2rem 0;font-size:12px;white-space:pre-wrap}.where{color:#888;font-size:11px}.na{color:#999;font-style:italic}
.uses{margin:.3rem 0;color:#555;font-style:italic;border-left:3px solid #ccd;padding-left:.4rem}.uses .path{font-family:monospace;font-style:normal}.name{font-family:monospace;font-size:1.1rem}
nav a{margin-right:.8rem}</style></head>
<body><h1>poetry-models, side by side</h1>
<nav>${parts.map((p) => `<a href="#${p}">${p}</a>`).join('')}</nav>
<table><thead><tr>${header.join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table></body></html>
`;
}

/** The listing shown with no models: what there is to compare. */
export function listing(): string {
  const nameWidth = Math.max(...models.map((m) => m.name.length), 4);
  return [
    'Models:',
    ...models.map((m) => `  ${m.name.padEnd(nameWidth)}  ${m.title}`),
    '',
    'Parts:',
    ...clientParts.map((p) => `  ${p.name.padEnd(9)}  ${p.what}`),
    '',
    'Try: npm run diff -- reactor actors --part receive',
  ].join('\n');
}

function main({ values, positionals }: Parsed<typeof spec.options>, run: Run): number {
  const part = values.part;
  if (part !== undefined && !clientParts.some((p) => p.name === part)) {
    throw new UsageError(`--part: unknown part "${part}"; parts: ${clientParts.map((p) => p.name).join(', ')}`);
  }
  const parts = part === undefined ? clientParts.map((p) => p.name) : [part as ClientPart];
  const chosen = positionals.map((name) => {
    try {
      return findModel(name);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  });
  const width =
    values.width === undefined
      ? (process.stdout.columns ?? 120)
      : numberArgument('--width', values.width, { integer: true, min: 40 });
  const style = process.stdout.isTTY && !process.env.NO_COLOR ? ansi : plain;

  if (values.html !== undefined) {
    try {
      writeFileSync(values.html, htmlPage(chosen.length > 0 ? chosen : models, parts));
    } catch (error) {
      throw new FileError(values.html, error);
    }
    run.err(`wrote ${values.html}\n`);
  } else if (values.all) {
    run.out(`${stacked(chosen.length > 0 ? chosen : models, parts, width, style)}\n`);
  } else if (chosen.length === 0) {
    run.out(`${listing()}\n`);
  } else if (chosen.length === 2) {
    run.out(`${sideBySide(chosen[0] as Model, chosen[1] as Model, parts, width, style)}\n`);
  } else {
    throw new UsageError(`expected two models to compare (or --all), got ${chosen.length}`);
  }
  return 0;
}

if (isMain(import.meta.url)) runAsMain(spec, main);
