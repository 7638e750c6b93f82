/**
 * The conformance suite: what every model in the registry must do, checked against real servers on
 * loopback. Each case runs once per model (`MODELS=a,b` picks some); a model passes it unchanged or
 * not at all. The cases cover what the series' own clients got wrong:
 * a refused address losing the other poems, an all-failed run, a UTF-8 character split across reads,
 * more than 1,024 connections at once.
 *
 * Every case also checks, through `World` and `fetchPoems`, that the model's events agree with its
 * results, and afterwards that nothing it opened — socket, server, timer — is still open.
 */
import { describe, expect, it, vi } from 'vitest';
import { analysePoem } from '../../poetry/analyse.ts';
import type { PoemResult } from '../../poetry/contract.ts';
import { activeResources, leaksSince } from '../../poetry/leaks.ts';
import { poems } from '../../poetry/poems/index.ts';
import { refusingAddress } from '../../poetry/servers/index.ts';
import { selectedModels } from './selected.ts';
import { fetchPoems, World } from './world.ts';

/** The cases that need downloads to overlap; only these can be exempted, and only below. */
type ConcurrencyCase = 'downloads overlap' | 'keeps the limit full' | 'holds more than 1,024 connections at once';

/** The one place where a model is excused from a case, and why. Nothing else is ever skipped. */
const exemptions: Readonly<Record<string, { readonly cases: readonly ConcurrencyCase[]; readonly reason: string }>> = {
  blocking: {
    cases: ['downloads overlap', 'keeps the limit full', 'holds more than 1,024 connections at once'],
    reason: 'it exists to show the sum: one download at a time is its definition, not a defect',
  },
};

const tested = selectedModels();
console.log(`conformance: testing ${tested.map((model) => model.name).join(', ') || '(no models)'}`);
for (const [name, { cases, reason }] of Object.entries(exemptions)) {
  if (tested.some((model) => model.name === name))
    console.log(`conformance: ${name} is exempt from ${cases.join('; ')}: ${reason}`);
}

const ferry = poems['night-ferry'].text;
const semaphore = poems.semaphore.text;
const kettle = poems.kettle.text;
const smallHours = poems['small-hours'].text;
/** The lines of the multi-byte poem that hold 2-, 3- and 4-byte characters: short, and dense with them. */
const multiByte = `${poems['border-cafe'].text
  .split('\n')
  .filter((line) => Buffer.byteLength(line) > line.length)
  .join('\n')}\n`;

function poemsOf(results: readonly PoemResult[]): (string | undefined)[] {
  return results.map((result) => (result.ok ? result.poem : undefined));
}

function codesOf(results: readonly PoemResult[]): (string | undefined)[] {
  return results.map((result) => (result.ok ? undefined : result.error.code));
}

/** An abort controller that fires on the turn after the first chunk arrives: mid-download. */
function abortOnFirstChunk(): { controller: AbortController; onEvent: (event: { type: string }) => void } {
  const controller = new AbortController();
  return {
    controller,
    onEvent: (event) => {
      if (event.type === 'chunk' && !controller.signal.aborted) setImmediate(() => controller.abort());
    },
  };
}

/** What `body` resolves to, and every process warning raised while it ran (they are emitted a tick late). */
async function warningsDuring<T>(body: () => Promise<T>): Promise<{ value: T; warnings: string[] }> {
  const warnings: string[] = [];
  const listen = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  process.on('warning', listen);
  try {
    const value = await body();
    await new Promise((resolve) => setImmediate(resolve));
    return { value, warnings };
  } finally {
    process.off('warning', listen);
  }
}

