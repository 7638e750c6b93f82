/**
 * `npm run serve -- <kind> [options]`: the poetry servers from the command line, for trying a client
 * by hand (`nc 127.0.0.1 PORT` prints a poem) or running the classic trio the series' clients expect.
 *
 * Each kind is one entry in `serveKinds`: its options (each with its help line) and how to start
 * it. A new kind is a `ServeKind` (see `serve-kind.ts`) in that table; the caching proxy's is here
 * too, since the proxy is a reactor program, not a plain server. The kind comes first on the command line, so its
 * options are read and its `--help` printed by the shared `command-line.ts`, like every command's.
 * Every kind prints the address it bound on stdout and logs one line per connection on stderr. It
 * stops cleanly, removing its `--pid-file`, on SIGTERM (exit 0), Ctrl-C (130) or a closed stdout
 * (0). A bad option exits 2 naming it; a failed start (a port taken) exits 1 at once, in one line.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressError, parseAddress } from '../poetry/address.ts';
import { type Address, formatAddress } from '../poetry/contract.ts';
import { classicPoems, findPoem, generatePoem, poems } from '../poetry/poems/index.ts';
import {
  defaultMaxRequest,
  type FaultMode,
  faultModes,
  isTransformName,
  startClassicServers,
  startFastServer,
  startFaultyServer,
  startSlowServer,
  startTransformServer,
  type TransformName,
  transforms,
} from '../poetry/servers/index.ts';
import { startProxyServer } from '../reactor/proxy.ts';
import { type CommandSpec, FileError, helpText, type Run, runCommand, type StopReason } from './command-line.ts';
import { isMain } from './is-main.ts';
import {
  numberOption,
  type OptionSpecs,
  type OptionValues,
  type Running,
  type ServeKind,
  UsageError,
} from './serve-kind.ts';

type CommandOptions = CommandSpec['options'];

const poemOptions: OptionSpecs = {
  poem: { type: 'string', value: '<name>', help: `a built-in poem: ${Object.keys(poems).join(', ')}` },
  file: { type: 'string', value: '<path>', help: 'serve this file instead' },
};

/** The poem chosen by `--poem` or `--file`, with a title for the banner. */
function chosenPoem(values: OptionValues, fallback: string): { title: string; bytes: Buffer } {
  if (typeof values.poem === 'string' && typeof values.file === 'string') {
    throw new UsageError('--poem and --file cannot be used together');
  }
  if (typeof values.file === 'string') {
    try {
      return { title: values.file, bytes: readFileSync(values.file) };
    } catch (error) {
      throw new FileError(values.file, error);
    }
  }
  try {
    const poem = findPoem(typeof values.poem === 'string' ? values.poem : fallback);
    return { title: poem.title, bytes: Buffer.from(poem.text) };
  } catch (error) {
    throw new UsageError(`--poem: ${(error as Error).message}`);
  }
}

const delayOptions: OptionSpecs = {
  delay: { type: 'string', value: '<seconds>', help: 'seconds between ticks (default 0.7)' },
};

function rawTransform(name: OptionValues[string]): TransformName | undefined {
  if (typeof name !== 'string') return undefined;
  if (!isTransformName(name)) {
    throw new UsageError(`--raw: unknown transform "${name}"; transforms: ${Object.keys(transforms).join(', ')}`);
  }
  return name;
}

/**
 * The proxy is no plain server: it runs on the reactor and fetches from `--upstream`, so its kind
 * lives here, with the command, rather than beside the server.
 */
