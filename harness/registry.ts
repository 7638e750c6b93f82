/**
 * The registry: every model the CLI, the conformance suite and the benchmarks know about. It reads
 * the model folders from `harness/models.json` and imports each folder's face, `<folder>/index.ts`,
 * for the `model` it exports; adding a model is one folder plus one line in that list, which
 * `npm run new-model` writes. A folder without a face, or a face without a model, stops every
 * command at once with the folder's name, rather than leaving a model silently out.
 */
import type { Model } from '../poetry/contract.ts';
import { loadFace, readModelList } from './model-list.ts';

export const models: readonly Model[] = await Promise.all(readModelList().map(loadFace));

/** The model called `name`, or an error that lists the ones there are. */
export function findModel(name: string): Model {
  const model = models.find((m) => m.name === name);
  if (!model) {
    throw new Error(`unknown model "${name}"; known models: ${models.map((m) => m.name).join(', ') || '(none)'}`);
  }
  return model;
}
