/**
 * The `poetry` command: fetch poems from servers with any registered model, the way the series'
 * clients did (`Task 1: got 10 bytes of poetry from 127.0.0.1:10001`, the poems, `Got 3 poems in …`),
 * or as one JSON document for scripts.
 *
 * It does better than the series' clients on the points they got wrong: poems print in argument
 * order, a failure names its address and cause on stderr, and the exit code says whether every poem
 * arrived. It follows the shared command conventions (`command-line.ts`): Ctrl-C cancels the
 * downloads, still prints what arrived and exits 130; a reader that stops reading (`| head -1`)
 * cancels them and ends quietly with 0. It never calls `process.exit()`, so a 100 MB poem arrives
 * whole through a pipe.
 */
import { AddressError, parseAddress } from '../poetry/address.ts';
import type { Address, GetPoemsOptions, Model, PoemResult, PoetryEvent, TransformOptions } from '../poetry/contract.ts';
import {
  type CommandSpec,
  helpText,
  numberArgument,
  type OptionSpecs,
  type Parsed,
  type Run,
  runAsMain,
  type StopReason,
  UsageError,
} from './command-line.ts';
import { isMain } from './is-main.ts';
import { findModel, models } from './registry.ts';

const options = {
  model: { type: 'string', value: '<name>', help: 'the client model to use (see --list)' },
  timeout: { type: 'string', value: '<seconds>', help: 'give up on a poem after this long (per attempt)' },
  concurrency: { type: 'string', value: '<k>', help: 'at most k downloads in flight' },
  retries: { type: 'string', value: '<n>', help: 'extra attempts after a failure (not after Ctrl-C)' },
  transform: {
    type: 'string',
    value: '<host:port[/name]>',
    help: 'send each poem through a transform server (default name: cummingsify);\nif the transform fails, the original poem is kept',
  },
  json: { type: 'boolean', help: 'print one JSON document on stdout instead of progress and poems' },
  list: { type: 'boolean', help: 'list the models' },
} as const satisfies OptionSpecs;

export const poetryCommand: CommandSpec<typeof options> = {
  name: 'poetry',
  usage: ['--model <name> [options] host:port|port ...', '--list'],
  description:
    'Fetches one poem from each server, all at once as the model allows, and prints them in argument\n' +
    'order. A bare port means 127.0.0.1.',
  options,
  positionals: true,
  exitCodes: [
    [0, 'every poem arrived'],
    [1, 'any poem failed'],
  ],
};

export type Command =
  /** No arguments at all: the user needs the usage, not a complaint about one missing option. */
  | { readonly kind: 'usage' }
  | { readonly kind: 'list' }
  | {
      readonly kind: 'fetch';
      readonly model: Model;
      readonly addresses: readonly Address[];
      readonly options: GetPoemsOptions;
      readonly json: boolean;
    };

