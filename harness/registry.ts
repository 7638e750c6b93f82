/**
 * The registry: every model the CLI, the conformance suite and the benchmarks know about.
 * Adding a model is one folder plus one line in `models` below.
 */
import { model as actors } from '../actors/index.ts';
import { model as blocking } from '../baselines/blocking/index.ts';
import { model as promises } from '../baselines/promises/index.ts';
import { model as deferred } from '../deferred/index.ts';
import { model as generators } from '../generators/index.ts';
import { model as lazy } from '../lazy/index.ts';
import type { Model } from '../poetry/contract.ts';
import { model as reactor } from '../reactor/index.ts';

export const models: readonly Model[] = [blocking, promises, reactor, deferred, generators, actors, lazy];

/** The model called `name`, or an error that lists the ones there are. */
export function findModel(name: string): Model {
  const model = models.find((m) => m.name === name);
  if (!model) {
    throw new Error(`unknown model "${name}"; known models: ${models.map((m) => m.name).join(', ') || '(none)'}`);
  }
  return model;
}
