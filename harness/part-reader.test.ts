import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Model } from '../poetry/contract.ts';
import { clientParts } from '../poetry/parts.ts';
import { ansi, htmlPage, listing, sideBySide, stacked } from './diff.ts';
import { formatModelList, parseModelList, readModelList } from './model-list.ts';
import { clientSkeleton, createModel, register } from './new-model.ts';
import { extractRegions, missingParts, readModelParts } from './part-reader.ts';
import { models } from './registry.ts';

const sample = `const a = 1;
  // #region limit
  const limit = 2;
    // #region cancel
    if (aborted) stop();
    // #endregion
  // #endregion
// #region limit
retry();
// #endregion
// #region timeout — not applicable: this model never waits
// #endregion
`;

describe('extractRegions', () => {
  it('reads repeated and nested regions, strips the markers and the common indentation', () => {
    const regions = extractRegions('x.ts', sample);
    const limit = regions.get('limit');
    expect(limit?.pieces.map((p) => p.lines)).toEqual([['const limit = 2;', '  if (aborted) stop();'], ['retry();']]);
    expect(limit?.pieces[0]?.line).toBe(3);
    expect(regions.get('cancel')?.pieces[0]?.lines).toEqual(['if (aborted) stop();']);
    expect(regions.get('timeout')?.notApplicable).toBe('this model never waits');
  });

  it('reads a #uses line as a pointer to the declaration it names, for each part it lists', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'regions-'));
    try {
      mkdirSync(path.join(root, 'shared'));
      writeFileSync(
        path.join(root, 'shared', 'lib.ts'),
        '// a library\nexport function retrying() {}\n\nexport class Pool {\n  take() {}\n  async #give() {}\n}\n',
      );
      const text =
        'x();\n// #uses retry, limit: retrying (shared/lib.ts)\n  // #uses cancel: Pool.take (shared/lib.ts)\n';
      const regions = extractRegions('m/client.ts', text, root);
      for (const part of ['retry', 'limit']) {
        expect(regions.get(part)?.pieces).toEqual([
          {
            file: 'm/client.ts',
            line: 2,
            lines: ['uses retrying (shared/lib.ts:2)'],
            uses: { name: 'retrying', file: 'shared/lib.ts', line: 2 },
          },
        ]);
      }
      expect(regions.get('cancel')?.pieces[0]?.lines).toEqual(['uses Pool.take (shared/lib.ts:5)']);
      expect(
        extractRegions('m/c.ts', '// #uses cancel: Pool.give (shared/lib.ts)', root).get('cancel')?.pieces[0]?.uses,
      ).toEqual({ name: 'Pool.give', file: 'shared/lib.ts', line: 6 });
      expect(() => extractRegions('m/c.ts', '// #uses retry: nothing (shared/lib.ts)', root)).toThrow(
        'm/c.ts:1: #uses nothing: shared/lib.ts declares no nothing',
      );
      expect(() => extractRegions('m/c.ts', '// #uses retry: Pool.put (shared/lib.ts)', root)).toThrow(/no member put/);
      expect(() => extractRegions('m/c.ts', '// #uses retry: x (shared/none.ts)', root)).toThrow(/does not exist/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('names the file and line of a region that is never closed, or an #endregion without one', () => {
    expect(() => extractRegions('y.ts', '// #region connect\nconnect();\n')).toThrow(/y\.ts:1: #region connect/);
    expect(() => extractRegions('z.ts', 'x();\n// #endregion\n')).toThrow(/z\.ts:2/);
  });
});

describe('npm run diff', () => {
  const [first, second] = models as [Model, Model];

  it('lists the models and the parts when given none', () => {
    const text = listing();
    for (const model of models) expect(text).toContain(model.name);
    for (const part of clientParts) expect(text).toContain(part.name);
  });

  it('aligns two models part by part within the width, every line split by one gutter', () => {
    const text = sideBySide(first, second, ['retry', 'collect'], 100);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${first.name}\\s+│ ${second.name}$`));
    expect(text).toContain('── retry:');
    expect(text).toContain('── collect:');
    expect(text).not.toContain('── connect:');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(100);
    const body = lines.filter((l) => l.includes('│')).slice(1);
    expect(body.length).toBeGreaterThan(2);
    for (const line of body) expect(line.indexOf('│')).toBe(lines[0]?.indexOf('│'));
  });

  it('shows every pair of registered models side by side, every part marked on both sides', () => {
    for (const [i, left] of models.entries()) {
      for (const right of models.slice(i + 1)) {
        const text = sideBySide(
          left,
          right,
          clientParts.map((p) => p.name),
          160,
        );
        for (const part of clientParts) expect(text).toContain(`── ${part.name}:`);
        expect(text, `${left.name} vs ${right.name}`).not.toContain('(not marked)');
      }
    }
  });

  it('shows one part across every model with --all', () => {
    const text = stacked(models, ['collect'], 100);
    for (const model of models) expect(text).toContain(`── ${model.name}`);
  });

  it('writes a self-contained HTML page with a highlighted column per model', () => {
    const page = htmlPage(
      models,
      clientParts.map((p) => p.name),
    );
    for (const model of models) expect(page).toContain(`<span class="name">${model.name}</span>`);
    for (const part of clientParts) expect(page).toContain(`id="${part.name}"`);
    expect(page).toContain('class="hljs-keyword"');
    expect(page).not.toMatch(/(src|href)="https?:/);
  });
});

describe('npm run diff, a part taken from shared code or not applicable', () => {
  const pointing: Model = {
    name: 'pointer',
    title: 'A fixture whose parts are pointers',
    summary: '',
    clientFiles: ['harness/test-fixtures/pointer-client.ts'],
    runtimeFiles: ['harness/test-fixtures/shared-code.ts'],
    getPoems: async () => [],
  };
  const pointer = 'uses fetchShared (harness/test-fixtures/shared-code.ts:5)';
  const shared = 'a line of the shared code itself';

  it('shows a pointer as its one line, never the shared code, side by side and stacked', () => {
    const [other] = models as [Model];
    const side = sideBySide(pointing, other, ['connect', 'retry', 'limit', 'collect'], 160);
    const left = side.split('\n').map((line) => line.split(' │ ')[0]?.trimEnd() ?? '');
    expect(left.filter((line) => line === pointer)).toHaveLength(2);
    expect(left).not.toContain('harness/test-fixtures/pointer-client.ts:7');
    expect(left).toContain('harness/test-fixtures/pointer-client.ts:10');
    expect(left).toContain('export const inFlight = 1;');
    expect(left).toContain('(not applicable: this fixture collects nothing)');
    const stack = stacked([pointing], ['receive', 'collect'], 100);
    expect(stack).toContain(`── pointer\n${pointer}\n`);
    expect(stack).toContain('(not applicable: this fixture collects nothing)');
    for (const text of [side, stack]) expect(text).not.toContain(shared);
  });

  it('sets a pointer apart from code on a terminal: dim italic, one line', () => {
    const text = stacked([pointing], ['timeout'], 100, ansi);
    expect(text).toContain(`\x1b[2;3m${pointer}\x1b[0m`);
    expect(stacked([pointing], ['collect'], 100, ansi)).toContain(
      '\x1b[2m(not applicable: this fixture collects nothing)\x1b[0m',
    );
  });

  it('shows a pointer in the page as a note with the path, not as highlighted code', () => {
    const page = htmlPage([pointing], ['cancel', 'collect']);
    expect(page).toContain(
      '<p class="uses">uses <code>fetchShared</code> (<span class="path">harness/test-fixtures/shared-code.ts:5</span>)</p>',
    );
    expect(page).not.toContain(shared);
    expect(page).not.toContain('<pre><code class="hljs">uses');
    expect(page).toContain('<p class="na">not applicable: this fixture collects nothing</p>');
  });
});

describe('npm run new-model', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('registers the models of harness/models.json, in its order, each named after its folder', () => {
    expect(models.map((m) => m.name)).toEqual(readModelList().map((folder) => path.posix.basename(folder)));
  });

  it('appends the folder to the model list, and refuses a name a listed folder has', () => {
    expect(register(['baselines/promises', 'reactor'], 'my-model')).toEqual([
      'baselines/promises',
      'reactor',
      'my-model',
    ]);
    expect(() => register(['baselines/promises'], 'promises')).toThrow(
      'a model called "promises" is already registered',
    );
  });

  it('writes the model list one folder a line, reads it back, and says what is wrong with one it cannot use', () => {
    expect(formatModelList(['a/b', 'c'])).toBe('[\n  "a/b",\n  "c"\n]\n');
    expect(parseModelList(formatModelList(['a/b', 'c']))).toEqual(['a/b', 'c']);
    expect(() => parseModelList('[')).toThrow(/^not JSON/);
    expect(() => parseModelList('{"models": ["a"]}')).toThrow(/^not a list of model folders/);
    expect(() => parseModelList('["../elsewhere"]')).toThrow(/^not a list of model folders/);
    expect(() => parseModelList('["a", "a"]')).toThrow('lists a twice');
  });

  it('creates a skeleton with every part marked but none written, a face and notes, and refuses a taken or bad name', () => {
    root = mkdtempSync(path.join(tmpdir(), 'new-model-'));
    mkdirSync(path.join(root, 'harness'));
    writeFileSync(path.join(root, 'harness', 'models.json'), '["reactor"]\n');
    expect(createModel('sketch', root)).toEqual([
      'sketch/client.ts',
      'sketch/index.ts',
      'sketch/README.md',
      'harness/models.json (registered)',
    ]);
    expect(readModelList(root)).toEqual(['reactor', 'sketch']);
    const skeleton: Model = {
      name: 'sketch',
      title: '',
      summary: '',
      clientFiles: ['sketch/client.ts'],
      runtimeFiles: [],
      getPoems: async () => [],
    };
    expect(readModelParts(skeleton, root).every((p) => p.pieces.length > 0)).toBe(true);
    expect(missingParts(skeleton, root)).toEqual(clientParts.map((p) => p.name));
    const client = clientSkeleton('sketch');
    expect(client).toContain("name: 'sketch'");
    expect(client).toContain("clientFiles: ['sketch/client.ts']");
    expect(client).toContain('runtimeFiles: []');
    expect(client).toContain('export const sketchModel: Model');
    expect(readFileSync(path.join(root, 'sketch', 'index.ts'), 'utf8')).toContain(
      "export { sketchModel as model } from './client.ts';",
    );
    const notes = readFileSync(path.join(root, 'sketch', 'README.md'), 'utf8');
    for (const heading of ['# sketch/', '## How to read the client', '## Deliberate differences', '## Cost']) {
      expect(notes).toMatch(new RegExp(`^${heading}`, 'm'));
    }
    expect(() => createModel('sketch', root)).toThrow(/already exists/);
    expect(() => createModel('reactor', root)).toThrow(/already registered/);
    expect(() => createModel('Bad Name', root)).toThrow(/not a model name/);
  });
});
