/**
 * The layout, enforced by reading the import statements of every tracked `.ts` file:
 * - `poetry/` is the ground: nothing in it (tests included) imports from a model folder, the
 *   harness, the benchmarks or any other folder of the project, so arrows run from the models and
 *   the harness down to the ground, never back up;
 * - no model's file imports another registered model's client files or its face (`index.ts`, which
 *   re-exports that model's client): code two models share lives in a file that is no model's client;
 * - every registered model's folder has the one shape: a face exporting `model`, and a README with
 *   a "Cost" section.
 * The model folders are read from `harness/models.json`; only the checks that need the models' client
 * files load the registry, so a model that does not load fails those checks, not the ground's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Model } from '../poetry/contract.ts';
import { isModel, readModelList } from './model-list.ts';
import { projectRoot } from './part-reader.ts';

/** Static imports and re-exports, side-effect imports, and dynamic imports of a literal path. */
const importPatterns = [
  /^\s*(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /^[^*/\n]*?\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm,
];

/**
 * The project files `file` imports, as paths from the project root; packages and `node:` modules
 * are left out. Lines of comments are not read as code: a doc comment may show an import.
 */
function importedFiles(file: string, text: string): string[] {
  const specifiers = importPatterns.flatMap((pattern) =>
    [...text.matchAll(pattern)].map((match) => match[1] as string),
  );
  return specifiers
    .filter((specifier) => specifier.startsWith('./') || specifier.startsWith('../'))
    .map((specifier) => path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)));
}

const tracked = execFileSync('git', ['ls-files', '-z', '--', '*.ts'], { cwd: projectRoot, encoding: 'utf8' })
  .split('\0')
  .filter(Boolean);
const imports = new Map(
  tracked.map((file) => [file, importedFiles(file, readFileSync(path.join(projectRoot, file), 'utf8'))]),
);
const modelFolders = readModelList();
const within = (file: string, folder: string) => file.startsWith(`${folder}/`);

describe('importedFiles', () => {
  it('finds static, re-exported, side-effect and dynamic imports across lines, and no import in a comment', () => {
    const text = [
      "import { a } from './a.ts';",
      'import {',
      '  type B,',
      '  c,',
      "} from '../b/c.ts';",
      "export * from './d.ts';",
      "import './e.ts';",
      "const f = await import('../f.ts');",
      "import net from 'node:net';",
      "import pLimit from 'p-limit';",
      "export const g = 'from ../g.ts';",
      " * import { h } from '../h.ts';",
      "// const i = await import('../i.ts');",
    ].join('\n');
    expect(importedFiles('x/y/z.ts', text).sort()).toEqual(['x/b/c.ts', 'x/f.ts', 'x/y/a.ts', 'x/y/d.ts', 'x/y/e.ts']);
  });
});

describe('the ground: poetry/', () => {
  it('imports nothing from outside poetry/: no model folder, no harness/, no bench/', () => {
    const ground = tracked.filter((file) => within(file, 'poetry'));
    expect(ground.length).toBeGreaterThan(10);
    const upward = ground.flatMap((file) =>
      (imports.get(file) ?? [])
        .filter((target) => !within(target, 'poetry'))
        .map((target) => {
          const model = modelFolders.find((folder) => within(target, folder));
          return `${file} imports ${target}${model === undefined ? '' : ` (the model folder ${model})`}`;
        }),
    );
    expect(upward).toEqual([]);
  });
});

describe('the models', () => {
  /** The registered models with their folders, loaded only by the checks that need their client files. */
  async function registered(): Promise<{ model: Model; folder: string }[]> {
    const { models } = await import('./registry.ts');
    return models.map((model, index) => ({ model, folder: modelFolders[index] as string }));
  }

  it("no model's file imports another model's client files or its face", async () => {
    const all = await registered();
    /** A file is a model's when it is one of its client files, or else lies in its folder (the deepest). */
    const ownerOf = (file: string) =>
      all.find(({ model }) => model.clientFiles.includes(file)) ??
      all
        .filter(({ folder }) => within(file, folder))
        .sort((a, b) => b.folder.length - a.folder.length)
        .at(0);
    const borrowed = tracked.flatMap((file) => {
      const owner = ownerOf(file);
      if (owner === undefined) return [];
      return (imports.get(file) ?? []).flatMap((target) => {
        const other = all.find(
          ({ model, folder }) =>
            model !== owner.model && (model.clientFiles.includes(target) || target === `${folder}/index.ts`),
        );
        if (other === undefined) return [];
        const what = target.endsWith('/index.ts') ? 'face' : 'client';
        return [`${file} (${owner.model.name}) imports ${target}, the ${other.model.name} model's ${what}`];
      });
    });
    expect(borrowed).toEqual([]);
  });

  describe.each(modelFolders)('%s/', (folder) => {
    it('has a face, index.ts, exporting the model as `model`', async () => {
      const face = path.join(projectRoot, folder, 'index.ts');
      expect(existsSync(face), `${folder}/index.ts`).toBe(true);
      const { model } = (await import(/* @vite-ignore */ `../${folder}/index.ts`)) as { model?: unknown };
      expect(isModel(model), `${folder}/index.ts exports a model as model`).toBe(true);
    });

    it('has a README.md with a "Cost" section', () => {
      const readme = path.join(projectRoot, folder, 'README.md');
      expect(existsSync(readme), `${folder}/README.md`).toBe(true);
      const cost = /^#{2,6} Cost\b/m.test(readFileSync(readme, 'utf8'));
      expect(cost, `${folder}/README.md has a section headed "Cost"`).toBe(true);
    });
  });
});
