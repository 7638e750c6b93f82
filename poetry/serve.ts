/**
 * `npm run serve -- <kind> [options]`: the poetry servers from the command line, for trying a client
 * by hand (`nc 127.0.0.1 PORT` prints a poem) or running the classic trio the series' clients expect.
 *
 * Each kind is one entry in `serveKinds`: its options (for `util.parseArgs` and `--help`) and how to
 * start it. A new kind — a caching proxy, say — is one more entry there. Every kind prints the
 * address it bound on stdout, logs one line per connection on stderr, and shuts down cleanly on
 * SIGINT/SIGTERM, removing its `--pid-file`. A bad option exits with code 2 and names the option.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { formatAddress } from './contract.ts';
import { classicPoems, findPoem, generatePoem, poems } from './poems/index.ts';
import {
  type FaultMode,
  faultModes,
  isTransformName,
  type ListenOptions,
  startClassicServers,
  startFastServer,
  startFaultyServer,
  startSlowServer,
  startTransformServer,
  type TransformName,
  transforms,
} from './servers/index.ts';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What `serve` runs: one server or a group, stopped as one. */
interface Running {
  /** One line per listening server, e.g. `slow server serving "Kettle" on 127.0.0.1:10001`. */
  readonly banner: readonly string[];
  close(): Promise<void>;
}

interface ServeKind {
  readonly summary: string;
  /** Help lines for this kind's own options, one per option. */
  readonly help: readonly string[];
  readonly options: OptionSpecs;
  start(values: OptionValues, listen: ListenOptions): Promise<Running>;
}

/** A mistake on the command line: printed with a pointer to `--help`, exit code 2. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

function numberOption(
  values: OptionValues,
  name: string,
  rule: { integer?: boolean; min: number },
): number | undefined {
  const text = values[name];
  if (typeof text !== 'string') return undefined;
  const value = Number(text);
  const kind = rule.integer ? 'an integer' : 'a number';
  if (text.trim() === '' || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || value < rule.min) {
    throw new UsageError(`--${name} must be ${kind} >= ${rule.min}, got "${text}"`);
  }
  return value;
}

const poemOptions: OptionSpecs = { poem: { type: 'string' }, file: { type: 'string' } };
const poemHelp = [
  `--poem <name>      a built-in poem: ${Object.keys(poems).join(', ')}`,
  '--file <path>      serve this file instead',
];

/** The poem chosen by `--poem` or `--file`, with a title for the banner. */
function chosenPoem(values: OptionValues, fallback: string): { title: string; bytes: Buffer } {
  if (typeof values.poem === 'string' && typeof values.file === 'string') {
    throw new UsageError('--poem and --file cannot be used together');
  }
  if (typeof values.file === 'string') {
    try {
      return { title: values.file, bytes: readFileSync(values.file) };
    } catch (error) {
      throw new UsageError(`--file ${values.file}: ${(error as Error).message}`);
    }
  }
  try {
    const poem = findPoem(typeof values.poem === 'string' ? values.poem : fallback);
    return { title: poem.title, bytes: Buffer.from(poem.text) };
  } catch (error) {
    throw new UsageError(`--poem: ${(error as Error).message}`);
  }
}

function rawTransform(name: OptionValues[string]): TransformName | undefined {
  if (typeof name !== 'string') return undefined;
  if (!isTransformName(name)) {
    throw new UsageError(`--raw: unknown transform "${name}"; transforms: ${Object.keys(transforms).join(', ')}`);
  }
  return name;
}

