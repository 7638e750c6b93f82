/**
 * The registry: every model the CLI, the conformance suite and the benchmarks know about. It reads
 * the model folders from `harness/models.json` and imports each folder's face, `<folder>/index.ts`,
 * for the `model` it exports; adding a model is one folder plus one line in that list, which
 * `npm run new-model` writes. A folder without a face, or a face without a model, stops every
 * command at once with the folder's name, rather than leaving a model silently out.
 */
import { existsSync } from 'node:fs';
import type { Model } from '../poetry/contract.ts';
import { isModel, modelListFile, readModelList } from './model-list.ts';

/** The model that `folder`'s face exports. */
async function loadFace(folder: string): Promise<Model> {
  const face = `../${folder}/index.ts`;
  if (!existsSync(new URL(face, import.meta.url))) {
    throw new Error(`${modelListFile} lists ${folder}, which has no index.ts (a model's face)`);
  }
  const { model } = (await import(/* @vite-ignore */ face)) as { model?: unknown };
  if (!isModel(model)) throw new Error(`${folder}/index.ts exports no \`model\`: a model's face exports it as model`);
  return model;
}

export const models: readonly Model[] = await Promise.all(readModelList().map(loadFace));

/** The model called `name`, or an error that lists the ones there are. */
export function findModel(name: string): Model {
  const model = models.find((m) => m.name === name);
  if (!model) {
    throw new Error(`unknown model "${name}"; known models: ${models.map((m) => m.name).join(', ') || '(none)'}`);
  }
  return model;
}
