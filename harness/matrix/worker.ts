/**
 * The model process: one model, loaded alone in a process of its own, running what the probes ask
 * through its IPC channel. Its descriptors, timers and heap are then the model's alone, which is
 * what the cancel, leak and memory rows measure; the servers stay in the probing process.
 *
 * `node --import tsx --expose-gc worker.ts <model> [face]`: the model is a registered one by name,
 * or the `model` export of the module at `face` (a test's fixture).
 */
import type { Model } from '../../poetry/contract.ts';
import type { ChildFunction, FromWorker, ToWorker } from './child.ts';

const [name = '', face] = process.argv.slice(2);

async function load(): Promise<Model> {
  if (face !== undefined) return ((await import(face)) as { model: Model }).model;
  const { loadModel } = await import('../model-list.ts');
  return loadModel(name);
}

const model = await load();
const running = new Map<number, AbortController>();
const send = (message: FromWorker) => process.send?.(message);

process.on('message', (message: ToWorker) => {
  if (message.kind === 'abort') {
    running.get(message.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(message.id, controller);
  void (async () => {
    try {
      const module = (await import(message.module)) as Record<string, ChildFunction<unknown, unknown> | undefined>;
      const fn = module[message.name];
      if (fn === undefined) throw new Error(`${message.module} exports no child function ${message.name}`);
      const value = await fn.run(model, message.args, { signal: controller.signal });
      send({ kind: 'result', id: message.id, value });
    } catch (error) {
      send({ kind: 'error', id: message.id, message: error instanceof Error ? error.message : String(error) });
    } finally {
      running.delete(message.id);
    }
  })();
});

// The probing process is gone (or done with this model): whatever is still running goes with it.
process.on('disconnect', () => process.exit(0));
send({ kind: 'ready' });