export const serveKinds: Record<string, ServeKind> = {
  slow: {
    summary: 'sends --num-bytes every --delay seconds, then closes (the classic slow server)',
    help: [
      '--num-bytes <n>    bytes per tick (default 10)',
      '--delay <seconds>  seconds between ticks (default 0.7)',
      '--serial           serve one connection at a time, like the classic blocking server',
      ...poemHelp,
    ],
    options: {
      'num-bytes': { type: 'string' },
      delay: { type: 'string' },
      serial: { type: 'boolean' },
      ...poemOptions,
    },
    async start(values, listen) {
      const poem = chosenPoem(values, 'night-ferry');
      const numBytes = numberOption(values, 'num-bytes', { integer: true, min: 1 }) ?? 10;
      const delay = numberOption(values, 'delay', { min: 0 }) ?? 0.7;
      const server = await startSlowServer({
        ...listen,
        poem: poem.bytes,
        numBytes,
        delay,
        serial: values.serial === true,
      });
      const { ticks, seconds } = server.schedule;
      return {
        banner: [
          `slow server serving "${poem.title}" on ${formatAddress(server.address)} ` +
            `(${numBytes} bytes every ${delay} s: ${ticks} ticks, ${seconds.toFixed(1)} s${values.serial ? ', serial' : ''})`,
        ],
        close: server.close,
      };
    },
  },
  fast: {
    summary: 'writes the whole poem at once, then closes',
    help: [...poemHelp, '--size <bytes>     serve a generated poem of exactly this many bytes'],
    options: { ...poemOptions, size: { type: 'string' } },
    async start(values, listen) {
      const size = numberOption(values, 'size', { integer: true, min: 0 });
      if (size !== undefined && (values.poem !== undefined || values.file !== undefined)) {
        throw new UsageError('--size cannot be combined with --poem or --file');
      }
      const poem =
        size === undefined
          ? chosenPoem(values, 'night-ferry')
          : { title: `${size} generated bytes`, bytes: generatePoem(size) };
      const server = await startFastServer({ ...listen, poem: poem.bytes });
      return {
        banner: [`fast server serving "${poem.title}" on ${formatAddress(server.address)}`],
        close: server.close,
      };
    },
  },
  transform: {
    summary: 'netstring <len>:<transform>.<poem>, in, <len>:<poem>, out (or --raw half-close mode)',
    help: [
      `--raw <transform>  raw mode: read the poem until the client half-closes, reply with this transform`,
      '--max-length <n>   longest request accepted, in bytes (default 256 MiB)',
      `transforms: ${Object.keys(transforms).join(', ')}`,
    ],
    options: { raw: { type: 'string' }, 'max-length': { type: 'string' } },
    async start(values, listen) {
      const raw = rawTransform(values.raw);
      const maxLength = numberOption(values, 'max-length', { integer: true, min: 0 });
      const server = await startTransformServer({ ...listen, raw, maxLength });
      const how =
        raw === undefined ? `netstrings (${Object.keys(transforms).join(', ')})` : `raw half-close with ${raw}`;
      return { banner: [`transform server serving ${how} on ${formatAddress(server.address)}`], close: server.close };
    },
  },
  faulty: {
    summary: 'misbehaves on purpose: --mode reset | stall | bad-utf8 | flaky',
    help: [
      '--mode <mode>      reset: part of the poem, then a TCP reset; stall: a line, then silence;',
      '                   bad-utf8: a poem with invalid bytes; flaky: reset the first --fail-first, then serve',
      '--fail-first <n>   connections flaky mode resets before it serves one (default 1)',
      ...poemHelp,
    ],
    options: { mode: { type: 'string' }, 'fail-first': { type: 'string' }, ...poemOptions },
    async start(values, listen) {
      const mode = values.mode;
      if (typeof mode !== 'string' || !(faultModes as readonly string[]).includes(mode)) {
        throw new UsageError(
          `--mode must be one of ${faultModes.join(', ')}${mode === undefined ? '' : `, got "${mode}"`}`,
        );
      }
      const poem = chosenPoem(values, 'small-hours');
      const failFirst = numberOption(values, 'fail-first', { integer: true, min: 0 });
      const server = await startFaultyServer({ ...listen, mode: mode as FaultMode, poem: poem.bytes, failFirst });
      return {
        banner: [`faulty server (${mode}) serving "${poem.title}" on ${formatAddress(server.address)}`],
        close: server.close,
      };
    },
  },
  classic: {
    summary: 'the three classic slow servers at once, as one service group',
    help: [
      '--delay <seconds>  seconds between ticks (default 0.7); --port is the first of three consecutive ports',
      '--serial           each server serves one connection at a time',
    ],
    options: { delay: { type: 'string' }, serial: { type: 'boolean' } },
    async start(values, listen) {
      const delay = numberOption(values, 'delay', { min: 0 }) ?? 0.7;
      const group = await startClassicServers({ ...listen, delay, serial: values.serial === true });
      const banner = group.servers.map(
        (server, index) =>
          `slow server serving "${poems[classicPoems[index]!].title}" on ${formatAddress(server.address)} ` +
          `(${server.schedule.numBytes} bytes every ${delay} s: ${server.schedule.seconds.toFixed(1)} s)`,
      );
      banner.push(
        `classic servers: a concurrent client needs ${group.idealSeconds.toFixed(1)} s, a blocking one ${group.blockingSeconds.toFixed(1)} s`,
      );
      return { banner, close: group.close };
    },
  },
};

