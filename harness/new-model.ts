/**
 * `npm run new-model -- <name>`: the first step of adding a model. It creates `<name>/client.ts`
 * (a client skeleton with every part marked, each holding a TODO) and `<name>/index.ts`, registers
 * the model in `harness/registry.ts`, and prints the next steps. From then on the CLI, the conformance
 * suite and the benchmarks all see the model; until its parts are written, the suite's parts check
 * names the ones still missing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { clientParts } from '../poetry/parts.ts';
import { type CommandSpec, FileError, type Parsed, type Run, runAsMain, UsageError } from './command-line.ts';
import { isMain } from './is-main.ts';
import { projectRoot, todoMarker } from './part-reader.ts';

const spec = {
  name: 'new-model',
  usage: ['<name> [--root <dir>]'],
  description:
    'Creates <name>/client.ts and <name>/index.ts with every client part marked, registers the model\n' +
    'in harness/registry.ts, and prints the next steps. <name> is lower case: letters, digits, dashes.',
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
 * Each part below is marked with a region, so the diff tool and the conformance suite can find it;
 * replace each TODO with this model's way of doing that part, or declare a part that has no place
 * here as \`// #region <part> — not applicable: <reason>\` followed by \`// #endregion\`.
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

/** The registry's source with the model imported and appended to the list. */
export function register(registry: string, name: string): string {
  const id = identifier(name);
  const list = /export const models: readonly Model\[\] = \[([^\]]*)\];/;
  const match = list.exec(registry);
  if (!match) throw new Error('cannot find the `models` list to add to');
  const entries = (match[1] as string).trim().replace(/,$/, '');
  // Keep the list's layout: one entry per line when it already is, otherwise inline.
  const listed = !entries ? id : entries.includes('\n') ? `\n  ${entries},\n  ${id},\n` : `${entries}, ${id}`;
  const updated = registry.replace(list, `export const models: readonly Model[] = [${listed}];`);
  // Among the models' imports, in the order Biome's import sorting keeps them.
  const source = `../${name}/client.ts`;
  const lines = updated.split('\n');
  const imports = lines.flatMap((line, index) => {
    const from = /^import .* from '(\.\.\/[^']+)';$/.exec(line)?.[1];
    return from === undefined ? [] : [{ index, from }];
  });
  const after = imports.find((i) => i.from > source)?.index;
  const at = after ?? (imports.at(-1)?.index ?? -1) + 1;
  lines.splice(at, 0, `import { ${id} } from '${source}';`);
  return lines.join('\n');
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
 * cannot read or write is a `FileError`. The registry is updated in memory first, so a registry it
 * cannot add to leaves nothing behind.
 */
export function createModel(name: string, root = projectRoot): string[] {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new UsageError(
      `"${name}" is not a model name: use lower-case letters, digits and dashes, starting with a letter`,
    );
  }
  const folder = path.join(root, name);
  if (existsSync(folder)) throw new UsageError(`${name}/ already exists; choose another name`);
  const registryFile = path.join(root, 'harness', 'registry.ts');
  const registry = inProject(registryFile, () => readFileSync(registryFile, 'utf8'));
  if (registry.includes(`name: '${name}'`) || registry.includes(`{ ${identifier(name)} }`)) {
    throw new UsageError(`a model called "${name}" is already registered`);
  }
  const registered = inProject(registryFile, () => register(registry, name));
  inProject(folder, () => mkdirSync(folder));
  const client = path.join(folder, 'client.ts');
  inProject(client, () => writeFileSync(client, clientSkeleton(name)));
  const index = path.join(folder, 'index.ts');
  inProject(index, () =>
    writeFileSync(
      index,
      `/** The \`${name}\` model's public face. */\nexport { ${identifier(name)} } from './client.ts';\n`,
    ),
  );
  inProject(registryFile, () => writeFileSync(registryFile, registered));
  return [`${name}/client.ts`, `${name}/index.ts`, 'harness/registry.ts (registered)'];
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
  2. Run the conformance suite for it until it passes:
       MODELS=${name} npx vitest run harness/conformance
  3. Try it by hand and in the benchmarks:
       npm run poetry -- --model ${name} <host:port ...>
       npm run bench -- --model ${name} --quick\n`);
  return 0;
}

if (isMain(import.meta.url)) runAsMain(spec, main);
