/**
 * Whether the bench pins its processes to cores, and how a process is started pinned. With two or
 * more cores and `taskset` on the machine, the server process runs on core 0 and every measured
 * client on core 1: a client then never waits for the servers' CPU time nor they for its, so a
 * round's figures are the client's own. Without pinning the report says the figures are noisier,
 * because the servers and the client share the cores and each run's share differs.
 *
 * One scenario asks for more: `cpu` measures what a second core buys, and a client held to core 1
 * has none to use, so when the bench pins, that scenario's clients may run on every core (the servers
 * stay on core 0) — every model alike, so the single-threaded ones lose nothing and the comparison
 * stays honest, and the scenario's note says so.
 *
 * The decision is a pure function of what the machine offers, so it is tested without the machine.
 */

/** What the bench decided, as the report's environment keeps it. */
export interface Pinning {
  readonly pinned: boolean;
  readonly serverCore?: number;
  readonly clientCore?: number;
  /** One sentence for the report: where things ran, or why they were not pinned. */
  readonly note: string;
}

const unpinnedCost = 'figures are noisier (the servers and the client share the cores)';

/** Pins when asked to (`--no-pin` says no), the machine has two cores or more and `taskset` exists. */
export function choosePinning(cores: number, tasksetPresent: boolean, wanted: boolean): Pinning {
  const why = !wanted
    ? '--no-pin'
    : cores < 2
      ? `${cores} core`
      : !tasksetPresent
        ? 'no taskset on this machine'
        : undefined;
  if (why !== undefined) return { pinned: false, note: `not pinned (${why}): ${unpinnedCost}` };
  return { pinned: true, serverCore: 0, clientCore: 1, note: 'pinned: servers on core 0, clients on core 1' };
}

/** `argv` run on `core` (`taskset -c` execs it, so the pid is the same process), or unchanged without one. */
export function pinnedArgv(core: number | undefined, argv: readonly string[]): string[] {
  return core === undefined ? [...argv] : ['taskset', '-c', String(core), ...argv];
}

/** Where a scenario's clients run when the bench pins: on the client core (the default), or on every core. */
export type ClientCores = 'one' | 'every';

/** The core a scenario's clients are pinned to: the client core, or none for a scenario whose clients use every core. */
export function clientCoreFor(pinning: Pinning, cores: ClientCores = 'one'): number | undefined {
  return cores === 'every' ? undefined : pinning.clientCore;
}

/** What the report says of a scenario whose clients do not run where the bench's note says; `undefined` otherwise. */
export function clientCoresNote(pinning: Pinning, cores: ClientCores = 'one'): string | undefined {
  if (!pinning.pinned || cores === 'one') return undefined;
  return `clients on every core, every model alike (servers on core ${pinning.serverCore}): this scenario measures what more cores buy`;
}
