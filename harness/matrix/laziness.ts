/**
 * Dimension 12, laziness: is a fetch described before it runs, and does asking for its results
 * twice fetch twice? The probe builds the request and waits without asking for results — until a
 * connection comes, or `unaskedMs` — then asks twice; the server counts the connections after each
 * step. The wait is long because an eager model may be slow to connect: `workers` starts its threads
 * first, and on a busy machine that took longer than the 200 ms the probe once waited, so the row
 * called it lazy.
 *
 * The request is what the model's data offers: its `describe` (an Effect, a cold Observable) when
 * it has one; otherwise the contract's `getPoems`, whose promise has started the work by the time
 * it is returned, and the cell says so. Asking twice is running the description twice, or awaiting
 * the one promise twice.
 */
import type { PoemRequest } from '../../poetry/contract.ts';
import { poems } from '../../poetry/poems/index.ts';
import { startFastServer } from '../../poetry/servers/index.ts';
import { failed, measured, type Probe, single } from './cell.ts';
import { childFunction } from './child.ts';
import { until } from './lab.ts';

/** How long a built request is left alone in the model's process before it answers. */
const idleMs = 200;
/** How long, in all, the probe waits for an unasked request to connect before calling it lazy. */
const unaskedMs = 2000;

/** The request built by `buildInChild`, waiting in the model process for `askTwiceInChild`. */
let built: PoemRequest | undefined;

export const buildInChild = childFunction<{ address: { host: string; port: number } }, { via: string }>(
  import.meta.url,
  'buildInChild',
  async (model, { address }) => {
    const addresses = [address];
    if (model.describe) {
      built = model.describe(addresses);
    } else {
      const promise = model.getPoems(addresses);
      built = { run: () => promise };
    }
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    return { via: model.describe ? 'describe' : 'getPoems' };
  },
);

export const askTwiceInChild = childFunction<Record<string, never>, { poems: number }>(
  import.meta.url,
  'askTwiceInChild',
  async () => {
    const request = built;
    built = undefined;
    if (!request) throw new Error('no request was built');
    const runs = [await request.run(), await request.run()];
    return { poems: runs.flat().filter((result) => result.ok).length };
  },
);

export const laziness: Probe = {
  id: 12,
  title: 'Laziness',
  says: 'does building the request connect before results are asked for? does asking twice fetch twice?',
  file: 'harness/matrix/laziness.ts',
  better: 'lower',
  stable: true,
  budgetMs: 15_000,
  async measure({ client, lab, signal }) {
    const server = await lab.keep(startFastServer({ poem: poems.kettle.text }));
    const { via } = await client.call(buildInChild, { address: server.address }, signal);
    await until(() => server.stats.connections > 0, unaskedMs - idleMs, signal);
    const early = server.stats.connections;
    const asked = await client.call(askTwiceInChild, {}, signal);
    await until(() => server.stats.connections > 0, 1000, signal);
    const total = server.stats.connections;
    const figures = { via, connectionsBeforeAsking: early, connectionsAfterAskingTwice: total, poems: asked.poems };
    if (asked.poems !== 2) return single(failed(`asked twice, got ${asked.poems} poems, not 2`, figures));
    const building =
      early === 0
        ? 'lazy: nothing connects until asked'
        : `eager: ${via === 'getPoems' ? 'getPoems connects' : 'connects'} before asked`;
    const twice = total - early > 1 || total > 1 ? `asked twice, fetches ${total}×` : 'asked twice, fetches once';
    const text = `${building}; ${twice}`;
    return single(measured(text, figures, { stable: text, score: early === 0 ? 0 : 1 }));
  },
};
