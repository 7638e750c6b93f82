/**
 * The world one conformance case runs in: the real servers it starts (all closed at the end of the
 * case, before the leak check) and a way to run a model that records its events and checks them
 * against its results, so no case can pass with a malformed event stream.
 */
import type { Address, GetPoemsOptions, Model, PoemResult, PoetryEvent } from '../../poetry/contract.ts';
import {
  type FaultyServerOptions,
  type PoetryServer,
  type SlowPoetryServer,
  type SlowServerOptions,
  startFastServer,
  startFaultyServer,
  startSlowServer,
  startTransformServer,
  type TransformServerOptions,
} from '../../poetry/servers/index.ts';
import { type PoetryConnection, startServer } from '../../poetry/servers/server.ts';
import { eventProblems } from './events.ts';

export class World {
  readonly #servers: PoetryServer[] = [];

  slow(options: SlowServerOptions): Promise<SlowPoetryServer> {
    return this.#keep(startSlowServer(options));
  }

  fast(poem: string | Uint8Array): Promise<PoetryServer> {
    return this.#keep(startFastServer({ poem }));
  }

  transform(options: TransformServerOptions = {}): Promise<PoetryServer> {
    return this.#keep(startTransformServer(options));
  }

  faulty(options: FaultyServerOptions): Promise<PoetryServer> {
    return this.#keep(startFaultyServer(options));
  }

  /**
   * A server that holds each connection `holdSeconds` before sending `poem`, and counts how many it
   * is serving at once. A connection stops counting when the server has sent its last byte, not
   * when its close is processed: a client that hangs up and reconnects within one turn of the loop
   * can have its new connection accepted before its old one's close is seen (the shared servers'
   * `stats.maxActive` then reads K + 1 for a client that never had more than K open). Serving
   * happens strictly inside the client's connection, so `maxServing` never over-counts.
   */
  async gauge(poem: string, holdSeconds: number): Promise<PoetryServer & { readonly maxServing: number }> {
    let serving = 0;
    let maxServing = 0;
    const server = await this.#keep(
      startServer({
        kind: 'slow',
        serve(connection) {
          serving += 1;
          maxServing = Math.max(maxServing, serving);
          let counted = true;
          const stopCounting = () => {
            if (counted) serving -= 1;
            counted = false;
          };
          connection.socket.once('close', stopCounting);
          connection.after(holdSeconds, () =>
            connection.sendAll(Buffer.from(poem), () => {
              stopCounting();
              connection.finish();
            }),
          );
        },
      }),
    );
    return {
      ...server,
      get maxServing() {
        return maxServing;
      },
    };
  }

  /**
   * `count` servers that hold every connection, sending nothing, until `total` are open across all
   * of them, then send `poem` on each and close it. `mostHeld` is the most that were open at once,
   * so `mostHeld === total` proves the client held them all together, however slowly it connected.
   * A connection still waiting after `giveUpSeconds` gets its poem anyway, so a client that cannot
   * hold `total` is shown to fall short instead of hanging.
   */
  async barrier(
    poem: string,
    { count, total, giveUpSeconds = 10 }: { count: number; total: number; giveUpSeconds?: number },
  ): Promise<{ readonly servers: readonly PoetryServer[]; readonly mostHeld: number }> {
    const bytes = Buffer.from(poem);
    const held = new Set<PoetryConnection>();
    let mostHeld = 0;
    const release = (connection: PoetryConnection) => {
      if (held.delete(connection)) connection.sendAll(bytes, () => connection.finish());
    };
    const servers = await Promise.all(
      Array.from({ length: count }, () =>
        this.#keep(
          startServer({
            kind: 'slow',
            serve(connection) {
              held.add(connection);
              mostHeld = Math.max(mostHeld, held.size);
              connection.socket.once('close', () => held.delete(connection));
              if (held.size >= total) for (const waiting of [...held]) release(waiting);
              else connection.after(giveUpSeconds, () => release(connection));
            },
          }),
        ),
      ),
    );
    return {
      servers,
      get mostHeld() {
        return mostHeld;
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#servers.map((server) => server.close()));
  }

  async #keep<T extends PoetryServer>(starting: Promise<T>): Promise<T> {
    const server = await starting;
    this.#servers.push(server);
    return server;
  }
}

export interface Run {
  readonly results: PoemResult[];
  readonly events: PoetryEvent[];
}

/** Runs `model`, recording its events; throws, listing every problem, if events and results disagree. */
export async function fetchPoems(
  model: Model,
  addresses: readonly Address[],
  options: GetPoemsOptions = {},
): Promise<Run> {
  const events: PoetryEvent[] = [];
  const results = await model.getPoems(addresses, {
    ...options,
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  });
  const problems = eventProblems(addresses, events, results, { transformed: options.transform !== undefined });
  if (problems.length > 0) throw new Error(`${model.name}: events disagree with the contract:\n${problems.join('\n')}`);
  return { results, events };
}
