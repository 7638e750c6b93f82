/**
 * Memory per idle process: spawns 100,000 processes that wait in `receive`, and reports the heap
 * and RSS growth, in MB and bytes per process. The budget is under 300 MB for all of them (Erlang
 * needs about 2.7 KB each). Run: `node --expose-gc --import tsx actors/memory.ts [count]`.
 */
import { exit, type Pid, processCount, receive, run, spawn } from './runtime.ts';

const count = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;

function measure(): { heap: number; rss: number } {
  gc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, rss: usage.rss };
}

function* idle() {
  yield* receive();
}

const before = measure();
const pids: Pid[] = [];
for (let i = 0; i < count; i++) pids.push(spawn(idle));
// Let every process take its first turn and suspend in receive.
await new Promise((resolve) => setTimeout(resolve, 100));
const after = measure();
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
console.log(
  `${processCount()} idle processes: heap +${mb(after.heap - before.heap)} MB ` +
    `(${Math.round((after.heap - before.heap) / count)} B/process), ` +
    `RSS +${mb(after.rss - before.rss)} MB (${Math.round((after.rss - before.rss) / count)} B/process)` +
    `${gc ? '' : ' [run with --expose-gc for steadier figures]'}`,
);
await run(() => {
  for (const pid of pids) exit(pid, 'kill');
});
// The killed processes end on their next turns; give the scheduler a bounded while to get to all of them.
for (let wait = 0; wait < 100 && processCount() > 0; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
console.log(`after killing them: ${processCount()} processes left`);
