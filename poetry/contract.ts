/**
 * The contract: the only thing the harness (CLI, conformance suite, benchmarks) knows about a model.
 *
 * A model is free to be a reactor, a chain of Deferreds, a tree of processes or a lazy stream inside;
 * at its edge it takes a list of addresses and some options and hands back one result per address,
 * in input order. Everything a user can observe — the poems, the typed errors, the progress events —
 * is defined here, once, so that five very different clients can be compared on the same terms.
 */
import type { AnalyseOptions, PoemAnalysis } from './analyse.ts';

/** Where a poetry server listens. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/** Why one poem could not be fetched. Each code names one cause a user can act on. */
export type PoetryErrorCode =
  /** Nothing listens on the port (ECONNREFUSED). */
  | 'REFUSED'
  /** The server reset the connection or it broke mid-poem (ECONNRESET, EPIPE). */
  | 'RESET'
  /** The attempt took longer than `timeoutMs` (a stalled server, a connect that never completes). */
  | 'TIMEOUT'
  /** The caller's `signal` aborted before the poem was complete. */
  | 'CANCELLED'
  /** The poem's bytes are not valid UTF-8. */
  | 'BAD_ENCODING'
  /** The transform server failed or answered with something that is not a netstring. */
  | 'TRANSFORM_FAILED'
  /** The address itself is unusable (port out of range, host that does not resolve). */
  | 'BAD_ADDRESS'
  /** Any other socket error; `message` and `cause` say which. */
  | 'NETWORK';

/** A typed failure for one poem. It always names the address it belongs to. */
export class PoetryError extends Error {
  override readonly name = 'PoetryError';
  readonly code: PoetryErrorCode;
  /** `host:port` of the server this error is about. */
  readonly address: string;

  constructor(code: PoetryErrorCode, address: Address | string, message: string, options?: { cause?: unknown }) {
    const where = typeof address === 'string' ? address : formatAddress(address);
    super(`${where}: ${message}`, options);
    this.code = code;
    this.address = where;
  }
}

/** `host:port`, the one way addresses are printed everywhere. */
export function formatAddress(address: Address): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** The transform service to send each poem through (the series' client 5 onward). */
export interface TransformOptions {
  readonly address: Address;
  /** The transform's name, e.g. `cummingsify`. Ignored in `raw` mode, where the server has one fixed transform. */
  readonly name: string;
  /**
   * `netstring` (default): send `<len>:<name>.<poem>,` and read `<len>:<poem>,`.
   * `raw`: write the poem, half-close the write side, read the answer until the server closes.
   */
  readonly protocol?: 'netstring' | 'raw';
}

/**
 * Progress, as it happens. `task` is the 1-based position of the address in the input (the classic
 * `Task 1: got 10 bytes of poetry from ...`). `at` is `performance.now()` when the event happened.
 * Per task the order is: `connected`, then `chunk`s, then exactly one of `done` or `failed`;
 * a retried task may repeat `connected`/`chunk` before its final event.
 */
export type PoetryEvent =
  | { readonly type: 'connected'; readonly task: number; readonly address: string; readonly at: number }
  | {
      readonly type: 'chunk';
      readonly task: number;
      readonly address: string;
      readonly bytes: number;
      readonly at: number;
    }
  | {
      readonly type: 'done';
      readonly task: number;
      readonly address: string;
      readonly bytes: number;
      readonly at: number;
    }
  | {
      readonly type: 'failed';
      readonly task: number;
      readonly address: string;
      readonly error: PoetryError;
      readonly at: number;
    };

export interface GetPoemsOptions {
  /** Per attempt: a download (connect + receive) that takes longer fails with `TIMEOUT`. Default: none. */
  readonly timeoutMs?: number;
  /** At most this many downloads in flight at once. Default: unlimited. */
  readonly concurrency?: number;
  /** Extra attempts after a failure (not after `CANCELLED`). Default 0. */
  readonly retries?: number;
  /** Send each poem through this transform; when the transform fails, the original poem is kept. */
  readonly transform?: TransformOptions;
  /** Aborting cancels everything: unfinished poems fail with `CANCELLED`, all sockets and timers close. */
  readonly signal?: AbortSignal;
  /** Called synchronously for each progress event. */
  readonly onEvent?: (event: PoetryEvent) => void;
  /**
   * The CPU step: each poem, once complete (and transformed, if asked), goes through
   * `analysePoem(poem, rounds)` from `analyse.ts`, called where the model's idiom puts work on a
   * result; its result is the poem's `analysis`. Default: no analysis.
   */
  readonly analyse?: AnalyseOptions;
}

/** One result per input address, in input order. */
export type PoemResult =
  | {
      readonly ok: true;
      readonly address: string;
      readonly poem: string;
      /** Set when a transform was asked for and failed: `poem` is then the original. */
      readonly transformError?: PoetryError;
      /** Set when `analyse` was asked for: `analysePoem(poem, rounds)`. */
      readonly analysis?: PoemAnalysis;
    }
  | { readonly ok: false; readonly address: string; readonly error: PoetryError };

/**
 * A fetch described but not started yet: an Effect, a cold Observable, a lazy list. Only the
 * comparison matrix (`harness/matrix/`) asks for one, through `Model.describe`.
 */
export interface PoemRequest {
  /** Runs the fetch and resolves with one result per address; calling it again runs it again or hands back the first run's results, as the model's idiom has it. */
  run(): Promise<PoemResult[]>;
}

/** A concurrency model, as the harness sees it. */
export interface Model {
  /** Short identifier used on the command line (`--model reactor`). */
  readonly name: string;
  /** A human title, e.g. "Twisted-style reactor with callbacks". */
  readonly title: string;
  /** One paragraph: the idea of the model and what to look for when reading it. */
  readonly summary: string;
  /**
   * The client: the files written for the reader, in the model's idiom, relative to the project
   * root. Its parts are read from these files alone (see `parts.ts`).
   */
  readonly clientFiles: readonly string[];
  /**
   * What the client stands on and did not write for this job: its runtime (a reactor, a Deferred
   * chain, an actor scheduler…) and code shared with other models. Listed for the reader; parts are
   * never read from here, and a client that takes a part from here says so with a `#uses` line.
   */
  readonly runtimeFiles: readonly string[];
  /** The edge adapter: fetch every poem, never reject; failures are `{ ok: false }` results. */
  getPoems(addresses: readonly Address[], options?: GetPoemsOptions): Promise<PoemResult[]>;
  /**
   * Optional, for the comparison matrix's laziness row: the model's own way to describe a fetch
   * without starting it. Absent (the default), the matrix measures `getPoems`, whose promise has
   * started the work by the time it is returned, and the row says that is what it measured.
   */
  readonly describe?: (addresses: readonly Address[], options?: GetPoemsOptions) => PoemRequest;
  /**
   * Optional, for the comparison matrix's streaming row: one poem's bytes as they arrive, pulled by
   * the caller. The iterable ends when the poem is complete and throws a `PoetryError` when it fails;
   * leaving the loop early closes the connection. Absent (the default), the row is `n/a`: the model
   * hands back whole poems only.
   */
  readonly streamPoem?: (address: Address, options?: { readonly signal?: AbortSignal }) => AsyncIterable<Uint8Array>;
}
