/**
 * What every command of the project (`poetry`, `serve`, `start`, `diff`, `new-model`, `bench`) does
 * the same way: read its options, print its help in one shape, and end by the usual conventions.
 *
 * - `-h` and `--help` print the help on stdout and exit 0.
 * - A mistake on the command line is a `UsageError`: one line on stderr ending in `(see --help)`,
 *   exit 2. Unknown options, missing values and bad numbers get our own wording; a negative number
 *   is a value (`--timeout -1` reaches the validation, which says what is wrong with it).
 * - A file the command cannot read or write is a `FileError`: the path and the OS's reason, exit 1.
 * - Ctrl-C (SIGINT) aborts the run's signal so the command can cancel its work and clean up; the
 *   exit code is then 130 (128 + SIGINT). A second Ctrl-C exits 130 at once.
 * - A closed stdout (`… | head -1`) aborts the signal too and ends the program quietly with exit 0,
 *   as the reading side asked for no more; nothing more is written and nothing is left open.
 *
 * The runner never calls `process.exit()` on the normal path: it sets `process.exitCode`, so a large
 * output drains into a pipe or a file before the process ends.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A mistake on the command line: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A file or folder the command cannot use: names the path and the operating system's reason, exit 1. */
export class FileError extends Error {
  override readonly name = 'FileError';
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`${path}: ${osReason(cause)}`, { cause });
  }
}

/** `no such file or directory`, `permission denied`…: the reason without Node's syscall decoration. */
function osReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = 'code' in error ? String(error.code) : '';
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EEXIST: 'already exists',
    ENOTDIR: 'not a directory (a file is in the way)',
    EISDIR: 'is a directory',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
  };
  return reasons[code] ?? error.message;
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** A boolean that `--no-<name>` turns off. */
  readonly negatable?: boolean;
  /** The value's placeholder in the help, e.g. `<seconds>`. */
  readonly value?: string;
  /** One line of help; more lines continue under it. */
  readonly help: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** What the command line said: a string or list for string options, a boolean for the others. */
export type OptionValues<O extends OptionSpecs> = {
  readonly [K in keyof O]?: O[K]['type'] extends 'string'
    ? O[K]['multiple'] extends true
      ? string[]
      : string
    : boolean;
} & { readonly help?: boolean };

export interface Parsed<O extends OptionSpecs> {
  readonly values: OptionValues<O>;
  readonly positionals: readonly string[];
}

export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  /** The npm script's name: messages start with it and the help says `npm run <name> -- …`. */
  readonly name: string;
  /** What follows `npm run <name> --` in the usage line(s). */
  readonly usage: readonly string[];
  readonly description: string;
  readonly options: O;
  /** Whether arguments that are not options are allowed. */
  readonly positionals?: boolean;
  /** Paragraphs printed after the options (examples, files written, …). */
  readonly notes?: readonly string[];
  /** Exit codes other than 2 (usage) and 130 (Ctrl-C), which every command has. */
  readonly exitCodes: readonly (readonly [number, string])[];
}

const helpOption: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help' };

/** The help text, in the one shape every command shares. */
export function helpText(spec: CommandSpec): string {
  const options: [string, string][] = Object.entries({ ...spec.options, help: helpOption }).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : ''}--${name}${option.value ? ` ${option.value}` : ''}`;
    return [option.negatable ? `${flag}, --no-${name}` : flag, option.help];
  });
  const width = Math.min(28, Math.max(...options.map(([flag]) => flag.length)) + 2);
  const optionLines = options.flatMap(([flag, help]) => {
    const [first = '', ...rest] = help.split('\n');
    const head =
      flag.length + 2 > width ? [`  ${flag}`, `  ${''.padEnd(width)}${first}`] : [`  ${flag.padEnd(width)}${first}`];
    return [...head, ...rest.map((line) => `  ${''.padEnd(width)}${line}`)];
  });
  const codes: (readonly [number, string])[] = [...spec.exitCodes, [2, 'usage error'], [130, 'interrupted (Ctrl-C)']];
  return [
    ...spec.usage.map((line, index) =>
      `${index === 0 ? 'Usage:' : '      '} npm run ${spec.name} -- ${line}`.trimEnd(),
    ),
    '',
    spec.description,
    '',
    'Options:',
    ...optionLines,
    ...(spec.notes ?? []).flatMap((note) => ['', note]),
    '',
    'Exit codes:',
    ...codes.map(([code, meaning]) => `  ${String(code).padEnd(4)}${meaning}`),
  ].join('\n');
}

const negativeNumber = /^-(\d|\.\d)/;

/** Reads `argv` against the command's options; throws `UsageError` in our own words. */
export function parseCommandLine<O extends OptionSpecs>(spec: CommandSpec<O>, argv: readonly string[]): Parsed<O> {
  const all: OptionSpecs = { ...spec.options, help: helpOption };
  const config: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, option] of Object.entries(all)) {
    config[name] = {
      type: option.type,
      ...(option.short !== undefined && { short: option.short }),
      ...(option.multiple && { multiple: true }),
    };
  }
  // Not strict: unknown options and missing values come back as tokens, and are reported below in
  // our own words (Node's wording suggests a `--` that npm would swallow).
  const { tokens } = parseArgs({
    args: [...argv],
    options: config,
    strict: false,
    allowPositionals: true,
    allowNegative: true,
    tokens: true,
  });
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (!spec.positionals) throw new UsageError(`unexpected argument ${token.value}`);
      positionals.push(token.value);
      continue;
    }
    const { name } = token;
    const negated = token.rawName === `--no-${name}`;
    const option = Object.hasOwn(all, name) ? all[name] : undefined;
    if (option === undefined || (negated && !option.negatable)) {
      throw new UsageError(`unknown option ${token.rawName}`);
    }
    const flag = `--${name}`;
    if (option.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${flag} takes no value, got "${token.value}"`);
      values[name] = !negated;
      continue;
    }
    const value = token.value;
    if (value === undefined || (!token.inlineValue && value.startsWith('-') && !negativeNumber.test(value))) {
      throw new UsageError(`${flag} needs a value${option.value ? ` ${option.value}` : ''}`);
    }
    if (option.multiple) values[name] = [...((values[name] as string[] | undefined) ?? []), value];
    else values[name] = value;
  }
  return { values: values as OptionValues<O>, positionals };
}

