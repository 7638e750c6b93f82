/**
 * The `poetry` command: fetch poems from servers with any registered model, the way the series'
 * clients did (`Task 1: got 10 bytes of poetry from 127.0.0.1:10001`, the poems, `Got 3 poems in …`),
 * or as one JSON document for scripts.
 *
 * It does better than the series' clients on the points they got wrong: poems print in argument
 * order, a failure names its address and cause on stderr, and the exit code says whether every poem
 * arrived (1 if any failed, 2 for a usage error). It never calls `process.exit()`: the exit code is
 * set and the process ends when its output has drained, so a 100 MB poem arrives whole through a pipe.
 */
import { parseArgs } from 'node:util';
import { AddressError, parseAddress } from './address.ts';
import type { Address, GetPoemsOptions, Model, PoemResult, PoetryEvent, TransformOptions } from './contract.ts';
import { isMain } from './is-main.ts';
import { findModel, models } from './models.ts';

const usage = `Usage: npm run poetry -- --model <name> [options] host:port|port ...

Fetches one poem from each server, all at once as the model allows, and prints them in argument
order. A bare port means 127.0.0.1.

Options:
  --model <name>           the client model to use (see --list)
  --timeout <seconds>      give up on a poem after this long (per attempt)
  --concurrency <k>        at most k downloads in flight
  --retries <n>            extra attempts after a failure (not after Ctrl-C)
  --transform <host:port[/name]>
                           send each poem through a transform server (default name: cummingsify);
                           if the transform fails, the original poem is kept
  --json                   print one JSON document on stdout instead of progress and poems
  --list                   list the models
  --help                   show this help

Exit code: 0 when every poem arrived, 1 when any failed, 2 for a usage error.`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'list' }
  | {
      readonly kind: 'fetch';
      readonly model: Model;
      readonly addresses: readonly Address[];
      readonly options: GetPoemsOptions;
      readonly json: boolean;
    };

/** The command `argv` asks for; throws `UsageError` or `AddressError` naming the bad argument. */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.list) return { kind: 'list' };
  if (values.model === undefined) throw new UsageError('--model is required (see --list)');
  let model: Model;
  try {
    model = findModel(values.model);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (positionals.length === 0) throw new UsageError('no servers given: pass host:port or port arguments');
  const addresses = positionals.map((text) => parseAddress(text));
  const timeout = values.timeout === undefined ? undefined : positiveNumber('--timeout', values.timeout);
  const options: GetPoemsOptions = {
    ...(timeout !== undefined && { timeoutMs: timeout * 1000 }),
    ...(values.concurrency !== undefined && { concurrency: count('--concurrency', values.concurrency, 1) }),
    ...(values.retries !== undefined && { retries: count('--retries', values.retries, 0) }),
    ...(values.transform !== undefined && { transform: parseTransform(values.transform) }),
  };
  return { kind: 'fetch', model, addresses, options, json: values.json };
}

function parseCliArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      timeout: { type: 'string' },
      concurrency: { type: 'string' },
      retries: { type: 'string' },
      transform: { type: 'string' },
      json: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} must be a positive number, got "${text}"`);
  return value;
}

function count(flag: string, text: string, least: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < least) {
    throw new UsageError(`${flag} must be a whole number of at least ${least}, got "${text}"`);
  }
  return value;
}

function parseTransform(text: string): TransformOptions {
  const slash = text.indexOf('/');
  const name = slash === -1 ? 'cummingsify' : text.slice(slash + 1);
  if (name === '') throw new UsageError(`--transform "${text}": the transform name after "/" is empty`);
  const address = parseAddress(slash === -1 ? text : text.slice(0, slash));
  return { address, name };
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

function printProgress(event: PoetryEvent): void {
  if (event.type === 'chunk') {
    process.stdout.write(`Task ${event.task}: got ${event.bytes} bytes of poetry from ${event.address}\n`);
  }
}

function printResults(results: readonly PoemResult[], elapsedMs: number): void {
  results.forEach((result, index) => {
    const task = index + 1;
    if (!result.ok) {
      process.stderr.write(`Task ${task}: failed: ${result.error.message} [${result.error.code}]\n`);
      return;
    }
    if (result.transformError) {
      process.stderr.write(`Task ${task}: kept the original poem: ${result.transformError.message}\n`);
    }
    const ending = result.poem.endsWith('\n') ? '' : '\n';
    process.stdout.write(`\n--- Poem ${task} from ${result.address} ---\n`);
    process.stdout.write(result.poem + ending);
  });
  const failed = results.filter((result) => !result.ok).length;
  const got = results.length - failed;
  const failures = failed === 0 ? '' : ` (${failed} failed)`;
  process.stdout.write(`\nGot ${got} ${got === 1 ? 'poem' : 'poems'} in ${formatElapsed(elapsedMs)}${failures}\n`);
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

/** Runs the command line; sets `process.exitCode` rather than exiting, so output always drains. */
export async function main(argv: readonly string[]): Promise<void> {
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof AddressError)) throw error;
    process.stderr.write(`poetry: ${error.message}\nRun with --help for usage.\n`);
    process.exitCode = 2;
    return;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (command.kind === 'list') {
    for (const model of models) process.stdout.write(`${model.name.padEnd(12)} ${model.title}\n`);
    return;
  }
  const { model, addresses, options, json } = command;
  // The first Ctrl-C cancels the downloads and still prints what arrived; a second one kills.
  const cancel = new AbortController();
  const onInterrupt = () => cancel.abort();
  process.once('SIGINT', onInterrupt);
  const started = performance.now();
  const results = await model.getPoems(addresses, {
    ...options,
    signal: cancel.signal,
    ...(!json && { onEvent: printProgress }),
  });
  const elapsedMs = performance.now() - started;
  process.off('SIGINT', onInterrupt);
  if (json) {
    process.stdout.write(`${jsonDocument(model, results, elapsedMs)}\n`);
  } else {
    printResults(results, elapsedMs);
  }
  process.exitCode = results.every((result) => result.ok) ? 0 : 1;
}

if (isMain(import.meta.url)) {
  await main(process.argv.slice(2));
}