describe.each(tested)('model $name', (model) => {
  const exempt = new Set(exemptions[model.name]?.cases ?? []);

  /** A case: servers from `world` are closed afterwards, then nothing the model opened may be left. */
  const conformance = (name: string, body: (world: World) => Promise<void>) =>
    it(name, async () => {
      const before = activeResources();
      const world = new World();
      try {
        await body(world);
      } finally {
        await world.close();
      }
      const leaked = await leaksSince(before);
      expect(leaked, `${model.name} left these open after "${name}"`).toEqual([]);
    });

  const concurrencyCase = (name: ConcurrencyCase, body: (world: World) => Promise<void>) => {
    if (!exempt.has(name)) conformance(name, body);
  };

  conformance('poems arrive intact and in input order from several slow servers at once', async (world) => {
    // The first server is the slowest, so completion order differs from input order.
    const servers = [
      await world.slow({ poem: ferry, numBytes: 300, delay: 0.01 }),
      await world.slow({ poem: semaphore, numBytes: 100, delay: 0.005 }),
      await world.slow({ poem: kettle, numBytes: 60, delay: 0.005 }),
    ];
    const { results } = await fetchPoems(
      model,
      servers.map((server) => server.address),
    );
    expect(poemsOf(results)).toEqual([ferry, semaphore, kettle]);
  });

  conformance('a UTF-8 character split across chunks is decoded intact (1 to 7 bytes a chunk)', async (world) => {
    const servers = [];
    for (let numBytes = 1; numBytes <= 7; numBytes++)
      servers.push(await world.slow({ poem: multiByte, numBytes, delay: 0.001 }));
    const { results, events } = await fetchPoems(
      model,
      servers.map((server) => server.address),
    );
    expect(poemsOf(results)).toEqual(servers.map(() => multiByte));
    // The one-byte server really did split every character: it took one chunk per byte at most.
    expect(events.filter((event) => event.type === 'chunk' && event.task === 1).length).toBeGreaterThan(1);
  });

  concurrencyCase('downloads overlap', async (world) => {
    // About 0.3 s each, in 10 to 14 chunks: time for every download to start before any ends.
    const servers = [
      await world.slow({ poem: semaphore, numBytes: 50, delay: 0.02 }),
      await world.slow({ poem: kettle, numBytes: 50, delay: 0.025 }),
      await world.slow({ poem: smallHours, numBytes: 50, delay: 0.025 }),
    ];
    const { results, events } = await fetchPoems(
      model,
      servers.map((server) => server.address),
    );
    expect(poemsOf(results)).toEqual([semaphore, kettle, smallHours]);
    // Every download has started before any one has finished: their chunks interleave.
    const chunkPositions = (task: number) =>
      events.flatMap((event, at) => (event.type === 'chunk' && event.task === task ? [at] : []));
    const firsts = [1, 2, 3].map((task) => Math.min(...chunkPositions(task)));
    const lasts = [1, 2, 3].map((task) => Math.max(...chunkPositions(task)));
    expect(Math.max(...firsts)).toBeLessThan(Math.min(...lasts));
  });

  conformance(
    'refused, reset, stalled and bad-UTF-8 servers each give their own error; the others succeed',
    async (world) => {
      const good = await world.slow({ poem: kettle, numBytes: 100, delay: 0.005 });
      const reset = await world.faulty({ mode: 'reset' });
      const stall = await world.faulty({ mode: 'stall' });
      const badUtf8 = await world.faulty({ mode: 'bad-utf8' });
      const last = await world.fast(semaphore);
      const addresses = [
        good.address,
        await refusingAddress(),
        reset.address,
        stall.address,
        badUtf8.address,
        last.address,
      ];
      const { results } = await fetchPoems(model, addresses, { timeoutMs: 500 });
      expect(codesOf(results)).toEqual([undefined, 'REFUSED', 'RESET', 'TIMEOUT', 'BAD_ENCODING', undefined]);
      expect(poemsOf(results)).toEqual([kettle, undefined, undefined, undefined, undefined, semaphore]);
      for (const result of results) {
        if (!result.ok) expect(result.error.address).toBe(result.address);
      }
    },
  );

  conformance('a download slower than timeoutMs fails with TIMEOUT and the client hangs up', async (world) => {
    // About 2.9 s to send in full, against a 150 ms timeout.
    const slow = await world.slow({ poem: ferry, numBytes: 10, delay: 0.01 });
    const { results } = await fetchPoems(model, [slow.address], { timeoutMs: 150 });
    expect(codesOf(results)).toEqual(['TIMEOUT']);
    await vi.waitFor(() => expect(slow.stats.closedByClient).toBe(1), { timeout: 2000 });
  });

  conformance('aborting the signal mid-download cancels every poem and closes every connection', async (world) => {
    // Each takes about 2.9 s in full; the abort comes right after the first chunk.
    const servers = [
      await world.slow({ poem: ferry, numBytes: 10, delay: 0.01 }),
      await world.slow({ poem: ferry, numBytes: 10, delay: 0.01 }),
      await world.slow({ poem: ferry, numBytes: 10, delay: 0.01 }),
    ];
    const { controller, onEvent } = abortOnFirstChunk();
    const { results } = await fetchPoems(
      model,
      servers.map((server) => server.address),
      { signal: controller.signal, onEvent },
    );
    expect(codesOf(results)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    // The client hung up on every connection it had opened, rather than reading on.
    for (const server of servers) {
      await vi.waitFor(() => expect(server.stats.active).toBe(0), { timeout: 2000 });
      expect(server.stats.closedByClient).toBe(server.stats.connections);
    }
  });

  conformance('a signal aborted before the call cancels every poem', async (world) => {
    const server = await world.fast(kettle);
    const controller = new AbortController();
    controller.abort();
    const { results } = await fetchPoems(model, [server.address, server.address], { signal: controller.signal });
    expect(codesOf(results)).toEqual(['CANCELLED', 'CANCELLED']);
  });

  conformance('the concurrency limit is never exceeded (seen at the server)', async (world) => {
    // One server receives every connection, so it sees the client's combined concurrency.
    const shared = await world.gauge(kettle, 0.02);
    const addresses = Array.from({ length: 8 }, () => shared.address);
    const { results } = await fetchPoems(model, addresses, { concurrency: 2 });
    expect(poemsOf(results)).toEqual(addresses.map(() => kettle));
    expect(shared.stats.connections).toBe(8);
    expect(shared.maxServing).toBeLessThanOrEqual(2);
  });

  concurrencyCase('keeps the limit full', async (world) => {
    // Each connection is held 0.2 s, time enough for a loaded machine to open the other two.
    const shared = await world.gauge(kettle, 0.2);
    const addresses = Array.from({ length: 6 }, () => shared.address);
    const { results } = await fetchPoems(model, addresses, { concurrency: 3 });
    expect(poemsOf(results)).toEqual(addresses.map(() => kettle));
    expect(shared.maxServing).toBe(3);
  });

  conformance('the transform server (netstring) transforms every poem', async (world) => {
    const servers = [await world.slow({ poem: semaphore, numBytes: 100, delay: 0.005 }), await world.fast(kettle)];
    const transformer = await world.transform();
    const { results } = await fetchPoems(
      model,
      servers.map((server) => server.address),
      { transform: { address: transformer.address, name: 'cummingsify' } },
    );
    expect(poemsOf(results)).toEqual([semaphore.toLowerCase(), kettle.toLowerCase()]);
    expect(results.map((result) => result.ok && result.transformError)).toEqual([undefined, undefined]);
    expect(transformer.stats.connections).toBe(2);
  });

  conformance(
    'with analyse, each poem comes with the CPU step run on the poem it hands back; without, none',
    async (world) => {
      const servers = [await world.slow({ poem: semaphore, numBytes: 100, delay: 0.005 }), await world.fast(kettle)];
      const addresses = [...servers.map((server) => server.address), await refusingAddress()];
      const analysed = await fetchPoems(model, addresses, { analyse: { rounds: 3 } });
      expect(analysed.results.map((result) => result.ok && result.analysis)).toEqual([
        analysePoem(semaphore, 3),
        analysePoem(kettle, 3),
        false,
      ]);
      // Transformed, it is the transformed poem that is analysed.
      const transformer = await world.transform();
      const transform = { address: transformer.address, name: 'cummingsify' };
      const [transformed] = (await fetchPoems(model, [servers[1]!.address], { analyse: { rounds: 2 }, transform }))
        .results;
      expect(transformed?.ok && transformed.analysis).toEqual(analysePoem(kettle.toLowerCase(), 2));
      const [plain] = (await fetchPoems(model, [servers[1]!.address])).results;
      expect(plain?.ok && 'analysis' in plain).toBe(false);
    },
  );

  conformance('the transform server (raw, half-close) transforms every poem', async (world) => {
    const servers = [await world.fast(semaphore), await world.fast(multiByte)];
    const transformer = await world.transform({ raw: 'cummingsify' });
    const { results } = await fetchPoems(
      model,
      servers.map((server) => server.address),
      { transform: { address: transformer.address, name: 'cummingsify', protocol: 'raw' } },
    );
    expect(poemsOf(results)).toEqual([semaphore.toLowerCase(), multiByte.toLowerCase()]);
  });

  conformance('a failing transform keeps the original poem and says why', async (world) => {
    const server = await world.fast(kettle);
    const failing = await world.transform();
    const failed = await fetchPoems(model, [server.address], {
      transform: { address: failing.address, name: 'fail' },
    });
    const refused = await fetchPoems(model, [server.address], {
      transform: { address: await refusingAddress(), name: 'cummingsify' },
    });
    for (const { results } of [failed, refused]) {
      const [result] = results;
      expect(result?.ok && result.poem).toBe(kettle);
      expect(result?.ok && result.transformError?.code).toBe('TRANSFORM_FAILED');
    }
  });

  conformance('retries recover from a server that resets the first attempts', async (world) => {
    const flaky = await world.faulty({ mode: 'flaky', failFirst: 2, poem: kettle });
    const { results } = await fetchPoems(model, [flaky.address], { retries: 2 });
    expect(poemsOf(results)).toEqual([kettle]);
    expect(flaky.stats.connections).toBe(3);
  });

  conformance('retries run out: the last failure is the result', async (world) => {
    const flaky = await world.faulty({ mode: 'flaky', failFirst: 2, poem: kettle });
    const { results } = await fetchPoems(model, [flaky.address], { retries: 1 });
    expect(codesOf(results)).toEqual(['RESET']);
    expect(flaky.stats.connections).toBe(2);
  });

  conformance('a cancelled download is not retried', async (world) => {
    const slow = await world.slow({ poem: ferry, numBytes: 10, delay: 0.01 });
    const { controller, onEvent } = abortOnFirstChunk();
    const { results } = await fetchPoems(model, [slow.address], { retries: 3, signal: controller.signal, onEvent });
    expect(codesOf(results)).toEqual(['CANCELLED']);
    expect(slow.stats.connections).toBe(1);
  });

  conformance(
    'events: connected, chunks adding up to the poem, then one final event, for tasks 1..n',
    async (world) => {
      const good = await world.slow({ poem: semaphore, numBytes: 50, delay: 0.002 });
      const flaky = await world.faulty({ mode: 'flaky', failFirst: 1, poem: kettle });
      const addresses = [good.address, await refusingAddress(), flaky.address];
      // fetchPoems checks the stream in full; this checks the shape the CLI relies on.
      const { results, events } = await fetchPoems(model, addresses, { retries: 1 });
      expect(codesOf(results)).toEqual([undefined, 'REFUSED', undefined]);
      expect([...new Set(events.map((event) => event.task))].sort()).toEqual([1, 2, 3]);
      const finals = events.filter((event) => event.type === 'done' || event.type === 'failed');
      expect(finals.map((event) => `${event.task}:${event.type}`).sort()).toEqual(['1:done', '2:failed', '3:done']);
      expect(events.filter((event) => event.task === 1 && event.type === 'chunk').length).toBeGreaterThan(1);
    },
  );

  conformance('a refused first address does not lose the reachable poems after it', async (world) => {
    const servers = [await world.slow({ poem: kettle, numBytes: 100, delay: 0.005 }), await world.fast(semaphore)];
    const addresses = [await refusingAddress(), ...servers.map((server) => server.address)];
    const { results } = await fetchPoems(model, addresses);
    expect(codesOf(results)).toEqual(['REFUSED', undefined, undefined]);
    expect(poemsOf(results)).toEqual([undefined, kettle, semaphore]);
  });

  conformance('when every download fails, the call still resolves with every failure', async (world) => {
    const reset = await world.faulty({ mode: 'reset' });
    const addresses = [await refusingAddress(), reset.address, await refusingAddress()];
    const { results } = await fetchPoems(model, addresses);
    expect(codesOf(results)).toEqual(['REFUSED', 'RESET', 'REFUSED']);
  });

  conformance('thousands of downloads under one signal raise no process warning', async (world) => {
    // Node warns past 10 abort listeners on one signal, so a listener per download shows from the
    // 11th. Half the addresses refuse at once, half get a poem: both ends of a download are covered.
    const server = await world.fast(kettle);
    const refused = await refusingAddress();
    const addresses = Array.from({ length: 2000 }, (_, index) => (index % 2 === 0 ? server.address : refused));
    const { signal } = new AbortController();
    const { value, warnings } = await warningsDuring(() => fetchPoems(model, addresses, { signal, concurrency: 50 }));
    expect(warnings).toEqual([]);
    expect(codesOf(value.results)).toEqual(addresses.map((_, index) => (index % 2 === 0 ? undefined : 'REFUSED')));
  });

  conformance("a timeout beyond setTimeout's range (2^31 ms and more) waits: the poems arrive", async (world) => {
    // Node fires a setTimeout of more than 2^31 - 1 ms after 1 ms; this download takes longer than that.
    const slow = await world.slow({ poem: kettle, numBytes: 50, delay: 0.002 });
    const transformer = await world.transform();
    const transform = { address: transformer.address, name: 'cummingsify' };
    const { value, warnings } = await warningsDuring(async () => [
      await fetchPoems(model, [slow.address], { timeoutMs: 2 ** 31 }),
      await fetchPoems(model, [slow.address], { timeoutMs: 3e9, transform }),
    ]);
    const [plain, transformed] = value.map(({ results }) => results[0]);
    expect(plain?.ok && plain.poem).toBe(kettle);
    expect(transformed?.ok && [transformed.poem, transformed.transformError]).toEqual([
      kettle.toLowerCase(),
      undefined,
    ]);
    expect(warnings).toEqual([]);
  });

  concurrencyCase('holds more than 1,024 connections at once', async (world) => {
    // Past select()'s 1,024-descriptor limit. The servers hold every connection until all 1,100 are
    // open, so passing proves they were open together, however loaded the machine. They are spread
    // over four servers so no listen backlog (511) overflows: an overflow can drop a handshake
    // without the client noticing, and a client with nothing to send would wait for ever.
    const total = 1100;
    const barrier = await world.barrier(kettle, { count: 4, total });
    const addresses = Array.from({ length: total }, (_, index) => barrier.servers[index % 4]!.address);
    const { results } = await fetchPoems(model, addresses);
    expect(results.filter((result) => result.ok && result.poem === kettle).length).toBe(total);
    expect(barrier.mostHeld).toBe(total);
  });
});
