/**
 * The peers: clients of our own in the languages the models descend from (Python/Twisted, Erlang,
 * Haskell), run by the bench beside the models against the same servers. A peer is not a model: it
 * is a subprocess in another language that prints one JSON document (`PeerDocument`) in the shape of
 * the bench's digests, with its own elapsed time, CPU time and peak memory, so the interpreter's or
 * VM's start-up is reported apart instead of hidden in the figure.
 *
 * This file says which peers there are, which model each is the ancestor of, how each is run, and
 * whether it is ready on this machine (`checkPeer`), with the one hint a missing peer's row shows.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunMeasure, TaskDigest } from '../model-process.ts';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export const peerNames = ['twisted', 'twisted-inline', 'erlang', 'haskell'] as const;
export type PeerName = (typeof peerNames)[number];

export interface Peer {
  readonly name: PeerName;
  readonly title: string;
  /** The models this peer is the original of: the report sets them side by side. */
  readonly descendants: readonly string[];
  /** The peer's source, from the project root. */
  readonly source: string;
}

export const peers: readonly Peer[] = [
  {
    name: 'twisted',
    title: 'Twisted peer: protocol, factory and reactor in callbacks (Python)',
    descendants: ['reactor', 'deferred'],
    source: 'bench/peers/twisted/callbacks.py',
  },
  {
    name: 'twisted-inline',
    title: 'Twisted peer: inlineCallbacks generators (Python)',
    descendants: ['generators'],
    source: 'bench/peers/twisted/inline.py',
  },
  {
    name: 'erlang',
    title: 'Erlang peer: spawn_monitor per download, passive gen_tcp (escript)',
    descendants: ['actors'],
    source: 'bench/peers/erlang/poetry.escript',
  },
  {
    name: 'haskell',
    title: 'Haskell peer: forkIO, lazy hGetContents, MVars (GHC -threaded -O2)',
    descendants: ['lazy'],
    source: 'bench/peers/haskell/Main.hs',
  },
];

/** What a peer's row says when the peer cannot run here. */
export const installHint = 'not installed: npm run peers -- install';

/** The scenarios where each model is judged against its ancestor (it should be faster, wall time). */
export const ancestorGoalScenarios: readonly string[] = ['many-fast', 'many-slow-5000'];

/** The peer a model descends from, if it has one. */
export function ancestorOf(model: string): Peer | undefined {
  return peers.find((peer) => peer.descendants.includes(model));
}

/** The folder the install step builds into (git-ignored): compiled once, never at bench time. */
export const buildDir = path.join(projectRoot, 'bench/peers/build');
export const haskellBinary = path.join(buildDir, 'haskell-peer');

/** Debian's packages for every peer's toolchain. */
export const debianPackages = [
  'python3-twisted',
  'erlang-base',
  'erlang-crypto',
  'ghc',
  'libghc-network-dev',
  'libghc-cryptohash-sha256-dev',
] as const;

export type Readiness =
  | { readonly ready: true; readonly argv: readonly string[]; readonly runtime: string }
  | { readonly ready: false; readonly why: string };

interface Output {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a short command to look at the machine; never throws (a missing program is `ok: false`). */
export function probe(command: string, args: readonly string[]): Promise<Output> {
  return new Promise((resolve) => {
    execFile(command, [...args], { cwd: projectRoot, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ ok: error === null, stdout: stdout.trim(), stderr: stderr.trim() }),
    );
  });
}

/**
 * The interpreter the Twisted peers run on: `/usr/bin/python3` (Debian's, where `python3-twisted`
 * installs), or else the first `python3` on the PATH if that one has Twisted. The PATH's may be
 * another interpreter (pyenv, a virtualenv) without Twisted, so the choice is said, not assumed.
 */
async function twistedPython(): Promise<Readiness> {
  const onPath = (await probe('bash', ['-c', 'command -v python3'])).stdout;
  const candidates = [...new Set(['/usr/bin/python3', ...(onPath ? [onPath] : [])])];
  for (const python of candidates) {
    const found = await probe(python, [
      '-c',
      'import sys, twisted; print(sys.version.split()[0], twisted.__version__)',
    ]);
    if (!found.ok) continue;
    const [version = '?', twisted = '?'] = found.stdout.split(' ');
    const other = onPath && onPath !== python ? ` (the python3 on PATH, ${onPath}, is another interpreter)` : '';
    return { ready: true, argv: [python, '-B'], runtime: `${python}: Python ${version}, Twisted ${twisted}${other}` };
  }
  return { ready: false, why: `no Twisted for ${candidates.join(' or ')} (Debian's python3-twisted)` };
}