const commonOptions: OptionSpecs = {
  port: { type: 'string' },
  iface: { type: 'string' },
  'pid-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};
const commonHelp = [
  '--port <n>         port to listen on; 0 (the default) picks a free one',
  '--iface <host>     interface to bind (default 127.0.0.1, i.e. localhost)',
  '--pid-file <path>  write the process id here while running',
  '-h, --help         this help',
];

function overallHelp(): string {
  const width = Math.max(...Object.keys(serveKinds).map((name) => name.length));
  return [
    'usage: npm run serve -- <kind> [options]',
    '',
    'kinds:',
    ...Object.entries(serveKinds).map(([name, kind]) => `  ${name.padEnd(width)}  ${kind.summary}`),
    '',
    'options for every kind:',
    ...commonHelp.map((line) => `  ${line}`),
    '',
    'npm run serve -- <kind> --help shows the options of one kind.',
  ].join('\n');
}

function kindHelp(name: string, kind: ServeKind): string {
  return [
    `usage: npm run serve -- ${name} [options]`,
    '',
    kind.summary,
    '',
    ...[...kind.help, ...commonHelp].map((line) => `  ${line}`),
  ].join('\n');
}

/** Runs the command; resolves with the exit code once the servers have stopped (or failed to start). */
async function serve(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(overallHelp());
    return name === undefined ? 2 : 0;
  }
  const kind = Object.hasOwn(serveKinds, name) ? serveKinds[name] : undefined;
  if (kind === undefined) throw new UsageError(`unknown kind "${name}"; kinds: ${Object.keys(serveKinds).join(', ')}`);

  let values: OptionValues;
  try {
    ({ values } = parseArgs({ args: [...rest], options: { ...commonOptions, ...kind.options }, strict: true }));
  } catch (error) {
    throw new UsageError(`${name}: ${(error as Error).message}`);
  }
  if (values.help) {
    console.log(kindHelp(name, kind));
    return 0;
  }
  const port = numberOption(values, 'port', { integer: true, min: 0 }) ?? 0;
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const iface = typeof values.iface === 'string' ? values.iface : '127.0.0.1';
  const pidFile = typeof values['pid-file'] === 'string' ? values['pid-file'] : undefined;

  let running: Running;
  try {
    running = await kind.start(values, { port, iface, log: (line) => console.error(line) });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    console.error(`serve ${name}: could not start: ${(error as Error).message}`);
    return 1;
  }
  for (const line of running.banner) console.log(line);

  let stop: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (pidFile !== undefined) writeFileSync(pidFile, `${process.pid}\n`);
  } catch (error) {
    console.error(`serve ${name}: cannot write --pid-file: ${(error as Error).message}`);
    stop('pid-file');
  }
  const reason = await stopped;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  await running.close();
  if (pidFile !== undefined && reason !== 'pid-file') rmSync(pidFile, { force: true });
  console.error(`serve ${name}: stopped (${reason})`);
  return reason === 'pid-file' ? 1 : 0;
}

serve(process.argv.slice(2)).then(
  (code) => {
    // No process.exit(): the exit waits for stdout to drain, and a leaked handle would show as a hang.
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`serve: ${error.message}\nRun "npm run serve -- --help" for usage.`);
      process.exitCode = 2;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  },
);
