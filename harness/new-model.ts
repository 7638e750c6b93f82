/**
 * `npm run new-model -- <name>`: the first step of adding a model. It creates the folder every model
 * has — `<name>/client.ts` (a client skeleton with every part marked, each holding a TODO),
 * `<name>/index.ts` (the face the registry imports `model` from) and `<name>/README.md` (the
 * sections every model's notes have) — adds the folder to `harness/models.json`, and prints the
 * next steps. From then on the CLI, the conformance suite and the benchmarks all see the model;
 * until its parts are written, the suite's parts check names the ones still missing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { clientParts } from '../poetry/parts.ts';
import { type CommandSpec, FileError, type Parsed, type Run, runAsMain, UsageError } from './command-line.ts';
import { isMain } from './is-main.ts';
import { formatModelList, modelListFile, parseModelList } from './model-list.ts';
import { projectRoot, todoMarker } from './part-reader.ts';

const spec = {
  name: 'new-model',
  usage: ['<name> [--root <dir>]'],
  description:
    'Creates <name>/client.ts (every client part marked), <name>/index.ts and <name>/README.md, adds\n' +
    '<name> to harness/models.json, and prints the next steps. <name> is lower case: letters, digits, dashes.',
  positionals: true,
  options: { root: { type: 'string', value: '<dir>', help: 'the project to add it to (default: this one)' } },
  exitCodes: [
    [0, 'created'],
    [1, 'a file of the project could not be read, written or added to'],
  ],
} as const satisfies CommandSpec;

/** `my-model` → `myModel`: the name of the exported `Model` constant. */
function identifier(name: string): string {
  return `${name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())}Model`;
}

export function clientSkeleton(name: string): string {
  const regions = clientParts
    .map((p) => `  // #region ${p.name}\n  // ${todoMarker}: ${p.what}\n  // #endregion`)
    .join('\n\n');
  return `/**
 * The \`${name}\` model. Say here, in a paragraph, what idea this client shows and what to look for
 * when reading it beside the others (\`npm run diff -- promises ${name}\`).
 *
 * This file is the client, written for the reader: each part below is marked with a region, so the
 * diff tool and the conformance suite can find it. Replace each TODO with this model's way of doing
 * that part; a part taken whole from shared code is one pointer line instead,
 * \`// #uses <part>, <part>: <name> (<file>)\`; a part that has no place here is
 * \`// #region <part> — not applicable: <reason>\` followed by \`// #endregion\`. Code written for
 * the machine (a runtime, a library) goes in other files, listed in \`runtimeFiles\`, marking no parts.
 */
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
  PoetryError,
} from '../poetry/contract.ts';

async function getPoems(addresses: readonly Address[], options: GetPoemsOptions = {}): Promise<PoemResult[]> {
${regions}

  void options;
  return addresses.map((address) => ({
    ok: false,
    address: formatAddress(address),
    error: new PoetryError('NETWORK', address, 'the ${name} model is not written yet'),
  }));
}

export const ${identifier(name)}: Model = {
  name: '${name}',
  title: '${name} (new model)',
  summary: 'A new model: describe its idea in one paragraph.',
  clientFiles: ['${name}/client.ts'],
  runtimeFiles: [],
  getPoems,
};
`;
}

/** The face: what the registry imports, and later the runtime's public API too. */
export function faceSkeleton(name: string): string {
  return `/** The \`${name}\` model's face: the model, as the registry imports it, and its runtime's public API. */
export { ${identifier(name)} as model } from './client.ts';
`;
}

/** The model's notes, with the sections every model's README has, each holding a TODO. */
export function readmeSkeleton(name: string): string {
  return `# ${name}/ — the \`${name}\` model

${todoMarker}: the story. Where the idea comes from (the original it imitates: a library, a
language, a paper) and what it shows beside the other models.

## How to read the client

${todoMarker}: where to start in \`client.ts\`, the order its parts come in, and what to compare it with:
\`npm run diff -- promises ${name}\`. Name the runtime files it stands on and what they hide.

## Deliberate differences from the original

${todoMarker}: each way this model departs from its original, and why.

## Cost

${todoMarker}: measured figures, with when and how they were measured, e.g.
\`npm run bench -- --model ${name} --scenario many-fast\` (× raw, same run).
`;
}

/**
 * The model folders with `name` appended. A name is taken when a listed folder is called it
 * (`baselines/promises` holds the model `promises`): a model is named after its folder.
 */
export function register(folders: readonly string[], name: string): string[] {
  if (folders.some((folder) => path.posix.basename(folder) === name)) {
    throw new UsageError(`a model called "${name}" is already registered`);
  }
  return [...folders, name];
}

/** Reads or writes one file of the project, turning the OS's failure into a `FileError` naming it. */
function inProject<T>(file: string, act: () => T): T {
  try {
    return act();
  } catch (error) {
    throw new FileError(file, error);
  }
}

/**
 * Creates the model's files and registers it. A bad or taken name is a `UsageError`; a file it
 * cannot read or write (or a model list it cannot parse) is a `FileError`. The list is updated in
 * memory first, so a list it cannot add to leaves nothing behind.
 */
export function createModel(name: string, root = projectRoot): string[] {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new UsageError(
      `"${name}" is not a model name: use lower-case letters, digits and dashes, starting with a letter`,
    );
  }
  const folder = path.join(root, name);
  if (existsSync(folder)) throw new UsageError(`${name}/ already exists; choose another name`);
  const listFile = path.join(root, modelListFile);
  const registered = register(
    inProject(listFile, () => parseModelList(readFileSync(listFile, 'utf8'))),
    name,
  );
  inProject(folder, () => mkdirSync(folder));
  const files = {
    'client.ts': clientSkeleton(name),
    'index.ts': faceSkeleton(name),
    'README.md': readmeSkeleton(name),
  };
  for (const [file, text] of Object.entries(files)) {
    const at = path.join(folder, file);
    inProject(at, () => writeFileSync(at, text));
  }
  inProject(listFile, () => writeFileSync(listFile, formatModelList(registered)));
  return [...Object.keys(files).map((file) => `${name}/${file}`), `${modelListFile} (registered)`];
}

function main({ values, positionals }: Parsed<typeof spec.options>, run: Run): number {
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError('name the model to create, e.g. npm run new-model -- mymodel');
  if (extra.length > 0) throw new UsageError(`one model at a time, got ${positionals.join(' ')}`);
  const written = createModel(name, values.root === undefined ? projectRoot : path.resolve(values.root));
  run.out(`Created the ${name} model:\n${written.map((f) => `  ${f}`).join('\n')}

Next steps:
  1. Write each part in ${name}/client.ts (the TODOs); read another model beside it:
       npm run diff -- promises ${name}
     and tell the model's story in ${name}/README.md.
  2. Run the conformance suite for it until it passes:
       MODELS=${name} npx vitest run harness/conformance
  3. Try it by hand and in the benchmarks:
       npm run poetry -- --model ${name} <host:port ...>
       npm run bench -- --model ${name} --quick\n`);
  return 0;
}

if (isMain(import.meta.url)) runAsMain(spec, main);
