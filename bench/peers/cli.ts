/**
 * `npm run peers -- install | check`: gets the peers ready and says which are.
 *
 * `install` installs the toolchains with apt-get (skipped when every package is already there, so
 * CI pays for it once per machine), then builds what needs building: the Haskell peer, compiled once
 * with `-threaded -O2` into `bench/peers/build/` (git-ignored), never at bench time. `check` says
 * which peers are ready, what each runs on, and how to get the rest. Both exit 0 only when every
 * peer is ready.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type CommandSpec, runAsMain, UsageError } from '../../harness/command-line.ts';
import { isMain } from '../../harness/is-main.ts';
import { buildDir, checkPeer, debianPackages, haskellBinary, installHint, peers, probe } from './peers.ts';

export const peersCommand = {
  name: 'peers',
  usage: ['install [--no-apt]', 'check'],
  description:
    "Gets the bench's peers ready (our own Twisted, Erlang and Haskell clients) and says which are.\n" +
    `  install  apt-get install ${debianPackages.join(' ')}\n` +
    '           (skipped when all are installed; needs root), then builds the Haskell peer\n' +
    '           (ghc -threaded -O2 into bench/peers/build/)\n' +
    '  check    which peers are ready, what each runs on, and how to get the rest',
  positionals: true,
  options: {
    apt: {
      type: 'boolean',
      negatable: true,
      help: 'install the Debian packages when some are missing (default; --no-apt only builds)',
    },
  },
  notes: ['Then: npm run bench -- --peers'],
  exitCodes: [
    [0, 'every peer is ready'],
    [1, 'some peer is not ready (the output says why), or a step of the install failed'],
  ],
} as const satisfies CommandSpec;

/** Runs a step of the install with its output on our stderr; fails naming the step and how it ended. */
function step(what: string, command: string, args: readonly string[], signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      stdio: ['ignore', 2, 2],
      signal,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.once('error', (error) => {
      if (error.name !== 'AbortError') reject(new StepError(`${what}: cannot run ${command} (${error.message})`));
    });
    child.once('close', (code, killed) =>
      code === 0 || signal.aborted
        ? resolve()
        : reject(new StepError(`${what} failed (${command} ${killed ? `killed by ${killed}` : `exit code ${code}`})`)),
    );
  });
}

class StepError extends Error {}

async function missingPackages(): Promise<string[]> {
  const states = await Promise.all(
    debianPackages.map(async (name) => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format field, not a template
      const status = await probe('dpkg-query', ['-W', '-f=${Status}', name]);
      return status.stdout === 'install ok installed' ? [] : [name];
    }),
  );
  return states.flat();
}

async function install(apt: boolean, say: (line: string) => void, signal: AbortSignal): Promise<void> {
  const missing = await missingPackages();
  if (missing.length === 0) say('peers: the Debian packages are installed');
  else if (!apt) say(`peers: --no-apt, so not installing ${missing.join(' ')}`);
  else {
    if (process.getuid?.() !== 0) {
      throw new StepError(`apt-get needs root: run this as root, or install ${missing.join(' ')} yourself`);
    }
    say(`peers: apt-get install ${missing.join(' ')}`);
    await step('apt-get update', 'apt-get', ['update', '-q'], signal);
    await step('apt-get install', 'apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], signal);
  }
  if (signal.aborted) return;
  mkdirSync(buildDir, { recursive: true });
  say(`peers: building ${path.basename(haskellBinary)} (ghc -threaded -O2)`);
  const haskell = peers.find((peer) => peer.name === 'haskell')!;
  await step(
    'the Haskell build',
    'ghc',
    ['-threaded', '-O2', '-rtsopts', '-outputdir', path.join(buildDir, 'haskell'), '-o', haskellBinary, haskell.source],
    signal,
  );
}

/** One line per peer, ready or not; true when all are. */
async function report(say: (line: string) => void): Promise<boolean> {
  const states = await Promise.all(peers.map(async (peer) => ({ peer, state: await checkPeer(peer) })));
  const width = Math.max(...peers.map((peer) => peer.name.length));
  for (const { peer, state } of states) {
    const what = state.ready ? `ready    ${state.runtime}` : `missing  ${state.why}; ${installHint}`;
    say(`${peer.name.padEnd(width)}  ${what}`);
  }
  return states.every(({ state }) => state.ready);
}

if (isMain(import.meta.url)) {
  runAsMain(peersCommand, async ({ values, positionals }, run) => {
    const [action, extra] = positionals;
    if (action !== 'install' && action !== 'check') {
      throw new UsageError(
        action === undefined ? 'say install or check' : `unknown action ${action}: install or check`,
      );
    }
    if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
    if (action === 'check' && values.apt !== undefined) throw new UsageError('--apt and --no-apt are for install');
    if (action === 'install') {
      try {
        await install(values.apt ?? true, (line) => run.err(`${line}\n`), run.signal);
      } catch (error) {
        if (!(error instanceof StepError)) throw error;
        run.err(`peers: ${error.message}\n`);
        return 1;
      }
      if (run.signal.aborted) return 130;
    }
    return (await report((line) => run.out(`${line}\n`))) ? 0 : 1;
  });
}
