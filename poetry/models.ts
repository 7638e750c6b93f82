/**
 * The registry: every model the CLI, the conformance suite and the benchmarks know about.
 * Adding a model is one folder plus one line in `models` below.
 */
import { actorsModel } from '../actors/client.ts';
import { blockingModel } from '../baselines/blocking.ts';
import { promisesModel } from '../baselines/promises.ts';
import { generatorsModel } from '../generators/client.ts';
import { lazyModel } from '../lazy/client.ts';
import { reactorModel } from '../reactor/callback-client.ts';
import { deferredModel } from '../reactor/deferred-client.ts';
import type { Model } from './contract.ts';

export const models: readonly Model[] = [
  blockingModel,
  promisesModel,
  reactorModel,
  deferredModel,
  generatorsModel,
  actorsModel,
  lazyModel,
];

/** The model called `name`, or an error that lists the ones there are. */
export function findModel(name: string): Model {
  const model = models.find((m) => m.name === name);
  if (!model) {
    throw new Error(`unknown model "${name}"; known models: ${models.map((m) => m.name).join(', ') || '(none)'}`);
  }
  return model;
}