export const proxyServeKind: ServeKind = {
  summary: 'caching poetry proxy 3.0 on the reactor: fetches --upstream once; a failed upstream resets the client',
  options: {
    upstream: { type: 'string', value: '<host:port>', help: 'the poetry server to fetch the poem from (required)' },
  },
  async start(values, listen) {
    if (typeof values.upstream !== 'string') throw new UsageError('proxy needs --upstream <host:port>');
    let upstream: Address;
    try {
      upstream = parseAddress(values.upstream);
    } catch (error) {
      if (error instanceof AddressError) throw new UsageError(`--upstream: ${error.message}`);
      throw error;
    }
    const server = await startProxyServer({ ...listen, upstream });
    return {
      banner: [`proxy on ${formatAddress(server.address)} for ${formatAddress(upstream)} (first download cached)`],
      close: server.close,
    };
  },
};

export const serveKinds: Record<string, ServeKind> = {
  slow: {
    summary: 'sends --num-bytes every --delay seconds, then closes (the classic slow server)',
    options: {
      'num-bytes': { type: 'string', value: '<n>', help: 'bytes per tick (default 10)' },
      ...delayOptions,
      serial: { type: 'boolean', help: 'serve one connection at a time, like the classic blocking server' },
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
    options: {
      ...poemOptions,
      size: { type: 'string', value: '<bytes>', help: 'serve a generated poem of exactly this many bytes' },
    },
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
    help: [`Transforms: ${Object.keys(transforms).join(', ')}.`],
    options: {
      raw: {
        type: 'string',
        value: '<transform>',
        help: 'raw mode: read the poem until the client half-closes, reply with this transform',
      },
      'max-request': {
        type: 'string',
        value: '<bytes>',
        help: `longest request accepted; a longer one is reset at once (default ${defaultMaxRequest / 2 ** 20} MiB)`,
      },
    },
    async start(values, listen) {
      const raw = rawTransform(values.raw);
      const maxRequest = numberOption(values, 'max-request', { integer: true, min: 0 });
      const server = await startTransformServer({ ...listen, raw, maxRequest });
      const how =
        raw === undefined ? `netstrings (${Object.keys(transforms).join(', ')})` : `raw half-close with ${raw}`;
      return { banner: [`transform server serving ${how} on ${formatAddress(server.address)}`], close: server.close };
    },
  },
  faulty: {
    summary: 'misbehaves on purpose: --mode reset | stall | bad-utf8 | flaky',
    options: {
      mode: {
        type: 'string',
        value: '<mode>',
        help:
          'reset: part of the poem, then a TCP reset; stall: a line, then silence;\n' +
          'bad-utf8: a poem with invalid bytes; flaky: reset the first --fail-first, then serve',
      },
      'fail-first': {
        type: 'string',
        value: '<n>',
        help: 'connections flaky mode resets before it serves one (default 1)',
      },
      ...poemOptions,
    },
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
    ports: 3,
    options: {
      ...delayOptions,
      serial: { type: 'boolean', help: 'each server serves one connection at a time' },
    },
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
  proxy: proxyServeKind,
};

/** The options every kind takes; `--port`'s help says how many ports the kind listens on. */
function commonOptions(ports: number): CommandOptions {
  return {
    port: {
      type: 'string',
      value: '<n>',
      help:
        ports === 1
          ? 'port to listen on; 0 (the default) picks a free one'
          : `the first of ${ports} consecutive ports to listen on; 0 (the default) picks free ones`,
    },
    iface: { type: 'string', value: '<host>', help: 'interface to bind (default 127.0.0.1, i.e. localhost)' },
    'pid-file': { type: 'string', value: '<path>', help: 'write the process id here while running' },
  };
}

const exitCodes: CommandSpec['exitCodes'] = [
  [0, 'stopped by SIGTERM (a clean shutdown that removes the pid file)'],
  [1, 'could not start: a port taken, a file it cannot read or write'],
];

const overallSpec: CommandSpec = {
  name: 'serve',
  usage: ['<kind> [options]', '<kind> --help'],
  description:
    'Runs a kind of poetry server. It prints the address it bound on stdout, logs one line per\n' +
    'connection on stderr, and stops cleanly on SIGTERM or Ctrl-C, removing its --pid-file.',
  options: commonOptions(1),
  positionals: true,
  notes: [
    ['Kinds:', ...table(Object.entries(serveKinds).map(([name, kind]) => [name, kind.summary]))].join('\n'),
    'npm run serve -- <kind> --help lists the options of one kind.',
  ],
  exitCodes,
};

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, text]) => `  ${name.padEnd(width)}  ${text}`);
}

