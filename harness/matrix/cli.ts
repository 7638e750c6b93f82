/**
 * `npm run matrix`: runs the comparison matrix's probes against every registered model (or those
 * `--model` names) and prints one block per dimension, a line per model, coloured best to worst on
 * a terminal. `--json` prints the matrix as one document; `--explain` adds each cell's probe and
 * raw figures; `--readme` runs the stable probes only and rewrites the README's table. Progress goes
 * to stderr, so the output survives a pipe; the shared conventions (`command-line.ts`) apply.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Model } from '../../poetry/contract.ts';
import {
  type CommandSpec,
  FileError,
  numberArgument,
  type OptionSpecs,
  type Parsed,
  type Run,
  runAsMain,
  UsageError,
} from '../command-line.ts';
import { isMain } from '../is-main.ts';
import { models as registered } from '../registry.ts';
import type { Matrix, Probe } from './cell.ts';
import { benchResults } from './overhead.ts';
import { probes } from './probes.ts';
import { readmeBlock, writeReadmeBlock } from './readme.ts';
import { ansiStyle, plainStyle, renderTerminal } from './render.ts';
import { runMatrix } from './runner.ts';
import { matrixFilePrefix } from './saved.ts';

const options = {
  model: { type: 'string', multiple: true, value: '<name>', help: 'only this model (repeat for more); default: all' },
  only: { type: 'string', value: '<n,n…>', help: 'only these dimensions, by number (e.g. 3,5)' },
  json: { type: 'boolean', help: 'print the matrix as one JSON document' },
  explain: { type: 'boolean', help: 'under each cell, the probe that filled it and its raw figures' },
  readme: { type: 'boolean', help: "run the stable probes for every model and rewrite README.md's table" },
  out: {
    type: 'string',
    value: '<dir>',
    help: 'save the matrix there as matrix-<time>.json (default bench/results), made if missing',
  },
} as const satisfies OptionSpecs;

export const matrixCommand: CommandSpec<typeof options> = {
  name: 'matrix',
  usage: ['[--model <name>]… [--only <n,n…>] [--json | --explain]', '--readme'],
  description:
    'Measures how the models differ: cancel latency and reach, timeout precision, error surface, limit,\n' +
    'retry, memory, fairness, overhead, code size, laziness, virtual time, streaming. Every cell comes\n' +
    'from a probe run against real servers on loopback (a few minutes for all models).',
  options,
  notes: [
    'Progress goes to stderr; the matrix to stdout. The saved matrix is what the bench report shows as its',
    'matrix section: `npm run bench` includes the newest one in its folder.',
  ],
  exitCodes: [
    [0, 'the matrix was printed (or the README written)'],
    [1, 'the README or the saved matrix could not be written'],
  ],
};

function chosenModels(names: readonly string[] | undefined): readonly Model[] {
  if (names === undefined || names.length === 0) return registered;
  const unknown = names.filter((name) => !registered.some((model) => model.name === name));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown model ${unknown.join(', ')}; registered: ${registered.map((m) => m.name).join(', ')}`,
    );
  }
  return registered.filter((model) => names.includes(model.name));
}

function chosenProbes(only: string | undefined): readonly Probe[] {
  if (only === undefined) return probes;
  const ids = only.split(',').map((text) => numberArgument('--only', text.trim(), { integer: true, min: 1 }));
  const unknown = ids.filter((id) => !probes.some((probe) => probe.id === id));
  if (unknown.length > 0) {
    throw new UsageError(
      `no dimension ${unknown.join(', ')}; dimensions: ${probes
        .map((p) => p.id)
        .sort((a, b) => a - b)
        .join(', ')}`,
    );
  }
  return probes.filter((probe) => ids.includes(probe.id));
}

async function matrix({ values }: Parsed<typeof options>, run: Run): Promise<number> {
  if (values.readme && (values.model !== undefined || values.only !== undefined)) {
    throw new UsageError('--readme runs every model and every stable dimension: it takes no --model or --only');
  }
  const models = chosenModels(values.model);
  const selected = values.readme ? probes.filter((probe) => probe.stable) : chosenProbes(values.only);
  let result: Matrix;
  try {
    result = await runMatrix({
      models,
      probes: selected,
      progress: (line) => run.err(`${line}\n`),
      signal: run.signal,
    });
  } catch (error) {
    if (run.signal.aborted) return 130;
    throw error;
  }
  if (values.readme) {
    try {
      writeReadmeBlock(
        readmeBlock(
          result,
          probes.filter((probe) => !probe.stable),
        ),
      );
    } catch (error) {
      throw new FileError('README.md', error);
    }
    run.err('matrix: README.md: the table between the matrix markers is rewritten\n');
    return 0;
  }
  const saved = saveMatrix(result, values.out ?? benchResults);
  run.err(`matrix: saved ${saved}\n`);
  if (values.json) run.out(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const style = process.stdout.isTTY && !process.env.NO_COLOR ? ansiStyle : plainStyle;
    run.out(renderTerminal(result, { style, explain: values.explain === true }));
  }
  return 0;
}

/** Writes `result` into `dir` (made if missing) as `matrix-<time>.json`; returns the path. */
export function saveMatrix(result: Matrix, dir: string): string {
  const file = path.join(dir, `${matrixFilePrefix}${result.startedAt.replace(/[:.]/g, '-')}.json`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(result)}\n`);
  } catch (error) {
    throw new FileError(dir, error);
  }
  return file;
}

if (isMain(import.meta.url)) runAsMain(matrixCommand, matrix);
