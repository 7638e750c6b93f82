/**
 * The probe runner: for each model, one model process; in it, each probe in turn, each with a lab
 * of servers of its own (closed after it) and a bound on its time. A probe that throws or runs out
 * of time fills its cells with `failed: <why>` and the model process is started afresh, so one
 * broken probe cannot spoil the next one's figures. Rows come out in dimension order, whatever
 * order the probes ran in.
 */
import type { Model } from '../../poetry/contract.ts';
import { type Cell, failed, type Matrix, type Probe, type Row } from './cell.ts';
import { Lab } from './lab.ts';
import { ModelProcess } from './model-process.ts';

export interface RunOptions {
  readonly models: readonly Model[];
  readonly probes: readonly Probe[];
  /** A line per probe and model, as it starts and ends (the command sends them to stderr). */
  readonly progress?: (line: string) => void;
  /** Aborted: the probe running now is stopped, and so is the run (it rejects with the reason). */
  readonly signal?: AbortSignal;
  /** Where a model that is not registered comes from: model name → module exporting it as `model` (tests). */
  readonly faces?: Readonly<Record<string, string>>;
}

export async function runMatrix(options: RunOptions): Promise<Matrix> {
  const startedAt = new Date().toISOString();
  const cells = new Map<string, Record<string, Cell>>();
  for (const model of options.models) {
    const face = options.faces?.[model.name];
    let client = await ModelProcess.start(model.name, face);
    try {
      for (const probe of options.probes) {
        options.signal?.throwIfAborted();
        if (probe.freshProcess) {
          await client.stop();
          client = await ModelProcess.start(model.name, face);
        }
        const began = performance.now();
        options.progress?.(`matrix: ${model.name}: ${probe.id} ${probe.title}…`);
        const outcome = await runProbe(probe, model, client, options.signal);
        for (const [key, cell] of Object.entries(outcome.cells)) {
          const rowKey = key === '' ? String(probe.id) : `${probe.id}.${key}`;
          const row = cells.get(rowKey) ?? {};
          row[model.name] = cell;
          cells.set(rowKey, row);
        }
        options.progress?.(
          `matrix: ${model.name}: ${probe.id} ${probe.title}: ${((performance.now() - began) / 1000).toFixed(1)} s`,
        );
        if (outcome.restart) {
          await client.stop();
          client = await ModelProcess.start(model.name, face);
        }
      }
    } finally {
      await client.stop();
    }
    options.signal?.throwIfAborted();
  }
  return {
    format: 'poetry-matrix/1',
    startedAt,
    finishedAt: new Date().toISOString(),
    models: options.models.map((model) => ({ name: model.name, title: model.title })),
    rows: rowsOf(options.probes, cells),
  };
}

async function runProbe(
  probe: Probe,
  model: Model,
  client: ModelProcess,
  outer: AbortSignal | undefined,
): Promise<{ cells: Readonly<Record<string, Cell>>; restart: boolean }> {
  const controller = new AbortController();
  const forward = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', forward, { once: true });
  const lab = new Lab();
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`ran past its ${probe.budgetMs / 1000} s bound`));
    }, probe.budgetMs);
  });
  try {
    const cells = await Promise.race([probe.measure({ model, client, lab, signal: controller.signal }), overrun]);
    return { cells, restart: false };
  } catch (error) {
    outer?.throwIfAborted();
    const why = error instanceof Error ? error.message : String(error);
    const cell = failed(why);
    const keys = ['', ...(probe.rows ?? [])];
    return { cells: Object.fromEntries(keys.map((key) => [key, cell])), restart: true };
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', forward);
    controller.abort();
    await lab.close();
  }
}

function rowsOf(probes: readonly Probe[], cells: ReadonlyMap<string, Record<string, Cell>>): Row[] {
  return [...probes]
    .sort((a, b) => a.id - b.id)
    .flatMap((probe) =>
      ['', ...(probe.rows ?? [])].flatMap((key): Row[] => {
        const rowKey = key === '' ? String(probe.id) : `${probe.id}.${key}`;
        const row = cells.get(rowKey);
        if (row === undefined) return [];
        return [
          {
            key: rowKey,
            id: probe.id,
            title: key === '' ? probe.title : `${probe.title}: ${key}`,
            says: probe.says,
            probe: probe.file,
            better: probe.better,
            stable: probe.stable,
            cells: row,
          },
        ];
      }),
    );
}
