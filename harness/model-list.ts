/**
 * The list of registered models: `harness/models.json`, the folders of the models in the order the
 * CLI, the diff and the benchmarks show them. It is data, not code, so the scaffold adds a model by
 * parsing and writing it, and a test can walk the model folders without loading any model.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Model } from '../poetry/contract.ts';
import { projectRoot } from './part-reader.ts';

/** Where the list lives, from the project root. */
export const modelListFile = 'harness/models.json';

/** A folder as a model list holds it: a relative path of lower-case segments, no `..`, no leading `/`. */
const folderPattern = /^[a-z][a-z0-9-]*(\/[a-z][a-z0-9-]*)*$/;

/** The folders in the list's text; an error saying what is wrong when it is not a JSON list of folders. */
export function parseModelList(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed) || !parsed.every((entry) => typeof entry === 'string' && folderPattern.test(entry))) {
    throw new Error('not a list of model folders, such as ["baselines/promises", "reactor"]');
  }
  const repeated = parsed.find((entry, index) => parsed.indexOf(entry) !== index);
  if (repeated !== undefined) throw new Error(`lists ${repeated} twice`);
  return parsed;
}

/** The list's text for `folders`: one folder a line, so adding a model is a one-line change. */
export function formatModelList(folders: readonly string[]): string {
  return `${JSON.stringify(folders, null, 2)}\n`;
}

/** The registered model folders of the project at `root`; an error naming the list when it is wrong. */
export function readModelList(root = projectRoot): string[] {
  const text = readFileSync(path.join(root, modelListFile), 'utf8');
  try {
    return parseModelList(text);
  } catch (error) {
    throw new Error(`${modelListFile}: ${(error as Error).message}`);
  }
}

/**
 * Whether `value`, what a face exports as `model`, has the shape of a `Model`: enough to catch a
 * face that exports something else under that name.
 */
export function isModel(value: unknown): value is Model {
  if (typeof value !== 'object' || value === null) return false;
  const { name, title, clientFiles, runtimeFiles, getPoems } = value as Record<string, unknown>;
  return (
    typeof name === 'string' &&
    typeof title === 'string' &&
    Array.isArray(clientFiles) &&
    Array.isArray(runtimeFiles) &&
    typeof getPoems === 'function'
  );
}

/** The model that `folder`'s face exports. */
export async function loadFace(folder: string): Promise<Model> {
  const face = `../${folder}/index.ts`;
  if (!existsSync(new URL(face, import.meta.url))) {
    throw new Error(`${modelListFile} lists ${folder}, which has no index.ts (a model's face)`);
  }
  const { model } = (await import(/* @vite-ignore */ face)) as { model?: unknown };
  if (!isModel(model)) throw new Error(`${folder}/index.ts exports no \`model\`: a model's face exports it as model`);
  return model;
}

/**
 * The registered model called `name`, loading only its own face: a measured run must not carry
 * every other model's code and libraries in its memory and its heap (the registry loads them all).
 * A model lives in a folder named after it; one that does not is found by loading the faces in turn.
 */
export async function loadModel(name: string): Promise<Model> {
  const folders = readModelList();
  const own = folders.find((folder) => path.basename(folder) === name);
  for (const folder of own === undefined ? folders : [own, ...folders.filter((other) => other !== own)]) {
    const model = await loadFace(folder);
    if (model.name === name) return model;
  }
  throw new Error(`unknown model "${name}"; ${modelListFile} lists ${folders.join(', ') || '(none)'}`);
}
