/**
 * What a probe runs inside the model's own process. A probe file declares its child-side work with
 * `childFunction`; the model process (`worker.ts`) imports that file and calls it by name, so a new
 * probe needs no change to the worker. Arguments and results cross the process boundary as JSON.
 */
import type { Model } from '../../poetry/contract.ts';

/** What the worker gives a child function besides the model and its arguments. */
export interface ChildTools {
  /** Aborted when the probe asks (`ModelProcess.call`'s signal): the child function's cue to cancel. */
  readonly signal: AbortSignal;
}

export interface ChildFunction<A, R> {
  /** The module's URL, which the worker imports. */
  readonly module: string;
  /** The export it is found under. */
  readonly name: string;
  readonly run: (model: Model, args: A, tools: ChildTools) => Promise<R>;
}

/** Declares child-side work; export the result under `name` from the module at `moduleUrl`. */
export function childFunction<A, R>(
  moduleUrl: string,
  name: string,
  run: (model: Model, args: A, tools: ChildTools) => Promise<R>,
): ChildFunction<A, R> {
  return { module: moduleUrl, name, run };
}

/** The real monotonic clock, taken before any probe can fake it (the virtual-time probe does). */
const realNow = performance.now.bind(performance);

/**
 * Milliseconds since the epoch with `performance.now()`'s resolution: the one time base both
 * processes share, so a close the server saw can be set against an abort the client made.
 */
export function epochNow(): number {
  return performance.timeOrigin + realNow();
}

/** A model-process event time (`performance.now()` in that process) on the shared time base. */
export function epochOf(at: number): number {
  return performance.timeOrigin + at;
}

/** Messages from the probe to the model process. */
export type ToWorker =
  | {
      readonly kind: 'call';
      readonly id: number;
      readonly module: string;
      readonly name: string;
      readonly args: unknown;
    }
  | { readonly kind: 'abort'; readonly id: number };

/** Messages from the model process to the probe. */
export type FromWorker =
  | { readonly kind: 'ready' }
  | { readonly kind: 'result'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly message: string };
