/**
 * Which registered models the conformance suite tests: all of them, or those `MODELS=a,b` names
 * (for working on one model). A name that is not registered is an error, not a silent empty run.
 */
import type { Model } from '../../poetry/contract.ts';
import { models } from '../registry.ts';

export function selectedModels(filter = process.env.MODELS): readonly Model[] {
  if (!filter) return models;
  const names = filter
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !models.some((model) => model.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `MODELS names unknown models: ${unknown.join(', ')}; registered: ${models.map((m) => m.name).join(', ')}`,
    );
  }
  return models.filter((model) => names.includes(model.name));
}
