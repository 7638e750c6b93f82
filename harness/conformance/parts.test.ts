/**
 * Every registered model marks every client part (or declares it not applicable, with a reason),
 * so `npm run diff` can show any two models side by side. Parts are read from a model's client
 * files alone: whatever a part shows is the model's own code or a `#uses` pointer to shared code,
 * and a runtime or library file marks no part, so it can neither fill a part a client forgot nor
 * make a model look as if it ran code it does not. A model made by `npm run new-model` fails here,
 * naming the parts still to write, until they are written.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientParts } from '../../poetry/parts.ts';
import { extractRegions, missingParts, projectRoot, readModelParts } from '../part-reader.ts';
import { selectedModels } from './selected.ts';

const partNames = new Set<string>(clientParts.map((part) => part.name));

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

  it("shows in every part only lines of its own client files, or pointers to shared code that is no model's client", () => {
    const otherClients = new Set(
      selectedModels()
        .filter((other) => other !== model)
        .flatMap((other) => other.clientFiles),
    );
    for (const part of readModelParts(model)) {
      for (const piece of part.pieces) {
        expect(model.clientFiles, `${part.part} at ${piece.file}:${piece.line}`).toContain(piece.file);
        if (piece.uses === undefined) continue;
        expect(piece.lines).toEqual([`uses ${piece.uses.name} (${piece.uses.file}:${piece.uses.line})`]);
        expect(otherClients.has(piece.uses.file), `${part.part} points into another model's client`).toBe(false);
        expect(model.clientFiles).not.toContain(piece.uses.file);
      }
    }
  });

  it('keeps its runtime files free of regions named after parts', () => {
    for (const file of model.runtimeFiles) {
      const regions = extractRegions(file, readFileSync(path.join(projectRoot, file), 'utf8'));
      const named = [...regions.keys()].filter((name) => partNames.has(name));
      expect(named, `${file} marks parts`).toEqual([]);
    }
  });

  it('fails the parts check for every part when its client files are taken away, whatever its runtime files mark', () => {
    const hollow = { ...model, clientFiles: [], runtimeFiles: [...model.clientFiles, ...model.runtimeFiles] };
    expect(missingParts(hollow)).toEqual(clientParts.map((part) => part.name));
  });
});
