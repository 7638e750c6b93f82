/**
 * `npm run diff -- <modelA> <modelB> [--part receive]`: two models' clients side by side, part by
 * part (connect, receive, finish, …), so the same job done two ways can be read line against line.
 *
 * With no models it lists the models and the parts; `--all` shows one part (or every part) across
 * every model, one after another; `--html out.html` writes the comparison as a static page with a
 * column per model, highlighted by highlight.js and readable offline: every model is in it, the
 * named ones (or the first three) are its columns at first, and ticking models in the page picks
 * the columns, kept in the address's hash so a link reproduces them. On a terminal the output is
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
      help: 'write a static HTML page of every model (columns at first: the named ones, or three)',
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

/**
 * A self-contained page, one column per model and one row per part, highlighted, with no external
 * link. Every model in `chosen` is in the page; `shown` (default: all of them) are its columns
 * when it opens. Ticking models in the page picks the columns (two at least), and the choice is
 * kept in the address's hash, `#models=reactor,actors&part=receive`, so a link reproduces it. The
 * column headers stay in view while the code scrolls under them, the table scrolls sideways inside
 * its own area (each column keeps a readable width, however many there are, and the page itself
 * is never wider than the window), and the list of parts stays beside it to jump from.
 */
export function htmlPage(
  chosen: readonly Model[],
  parts: readonly ClientPart[],
  shown: readonly Model[] = chosen,
): string {
  const require = createRequire(import.meta.url);
  const theme = readFileSync(require.resolve('highlight.js/styles/github.css'), 'utf8');
  const sources = new Map(chosen.map((m) => [m.name, readModelParts(m)]));
  const visible = new Set(shown.map((m) => m.name));
  const cell = (model: Model, part: ClientPart) => {
    const source = sources.get(model.name)?.find((p) => p.part === part) as PartSource;
    if (source.notApplicable !== undefined)
      return `<p class="na">not applicable: ${escapeHtml(source.notApplicable)}</p>`;
    if (source.pieces.length === 0) return '<p class="na">not marked in its client files</p>';
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
  const off = (m: Model) => (visible.has(m.name) ? '' : ' class="off"');
  const attribute = (m: Model) => `data-model="${escapeHtml(m.name)}"${off(m)}`;
  const header = chosen.map(
    (m) =>
      `<th scope="col" ${attribute(m)}><span class="name">${escapeHtml(m.name)}</span><br><span class="title">${escapeHtml(m.title)}</span></th>`,
  );
  const rows = parts.map((part) => {
    const what = clientParts.find((p) => p.name === part)?.what ?? '';
    return `<tr class="part"><th colspan="${visible.size}" id="${part}"><span>${part}: ${escapeHtml(what)}</span></th></tr>
<tr>${chosen.map((m) => `<td ${attribute(m)}>${cell(m, part)}</td>`).join('')}</tr>`;
  });
  const boxes = chosen.map(
    (m) =>
      `<label title="${escapeHtml(m.title)}"><input type="checkbox" value="${escapeHtml(m.name)}"${visible.has(m.name) ? ' checked' : ''}> ${escapeHtml(m.name)}</label>`,
  );
  const settings = { models: chosen.map((m) => m.name), shown: [...visible], parts };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>poetry-models: ${chosen.map((m) => escapeHtml(m.name)).join(' · ')}</title>
<style>${theme}
${pageStyle}</style></head>
<body>
<header id="top"><h1>poetry-models, side by side</h1>
<fieldset id="pick"><legend>Columns <span id="count"></span></legend>${boxes.join('')}
<button type="button" id="every">all</button></fieldset></header>
<nav id="parts" aria-label="Parts"><h2>Parts</h2><ol>
${parts.map((p) => `<li><a href="#part=${p}" data-part="${p}">${p}</a></li>`).join('\n')}
</ol></nav>
<main id="area"><table id="sources" style="--columns:${visible.size}"><thead><tr>${header.join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table></main>
<script>const settings = ${JSON.stringify(settings).replace(/</g, '\\u003c')};
${pageScript}</script></body></html>
`;
}

/**
 * The page fills the window and never grows wider than it: the header and the part list stay put,
 * and the table scrolls in its own area, both ways, so `position: sticky` keeps its header row at
 * the area's top while the code goes by.
 */
const pageStyle = `*{box-sizing:border-box}
html,body{height:100%;margin:0}
body{font-family:system-ui,sans-serif;display:grid;grid-template:auto minmax(0,1fr)/11rem minmax(0,1fr);grid-template-areas:"top top" "nav area"}
#top{grid-area:top;padding:.4rem 1rem;border-bottom:1px solid #ddd;display:flex;flex-wrap:wrap;align-items:center;gap:.3rem 1.5rem}
h1{font-size:1.2rem;margin:0}
#pick{border:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.2rem .9rem;align-items:center}
#pick legend{float:left;margin-right:.6rem;font-weight:600}#pick label{font-family:monospace;white-space:nowrap}
#pick label:has(input:disabled){color:#777}
#parts{grid-area:nav;overflow:auto;border-right:1px solid #ddd;padding:.4rem .8rem}
#parts h2{font-size:1rem;margin:.2rem 0 .4rem}#parts ol{margin:0;padding-left:1.3rem}#parts li{margin:.15rem 0}
#parts a{font-family:monospace;text-decoration:none;color:#0550ae}#parts a[aria-current]{font-weight:700;color:#111}
#area{grid-area:area;overflow:auto}
table{border-collapse:separate;border-spacing:0;table-layout:fixed;width:max(100%,calc(var(--columns) * 22rem))}
td,th{vertical-align:top;border-right:1px solid #ddd;border-bottom:1px solid #ddd;padding:.4rem;text-align:left}
thead th{position:sticky;top:0;z-index:2;background:#fff;border-bottom:2px solid #99a}
.off{display:none}
tr.part th{background:#f3f3f8;font-size:1.05rem}tr.part th span{position:sticky;left:.4rem}
pre{margin:.2rem 0;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere}.where{color:#777;font-size:11px}.na{color:#777;font-style:italic}
.uses{margin:.3rem 0;color:#555;font-style:italic;border-left:3px solid #ccd;padding-left:.4rem}.uses .path{font-family:monospace;font-style:normal}
.name{font-family:monospace;font-size:1.1rem}.title{font-weight:400;font-size:.85rem;color:#444}`;

/**
 * The page's behaviour, as plain script: read the hash, show the chosen columns, keep at least two,
 * write the choice back into the hash, and scroll the table area to a part below the sticky header.
 */
const pageScript = `const area = document.getElementById('area');
const table = document.getElementById('sources');
const boxes = [...document.querySelectorAll('#pick input')];
const links = [...document.querySelectorAll('#parts a')];
const fewest = Math.min(2, settings.models.length);

function fromHash() {
  let hash = location.hash.slice(1);
  try {
    hash = decodeURIComponent(hash);
  } catch {
    // A hand-typed % that starts no escape: read the hash as it is.
  }
  // An old-style link, #receive, names a part only.
  const params = new URLSearchParams(hash.includes('=') ? hash : 'part=' + hash);
  const named = (params.get('models') ?? '').split(',').filter((name) => settings.models.includes(name));
  return { models: named.length >= fewest ? named : settings.shown, part: params.get('part') };
}

function hashFor(models, part) {
  return '#models=' + models.join(',') + (part ? '&part=' + part : '');
}

function selected() {
  return boxes.filter((box) => box.checked).map((box) => box.value);
}

function show(models) {
  for (const box of boxes) box.checked = models.includes(box.value);
  for (const element of document.querySelectorAll('[data-model]'))
    element.classList.toggle('off', !models.includes(element.dataset.model));
  for (const heading of document.querySelectorAll('tr.part th')) heading.colSpan = models.length;
  table.style.setProperty('--columns', String(models.length));
  // Two columns at least: the last two ticked cannot be unticked.
  for (const box of boxes) box.disabled = box.checked && models.length <= fewest;
  document.getElementById('count').textContent =
    '(' + models.length + ' of ' + settings.models.length + (fewest > 1 ? ', two at least)' : ')');
  for (const link of links) link.href = hashFor(models, link.dataset.part);
}

function scrollToPart(part) {
  const heading = document.getElementById(part);
  if (!settings.parts.includes(part) || !heading) return;
  const header = table.tHead.getBoundingClientRect().height;
  area.scrollTop += heading.getBoundingClientRect().top - area.getBoundingClientRect().top - header;
  markCurrent();
}

function markCurrent() {
  const line = area.getBoundingClientRect().top + table.tHead.getBoundingClientRect().height + 4;
  let current = settings.parts[0];
  for (const part of settings.parts) if (document.getElementById(part).getBoundingClientRect().top <= line) current = part;
  for (const link of links) {
    if (link.dataset.part === current) link.setAttribute('aria-current', 'true');
    else link.removeAttribute('aria-current');
  }
}

function apply() {
  const { models, part } = fromHash();
  show(models);
  if (part) scrollToPart(part);
}

for (const box of boxes)
  box.addEventListener('change', () => {
    show(selected());
    history.replaceState(null, '', hashFor(selected(), fromHash().part));
  });
document.getElementById('every').addEventListener('click', () => {
  show(settings.models);
  history.replaceState(null, '', hashFor(settings.models, fromHash().part));
});
for (const link of links)
  link.addEventListener('click', (event) => {
    event.preventDefault();
    history.replaceState(null, '', hashFor(selected(), link.dataset.part));
    scrollToPart(link.dataset.part);
  });
area.addEventListener('scroll', markCurrent, { passive: true });
window.addEventListener('hashchange', apply);
apply();
markCurrent();`;

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
      // Every model is in the page, to be ticked; the named ones are its columns when it opens.
      writeFileSync(values.html, htmlPage(models, parts, chosen.length > 0 ? chosen : models.slice(0, 3)));
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