/** Rules for a number given on the command line. */
export interface NumberRule {
  /** Whole numbers only. */
  readonly integer?: boolean;
  /** The least value allowed; with `positive`, values must be above 0 instead. */
  readonly min?: number;
  readonly positive?: boolean;
  readonly max?: number;
  /** What it counts, for the message: `seconds`, `bytes`. */
  readonly unit?: string;
}

/**
 * The number `text` stands for under `rule`, or a `UsageError` worded like
 * `--timeout must be a positive number of seconds, got -1`.
 */
export function numberArgument(flag: string, text: string, rule: NumberRule): number {
  const value = Number(text);
  const kind = rule.integer ? 'whole number' : 'number';
  const of = rule.unit ? ` of ${rule.unit}` : '';
  const wanted = rule.positive
    ? `a positive ${kind}${of}`
    : rule.min !== undefined
      ? `a ${kind}${of} of at least ${rule.min}`
      : `a ${kind}${of}`;
  const bound = rule.max !== undefined ? ` and at most ${rule.max}` : '';
  const bad =
    text.trim() === '' ||
    !Number.isFinite(value) ||
    (rule.integer && !Number.isInteger(value)) ||
    (rule.positive && value <= 0) ||
    (rule.min !== undefined && value < rule.min) ||
    (rule.max !== undefined && value > rule.max);
  if (bad) throw new UsageError(`${flag} must be ${wanted}${bound}, got ${text}`);
  return value;
}

/** Why the runner aborted a run's signal: its reason, as commands that must tell them apart read it. */
export type StopReason = 'interrupted' | 'stdout closed';

/** What a running command gets from the runner. */
export interface Run {
  /** Aborted by Ctrl-C or a closed stdout, with a `StopReason`: stop the work, clean up, and return. */
  readonly signal: AbortSignal;
  /** Writes to stdout; once stdout is closed, writes nothing. */
  out(text: string): void;
  /** Writes to stderr; once stderr is closed, writes nothing. */
  err(text: string): void;
}

/**
 * Runs a command by the conventions above. `main` returns the exit code it wants; the runner
 * prints help, reports errors, and turns Ctrl-C into 130 and a closed stdout into 0.
 */
export async function runCommand<O extends OptionSpecs>(
  spec: CommandSpec<O>,
  argv: readonly string[],
  main: (parsed: Parsed<O>, run: Run) => Promise<number> | number,
): Promise<number> {
  const stop = new AbortController();
  let outcome: StopReason | undefined;
  const end = (why: StopReason) => {
    outcome ??= why;
    stop.abort(why);
  };
  const closed = { stdout: false, stderr: false };
  const onStdoutError = (error: NodeJS.ErrnoException) => {
    closed.stdout = true;
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') end('stdout closed');
  };
  const onStderrError = () => {
    closed.stderr = true;
  };
  const onInterrupt = () => {
    if (outcome === 'interrupted') process.exit(130);
    end('interrupted');
  };
  process.stdout.on('error', onStdoutError);
  process.stderr.on('error', onStderrError);
  process.on('SIGINT', onInterrupt);
  const run: Run = {
    signal: stop.signal,
    out: (text) => {
      if (!closed.stdout) process.stdout.write(text);
    },
    err: (text) => {
      if (!closed.stderr) process.stderr.write(text);
    },
  };
  let code: number;
  try {
    const parsed = parseCommandLine(spec, argv);
    if (parsed.values.help) {
      run.out(`${helpText(spec)}\n`);
      code = 0;
    } else {
      code = await main(parsed, run);
    }
  } catch (error) {
    code = report(spec.name, error, run);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  // The error listeners stay: a write still draining may fail after main has returned.
  if (outcome === 'interrupted') return 130;
  if (outcome === 'stdout closed') return 0;
  return code;
}

function report(name: string, error: unknown, run: Run): number {
  if (error instanceof UsageError) {
    run.err(`${name}: ${error.message} (see --help)\n`);
    return 2;
  }
  if (error instanceof FileError) {
    run.err(`${name}: ${error.message}\n`);
    return 1;
  }
  // Not one of ours: a bug, so the stack is worth showing.
  run.err(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

/** The entry point of a command's file: runs it and sets the exit code, never `process.exit()`. */
export function runAsMain<O extends OptionSpecs>(
  spec: CommandSpec<O>,
  main: (parsed: Parsed<O>, run: Run) => Promise<number> | number,
): void {
  void runCommand(spec, process.argv.slice(2), main).then((code) => {
    process.exitCode = code;
  });
}