/** The command the parsed command line asks for; throws `UsageError` naming the bad argument. */
export function commandFrom({ values, positionals }: Parsed<typeof options>): Command {
  if (Object.keys(values).length === 0 && positionals.length === 0) return { kind: 'usage' };
  if (values.list) return { kind: 'list' };
  if (values.model === undefined) throw new UsageError('--model is required; --list names the models');
  let model: Model;
  try {
    model = findModel(values.model);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (positionals.length === 0) throw new UsageError('no servers given: pass host:port or port arguments');
  const addresses = positionals.map((text) => address(text));
  const timeout =
    values.timeout === undefined
      ? undefined
      : numberArgument('--timeout', values.timeout, { positive: true, unit: 'seconds' });
  const getPoemsOptions: GetPoemsOptions = {
    ...(timeout !== undefined && { timeoutMs: timeout * 1000 }),
    ...(values.concurrency !== undefined && {
      concurrency: numberArgument('--concurrency', values.concurrency, { integer: true, min: 1 }),
    }),
    ...(values.retries !== undefined && {
      retries: numberArgument('--retries', values.retries, { integer: true, min: 0 }),
    }),
    ...(values.transform !== undefined && { transform: parseTransform(values.transform) }),
  };
  return { kind: 'fetch', model, addresses, options: getPoemsOptions, json: values.json === true };
}

/** A bad address is a usage mistake like any other: the same one-line report, exit 2. */
function address(text: string): Address {
  try {
    return parseAddress(text);
  } catch (error) {
    if (error instanceof AddressError) throw new UsageError(error.message);
    throw error;
  }
}

function parseTransform(text: string): TransformOptions {
  const slash = text.indexOf('/');
  const name = slash === -1 ? 'cummingsify' : text.slice(slash + 1);
  if (name === '') throw new UsageError(`--transform "${text}": the transform name after "/" is empty`);
  return { address: address(slash === -1 ? text : text.slice(0, slash)), name };
}

/** `0:00:10.134`: hours, minutes, seconds and milliseconds, as the series' clients print it. */
export function formatElapsed(ms: number): string {
  const total = Math.round(ms);
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor(total / 60_000) % 60;
  const seconds = Math.floor(total / 1000) % 60;
  const millis = total % 1000;
  return `${hours}:${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}.${String(millis).padStart(3, '0')}`;
}

function printProgress(event: PoetryEvent, run: Run): void {
  if (event.type === 'chunk') run.out(`Task ${event.task}: got ${event.bytes} bytes of poetry from ${event.address}\n`);
}

function printResults(results: readonly PoemResult[], elapsedMs: number, run: Run): void {
  results.forEach((result, index) => {
    const task = index + 1;
    if (!result.ok) {
      run.err(`Task ${task}: failed: ${result.error.message} [${result.error.code}]\n`);
      return;
    }
    if (result.transformError) {
      run.err(`Task ${task}: kept the original poem: ${result.transformError.message}\n`);
    }
    const ending = result.poem.endsWith('\n') ? '' : '\n';
    run.out(`\n--- Poem ${task} from ${result.address} ---\n`);
    run.out(result.poem + ending);
  });
  const failed = results.filter((result) => !result.ok).length;
  const got = results.length - failed;
  const failures = failed === 0 ? '' : ` (${failed} failed)`;
  run.out(`\nGot ${got} ${got === 1 ? 'poem' : 'poems'} in ${formatElapsed(elapsedMs)}${failures}\n`);
}
function jsonDocument(model: Model, results: readonly PoemResult[], elapsedMs: number): string {
  const error = (e: { code: string; message: string }) => ({ code: e.code, message: e.message });
  return JSON.stringify({
    model: model.name,
    results: results.map((result) =>
      result.ok
        ? {
            address: result.address,
            ok: true,
            poem: result.poem,
            ...(result.transformError && { transformError: error(result.transformError) }),
          }
        : { address: result.address, ok: false, error: error(result.error) },
    ),
    elapsedMs: Math.round(elapsedMs),
  });
}

/** Runs the parsed command line and returns its exit code. */
async function poetry(parsed: Parsed<typeof options>, run: Run): Promise<number> {
  const command = commandFrom(parsed);
  if (command.kind === 'usage') {
    run.err(`${helpText(poetryCommand)}\n`);
    return 2;
  }
  if (command.kind === 'list') {
    for (const model of models) run.out(`${model.name.padEnd(12)} ${model.title}\n`);
    return 0;
  }
  const { model, addresses, json } = command;
  const started = performance.now();
  // Ctrl-C or a closed stdout aborts run.signal, which cancels every download still running.
  const results = await model.getPoems(addresses, {
    ...command.options,
    signal: run.signal,
    ...(!json && { onEvent: (event: PoetryEvent) => printProgress(event, run) }),
  });
  const elapsedMs = performance.now() - started;
  // The reader asked for no more: not even the list of downloads that were cancelled for it.
  if (run.signal.reason === ('stdout closed' satisfies StopReason)) return 0;
  if (json) run.out(`${jsonDocument(model, results, elapsedMs)}\n`);
  else printResults(results, elapsedMs, run);
  return results.every((result) => result.ok) ? 0 : 1;
}

if (isMain(import.meta.url)) runAsMain(poetryCommand, poetry);
