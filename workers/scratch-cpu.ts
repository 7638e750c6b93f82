import type { Model, PoetryEvent } from '../poetry/contract.ts';
import { poems } from '../poetry/poems/index.ts';
import { startFastServer, startSlowServer } from '../poetry/servers/index.ts';

const which = process.argv[2] ?? 'workers';
const { model } = (await import(which === 'workers' ? './index.ts' : `../${which}/index.ts`)) as { model: Model };
const text = 'x'.repeat(3003);
const fast = await Promise.all([1, 2, 3, 4].map(() => startFastServer({ poem: text })));
const slow = await Promise.all(
  [1, 2, 3, 4].map(() => startSlowServer({ poem: poems.semaphore.text, numBytes: 60, delay: 0.04 })),
);
const addresses = [...Array.from({ length: 100 }, (_, i) => fast[i % 4]!.address), ...slow.map((s) => s.address)];
const events: PoetryEvent[] = [];
const t0 = performance.now();
const results = await model.getPoems(addresses, { analyse: { rounds: 3000 }, onEvent: (e) => events.push(e) });
const wall = performance.now() - t0;
let worst = 0;
for (let task = 101; task <= 104; task++) {
  const chunks = events.filter((e) => e.task === task && e.type === 'chunk');
  for (let i = 1; i < chunks.length; i++) worst = Math.max(worst, chunks[i]!.at - chunks[i - 1]!.at - 40);
}
const firstConnected = events.find((e) => e.type === 'connected')!.at - t0;
const lastDone = Math.max(...events.filter((e) => e.type === 'done' && e.task <= 100).map((e) => e.at)) - t0;
console.log(which, {
  wall: Math.round(wall),
  firstConnected: Math.round(firstConnected),
  lastDone: Math.round(lastDone),
  worstGapLate: Math.round(worst),
  ok: results.filter((r) => r.ok).length,
});
await Promise.all([...fast, ...slow].map((s) => s.close()));
