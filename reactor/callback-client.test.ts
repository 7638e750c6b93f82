/**
 * The callback client's own promises (the conformance suite checks the rest): each download ends
 * in exactly one of callback or errback, and its timeout does not outlive it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Address, PoetryError } from '../poetry/contract.ts';
import { poems } from '../poetry/poems/index.ts';
import type { PoetryServer } from '../poetry/servers/index.ts';
import { startFastServer, startFaultyServer, startTransformServer } from '../poetry/servers/index.ts';
import { type Download, getPoetry, transformPoem } from './callback-client.ts';
import { Reactor } from './reactor.ts';

const kettle = poems.kettle.text;
const servers: PoetryServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(server: Promise<PoetryServer>): Promise<Address> {
  const started = await server;
  servers.push(started);
  return started.address;
}

/** Runs one download and keeps the reactor going `linger` seconds after its first outcome, to catch a second. */
async function download(address: Address, timeoutMs: number | undefined, after?: (d: Download) => void) {
  const reactor = new Reactor();
  const outcomes: { poem?: string; error?: PoetryError }[] = [];
  let pendingAfterOutcome = -1;
  const settle = () => {
    if (outcomes.length > 1) return;
    pendingAfterOutcome = reactor.getDelayedCalls().length;
    reactor.callLater(0.2, () => reactor.stop());
  };
  reactor.callWhenRunning(() => {
    const d = getPoetry(
      reactor,
      address,
      (poem) => {
        outcomes.push({ poem });
        settle();
      },
      (error) => {
        outcomes.push({ error });
        settle();
      },
      { timeoutMs },
    );
    after?.(d);
  });
  await reactor.run();
  return { outcomes, pendingAfterOutcome };
}

describe('getPoetry (callbacks)', () => {
  it('calls back with the poem and cancels its timeout when the poem arrives first', async () => {
    const address = await serve(startFastServer({ poem: kettle }));
    const { outcomes, pendingAfterOutcome } = await download(address, 60_000);
    expect(outcomes).toEqual([{ poem: kettle }]);
    expect(pendingAfterOutcome).toBe(0);
  });

  it('a timeout errbacks once; the connection closing afterwards does not call back again', async () => {
    const address = await serve(startFaultyServer({ mode: 'stall' }));
    const { outcomes } = await download(address, 50);
    expect(outcomes.map((o) => o.error?.code)).toEqual(['TIMEOUT']);
  });

  it('bad UTF-8 errbacks once, though the connection is then aborted and lost', async () => {
    const address = await serve(startFaultyServer({ mode: 'bad-utf8' }));
    const { outcomes } = await download(address, undefined);
    expect(outcomes.map((o) => o.error?.code)).toEqual(['BAD_ENCODING']);
  });

  it('cancel errbacks CANCELLED once, whether connecting or connected, and is a no-op after the end', async () => {
    const address = await serve(startFaultyServer({ mode: 'stall' }));
    const whileConnecting = await download(address, undefined, (d) => d.cancel());
    expect(whileConnecting.outcomes.map((o) => o.error?.code)).toEqual(['CANCELLED']);

    const fast = await serve(startFastServer({ poem: kettle }));
    let held: Download | undefined;
    const finished = await download(fast, undefined, (d) => {
      held = d;
    });
    held?.cancel();
    expect(finished.outcomes).toEqual([{ poem: kettle }]);
  });

  it('transformPoem keeps the original and says why when the transform fails', async () => {
    const address = await serve(startTransformServer());
    const reactor = new Reactor();
    const answers: { poem: string; code: string | undefined }[] = [];
    reactor.callWhenRunning(() => {
      for (const name of ['cummingsify', 'fail']) {
        transformPoem(reactor, 'Hello World', { address, name }, (poem, error) => {
          answers.push({ poem, code: error?.code });
          if (answers.length === 2) reactor.stop();
        });
      }
    });
    await reactor.run();
    expect(answers).toContainEqual({ poem: 'hello world', code: undefined });
    expect(answers).toContainEqual({ poem: 'Hello World', code: 'TRANSFORM_FAILED' });
  });
});
