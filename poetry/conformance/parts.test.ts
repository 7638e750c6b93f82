/**
 * Every registered model marks every client part (or declares it not applicable, with a reason),
 * so `npm run diff` can show any two models side by side. A model made by `npm run new-model` fails
 * here, naming the parts still to write, until they are written.
 */
import { describe, expect, it } from 'vitest';
import { missingParts, readModelParts } from '../regions.ts';
import { selectedModels } from './selected.ts';

describe.each(selectedModels().map((model) => [model.name, model] as const))('%s: client parts', (_name, model) => {
  it('marks every part of the client', () => {
    const missing = missingParts(model);
    expect(missing, `${model.name} does not yet mark or write these parts: ${missing.join(', ')}`).toEqual([]);
  });

  it('gives a reason for each part it declares not applicable', () => {
    for (const part of readModelParts(model)) {
      if (part.notApplicable !== undefined) expect(part.notApplicable.length).toBeGreaterThan(3);
    }
  });
});