/** Whether `peer` can run here, and how: the command line that runs it, before its own arguments. */
export async function checkPeer(peer: Peer): Promise<Readiness> {
  const source = path.join(projectRoot, peer.source);
  switch (peer.name) {
    case 'twisted':
    case 'twisted-inline': {
      const python = await twistedPython();
      return python.ready ? { ...python, argv: [...python.argv, source] } : python;
    }
    case 'erlang': {
      // escript is in erlang-base; crypto (for SHA-256) is a package of its own on Debian.
      const erl = await probe('erl', [
        '-noshell',
        '-eval',
        'io:format("~s", [erlang:system_info(otp_release)]), halt(case code:which(crypto) of non_existing -> 3; _ -> 0 end)',
      ]);
      if (erl.stdout === '') return { ready: false, why: 'no erl or escript on PATH (Debian: erlang-base)' };
      if (!erl.ok) return { ready: false, why: `Erlang/OTP ${erl.stdout} has no crypto application (erlang-crypto)` };
      return { ready: true, argv: ['escript', source], runtime: `escript, Erlang/OTP ${erl.stdout}` };
    }
    case 'haskell': {
      if (!existsSync(haskellBinary))
        return { ready: false, why: `not built (${path.relative(projectRoot, haskellBinary)})` };
      if (statSync(haskellBinary).mtimeMs < statSync(source).mtimeMs) {
        return { ready: false, why: `${peer.source} changed since it was built: build it again` };
      }
      return { ready: true, argv: [haskellBinary], runtime: 'GHC build, -threaded -O2' };
    }
  }
}

/** The peer's own arguments for a run: the scenario's timeout and limit, and the file of addresses. */
export function peerArguments(
  options: { readonly timeoutMs?: number; readonly concurrency?: number },
  addressFile: string,
): string[] {
  return [
    ...(options.timeoutMs !== undefined ? ['--timeout', String(options.timeoutMs / 1000)] : []),
    ...(options.concurrency !== undefined ? ['--concurrency', String(options.concurrency)] : []),
    '--addresses',
    addressFile,
  ];
}

/** What a peer prints: the bench's digests and the peer's own figures of its measured window. */
export interface PeerDocument {
  /** The interpreter or runtime that ran, as the peer sees itself. */
  readonly runtime: string;
  /** The wall-clock instant (ms since the epoch) just before the first connect. */
  readonly startedAtMs: number;
  /** From just before the first connect to the last result. */
  readonly elapsedMs: number;
  readonly userMs: number;
  readonly systemMs: number;
  readonly maxRssMB: number;
  readonly results: readonly TaskDigest[];
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The peer's document, or why its output is not one (the bench marks the run failed with that). */
export function readPeerDocument(stdout: string): PeerDocument | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return `its output is not one JSON document: ${JSON.stringify(stdout.slice(0, 200))}`;
  }
  if (typeof parsed !== 'object' || parsed === null) return 'its output is not a JSON object';
  const document = parsed as Record<string, unknown>;
  const figures = ['startedAtMs', 'elapsedMs', 'userMs', 'systemMs', 'maxRssMB'] as const;
  const missing = figures.filter((key) => !isNumber(document[key]));
  if (missing.length > 0) return `its document lacks ${missing.join(', ')}`;
  if (!Array.isArray(document.results)) return 'its document has no results';
  return parsed as PeerDocument;
}

/** A peer's run as the bench measures every run: its elapsed time is the wall time; its process has exited, so nothing is left open. */
export function peerMeasure(document: PeerDocument): RunMeasure {
  return {
    wallMs: document.elapsedMs,
    userMs: document.userMs,
    systemMs: document.systemMs,
    maxRssMB: document.maxRssMB,
    results: document.results,
    events: [],
    leaked: {},
  };
}

/** An exit code that contradicts the results (0 with a poem missing, 1 with every poem there) breaks the peer's contract. */
export function exitCodeProblem(document: PeerDocument, exitCode: number | null): string | undefined {
  const everyPoem = document.results.every((result) => result.ok);
  if (exitCode === (everyPoem ? 0 : 1)) return undefined;
  return `exit code ${exitCode} ${everyPoem ? 'with every poem there' : 'with a poem missing'} (a peer exits 0 only when every poem arrived, 1 otherwise)`;
}