function kindSpec(name: string, kind: ServeKind): CommandSpec {
  return {
    name: 'serve',
    usage: [`${name} [options]`],
    description: kind.summary,
    options: { ...kind.options, ...commonOptions(kind.ports ?? 1) },
    ...(kind.help !== undefined && { notes: [kind.help.join('\n')] }),
    exitCodes,
  };
}

/** Resolves, naming the reason, when the server should stop: SIGTERM, Ctrl-C or a closed stdout. */
function stopRequested(signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const stop = (reason: string) => {
      process.off('SIGTERM', onTerm);
      signal.removeEventListener('abort', onAbort);
      resolve(reason);
    };
    const onTerm = () => stop('SIGTERM');
    const onAbort = () =>
      stop(signal.reason === ('interrupted' satisfies StopReason) ? 'SIGINT' : String(signal.reason));
    if (signal.aborted) return onAbort();
    process.on('SIGTERM', onTerm);
    signal.addEventListener('abort', onAbort);
  });
}

/** Serves one kind until it is told to stop; the exit code is 0, or 1 when it could not start. */
async function serveKind(name: string, kind: ServeKind, values: OptionValues, run: Run): Promise<number> {
  const ports = kind.ports ?? 1;
  const port = numberOption(values, 'port', { integer: true, min: 0, max: 65535 }) ?? 0;
  const lastFirst = 65536 - ports;
  if (port > lastFirst) {
    throw new UsageError(
      `${name} listens on ${ports} consecutive ports, so --port must be at most ${lastFirst}, got ${port}`,
    );
  }
  const iface = typeof values.iface === 'string' ? values.iface : '127.0.0.1';
  const pidFile = typeof values['pid-file'] === 'string' ? values['pid-file'] : undefined;

  let running: Running;
  try {
    running = await kind.start(values, { port, iface, log: (line) => run.err(`${line}\n`) });
  } catch (error) {
    if (error instanceof UsageError || error instanceof FileError) throw error;
    run.err(`serve ${name}: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  let wrotePidFile = false;
  let reason: string;
  try {
    for (const line of running.banner) run.out(`${line}\n`);
    if (pidFile !== undefined) {
      try {
        writeFileSync(pidFile, `${process.pid}\n`);
      } catch (error) {
        throw new FileError(pidFile, error);
      }
      wrotePidFile = true;
    }
    reason = await stopRequested(run.signal);
  } finally {
    await running.close();
    if (wrotePidFile && pidFile !== undefined) rmSync(pidFile, { force: true });
  }
  run.err(`serve ${name}: stopped (${reason})\n`);
  return 0;
}

/** Runs the command: `serve <kind> [options]`, or the overall help and usage errors. */
function serve(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  const chosen = first !== undefined && Object.hasOwn(serveKinds, first) ? serveKinds[first] : undefined;
  const ended =
    first !== undefined && chosen !== undefined
      ? runCommand(kindSpec(first, chosen), rest, ({ values }, run) => serveKind(first, chosen, values, run))
      : runCommand(overallSpec, argv, ({ positionals }, run) => {
          const [named] = positionals;
          if (named === undefined) {
            run.out(`${helpText(overallSpec)}\n`);
            return 2;
          }
          const where = Object.hasOwn(serveKinds, named)
            ? `the kind comes first: npm run serve -- ${named} [options]`
            : `unknown kind "${named}"; kinds: ${Object.keys(serveKinds).join(', ')}`;
          throw new UsageError(where);
        });
  return ended;
}

if (isMain(import.meta.url)) {
  // No process.exit(): the exit waits for stdout to drain, and a leaked handle would show as a hang.
  void serve(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
