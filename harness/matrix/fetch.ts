/**
 * The fetch most probes run in the model process: `getPoems` with the probe's addresses and
 * options, an abort at a set time or on the probe's word, the events the probe wants, and what the
 * model left open once its promise had resolved (descriptors, and the handles keeping the loop
 * alive: sockets, servers, timers), at once and a second later.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type { PoemAnalysis } from '../../poetry/analyse.ts';
import type { Address, GetPoemsOptions, PoetryEvent } from '../../poetry/contract.ts';
import { activeResources, resourcesBeyond, resourcesLeftSince } from '../../poetry/leaks.ts';
import { childFunction, epochNow, epochOf } from './child.ts';

export interface FetchArgs {
  readonly addresses: readonly Address[];
  readonly options?: Pick<GetPoemsOptions, 'timeoutMs' | 'concurrency' | 'retries' | 'transform' | 'analyse'>;
  /** Abort this long after the call, measured in the model process. */
  readonly abortAfterMs?: number;
  /** The tasks (1-based) whose events to send back; none by default (thousands of events cost time to carry). */
  readonly eventsOf?: readonly number[];
}

/** One result as the probe needs it: the poem's size and hash, not its text. */
export interface ResultSummary {
  readonly ok: boolean;
  readonly code?: string;
  readonly bytes?: number;
  readonly sha256?: string;
  readonly transformError?: string;
  /** Its analysis (the CPU step), when one was asked for and given: lines, words and digest. */
  readonly analysis?: string;
}

/** An event on the shared time base: type, task, bytes (0 when it has none), epoch ms. */
export type EventRecord = readonly [PoetryEvent['type'], number, number, number];

export interface FetchOutcome {
  readonly results: readonly ResultSummary[];
  readonly events: readonly EventRecord[];
  readonly startedAt: number;
  readonly abortedAt?: number;
  readonly resolvedAt: number;
  /** What was open beyond the start's count when the promise resolved (after two turns of the loop). */
  readonly leftAtResolve: Leftovers;
  /** The same up to a second later: what never closes. */
  readonly leftAfterSecond: Leftovers;
}

export interface Leftovers {
  readonly descriptors: number;
  /** Handle kind (`TCPSocketWrap`, `Timeout`…) → how many. */
  readonly handles: Readonly<Record<string, number>>;
}

export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

const descriptors = () => readdirSync('/proc/self/fd').length;

export const fetchInChild = childFunction<FetchArgs, FetchOutcome>(
  import.meta.url,
  'fetchInChild',
  async (model, args, { signal }) => {
    const wanted = new Set(args.eventsOf ?? []);
    const events: EventRecord[] = [];
    const before = activeResources();
    const descriptorsBefore = descriptors();
    const controller = new AbortController();
    let abortedAt: number | undefined;
    const abort = () => {
      abortedAt ??= epochNow();
      controller.abort();
    };
    signal.addEventListener('abort', abort, { once: true });
    const timer = args.abortAfterMs === undefined ? undefined : setTimeout(abort, args.abortAfterMs);
    const startedAt = epochNow();
    const results = await model.getPoems(args.addresses, {
      ...args.options,
      signal: controller.signal,
      onEvent: (event) => {
        if (!wanted.has(event.task)) return;
        const bytes = event.type === 'chunk' || event.type === 'done' ? event.bytes : 0;
        events.push([event.type, event.task, bytes, epochOf(event.at)]);
      },
    });
    const resolvedAt = epochNow();
    clearTimeout(timer);
    signal.removeEventListener('abort', abort);
    // Two turns: a socket destroyed as the promise resolves is released in the loop's close phase.
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    const leftAtResolve = { descriptors: descriptors() - descriptorsBefore, handles: counts(resourcesBeyond(before)) };
    const later = await resourcesLeftSince(before, 1000);
    const leftAfterSecond = { descriptors: descriptors() - descriptorsBefore, handles: counts(later) };
    return {
      results: results.map((result): ResultSummary => {
        if (!result.ok) return { ok: false, code: result.error.code };
        const bytes = Buffer.from(result.poem);
        return {
          ok: true,
          bytes: bytes.byteLength,
          sha256: sha256(bytes),
          ...(result.transformError && { transformError: result.transformError.code }),
          ...(result.analysis && { analysis: analysisText(result.analysis) }),
        };
      }),
      events,
      startedAt,
      ...(abortedAt !== undefined && { abortedAt }),
      resolvedAt,
      leftAtResolve,
      leftAfterSecond,
    };
  },
);

/** An analysis in one comparable string. */
export const analysisText = ({ lines, words, digest }: PoemAnalysis) => `${lines}/${words}/${digest}`;

function counts(map: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries(map);
}

/** What is left, in words: `0 left`, or `3 descriptors, 2 × Timeout left`. */
export function describeLeftovers(left: Leftovers): string {
  const handles = Object.entries(left.handles).map(([kind, count]) => `${count} × ${kind}`);
  const parts = [...(left.descriptors > 0 ? [`${left.descriptors} descriptors`] : []), ...handles];
  return parts.length === 0 ? 'nothing left open' : `${parts.join(', ')} left open`;
}

/** Whether anything at all is left. */
export const anyLeft = (left: Leftovers) => left.descriptors > 0 || Object.keys(left.handles).length > 0;
