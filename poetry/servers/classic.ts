/**
 * The classic trio: the three slow servers the series' clients are run against, started and
 * stopped together as one service group. The long poem goes out 30 bytes a tick and the two short
 * ones 10 bytes a tick, so the long one is the slowest; a blocking client takes the sum of their
 * schedules, a concurrent one about the longest. `speedup` divides the delay so `npm start` and
 * the tests can run the same shape in seconds.
 */
import { classicPoems, poems } from '../poems/index.ts';
import type { ListenOptions } from './server.ts';
import { type SlowPoetryServer, startSlowServer } from './slow.ts';

export interface ClassicServersOptions extends ListenOptions {
  /** Seconds between ticks before `speedup`; default 0.7, the series' default. */
  readonly delay?: number;
  /** Divides `delay`; default 1. */
  readonly speedup?: number;
  /** With a non-zero `port`, the servers listen on `port`, `port + 1` and `port + 2`. */
  readonly port?: number;
  readonly serial?: boolean;
}

export interface ClassicServers {
  readonly servers: readonly SlowPoetryServer[];
  /** The slowest server's schedule: what a perfectly concurrent client takes. */
  readonly idealSeconds: number;
  /** The sum of the schedules: what a blocking client takes. */
  readonly blockingSeconds: number;
  close(): Promise<void>;
}

const bytesPerTick = [30, 10, 10];

export async function startClassicServers(options: ClassicServersOptions = {}): Promise<ClassicServers> {
  const delay = (options.delay ?? 0.7) / (options.speedup ?? 1);
  const basePort = options.port ?? 0;
  const started = await Promise.allSettled(
    classicPoems.map((name, index) =>
      startSlowServer({
        ...options,
        poem: poems[name].text,
        numBytes: bytesPerTick[index]!,
        delay,
        port: basePort === 0 ? 0 : basePort + index,
      }),
    ),
  );
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const close = async () => {
    await Promise.all(servers.map((server) => server.close()));
  };
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    // Started together or not at all: a trio with a missing member would give misleading timings.
    await close();
    throw failure.reason;
  }
  const seconds = servers.map((server) => server.schedule.seconds);
  return {
    servers,
    idealSeconds: Math.max(...seconds),
    blockingSeconds: seconds.reduce((sum, s) => sum + s, 0),
    close,
  };
}
