/**
 * The server process of one scenario: starts the scenario's servers (the project's own, from
 * `poetry/servers/`), then prints one JSON line on stdout naming every endpoint with the length and
 * SHA-256 of the poem it serves, and its schedule if it is slow. The harness verifies every client
 * result against those figures, so "byte-exact" is decided by what the server actually sent.
 *
 * It runs apart from the client being measured, so the servers' CPU and memory never count against a
 * model. Each line `cpu` on stdin is answered with a line of its own CPU time so far, so the harness
 * can tell when the servers rather than the client limit a run. It stops, closing every server, when
 * its stdin ends (the harness closes it, or dies).
 *
 * Usage: `node --import tsx bench/server-process.ts '<servers JSON>'`
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Address } from '../poetry/contract.ts';
import { classicPoems, generatePoem, poems } from '../poetry/poems/index.ts';
import {
  refusingAddress,
  startClassicServers,
  startFastServer,
  startFaultyServer,
  startSlowServer,
} from '../poetry/servers/index.ts';
import type { PoemSource, ServerSpec } from './scenarios.ts';

/** One address a client may be sent to, with what it must get there. */
export interface Endpoint {
  readonly address: Address;
  /** Length and SHA-256 of the poem this endpoint serves in full; absent for faulty and refusing ones. */
  readonly bytes?: number;
  readonly sha256?: string;
  /** For slow servers: the schedule (`ticks × delay`) and its pace. */
  readonly scheduleSeconds?: number;
  readonly numBytes?: number;
  readonly delay?: number;
}

export interface ServersReady {
  readonly endpoints: Readonly<Record<string, readonly Endpoint[]>>;
}

function poemBytes(source: PoemSource): Buffer {
  return 'name' in source ? Buffer.from(poems[source.name].text) : generatePoem(source.generated, source.seed);
}

function digest(poem: Uint8Array): { bytes: number; sha256: string } {
  return { bytes: poem.byteLength, sha256: createHash('sha256').update(poem).digest('hex') };
}

const closers: Array<() => Promise<void>> = [];

async function startGroup(spec: ServerSpec): Promise<Endpoint[]> {
  const count = 'count' in spec ? (spec.count ?? 1) : 1;
  switch (spec.kind) {
    case 'classic': {
      const classic = await startClassicServers({ speedup: spec.speedup });
      closers.push(() => classic.close());
      return classic.servers.map((server, index) => ({
        address: server.address,
        ...digest(Buffer.from(poems[classicPoems[index]!].text)),
        scheduleSeconds: server.schedule.seconds,
        numBytes: server.schedule.numBytes,
        delay: server.schedule.delay,
      }));
    }
    case 'slow': {
      const poem = poemBytes(spec.poem);
      const servers = await Promise.all(
        Array.from({ length: count }, () => startSlowServer({ poem, numBytes: spec.numBytes, delay: spec.delay })),
      );
      closers.push(...servers.map((server) => () => server.close()));
      return servers.map((server) => ({
        address: server.address,
        ...digest(poem),
        scheduleSeconds: server.schedule.seconds,
        numBytes: spec.numBytes,
        delay: spec.delay,
      }));
    }
    case 'fast': {
      // One preallocated Buffer shared by every server of the group: serving costs a write, not a copy.
      const poem = poemBytes(spec.poem);
      const servers = await Promise.all(Array.from({ length: count }, () => startFastServer({ poem })));
      closers.push(...servers.map((server) => () => server.close()));
      return servers.map((server) => ({ address: server.address, ...digest(poem) }));
    }
    case 'faulty': {
      const servers = await Promise.all(Array.from({ length: count }, () => startFaultyServer({ mode: spec.mode })));
      closers.push(...servers.map((server) => () => server.close()));
      return servers.map((server) => ({ address: server.address }));
    }
    case 'refused':
      return [{ address: await refusingAddress() }];
  }
}

async function main(): Promise<void> {
  const specs = JSON.parse(process.argv[2] ?? '{}') as Record<string, ServerSpec>;
  const endpoints: Record<string, Endpoint[]> = {};
  for (const [group, spec] of Object.entries(specs)) endpoints[group] = await startGroup(spec);
  const ready: ServersReady = { endpoints };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    if (line.trim() !== 'cpu') return;
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuMs: (user + system) / 1000 })}\n`);
  });
  commands.on('close', () => {
    void Promise.all(closers.map((close) => close())).then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`server process: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
