/**
 * Turning what Node's sockets throw into the contract's typed errors. Every model meets the same
 * operating system underneath, so the mapping from `ECONNREFUSED` to `REFUSED` lives here once.
 */
import { type Address, PoetryError, type PoetryErrorCode } from './contract.ts';

const codes: Record<string, PoetryErrorCode> = {
  ECONNREFUSED: 'REFUSED',
  ECONNRESET: 'RESET',
  EPIPE: 'RESET',
  ECONNABORTED: 'RESET',
  ETIMEDOUT: 'TIMEOUT',
  ENOTFOUND: 'BAD_ADDRESS',
  EAI_AGAIN: 'BAD_ADDRESS',
  ERR_SOCKET_BAD_PORT: 'BAD_ADDRESS',
  EADDRNOTAVAIL: 'BAD_ADDRESS',
};

/** The contract's error for `error` at `address`; a `PoetryError` is passed through unchanged. */
export function toPoetryError(error: unknown, address: Address | string): PoetryError {
  if (error instanceof PoetryError) return error;
  const nodeCode = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const code = codes[nodeCode] ?? (isAbort(error) ? 'CANCELLED' : 'NETWORK');
  const detail = error instanceof Error ? error.message : String(error);
  return new PoetryError(code, address, describe(code, detail), { cause: error });
}

/**
 * A limit in milliseconds as people read it: 3 significant digits (`--timeout 1e-9` is 0.000001 ms,
 * not 0.0000010000000000000002), but never fewer digits than its whole milliseconds (123457, not 123000).
 */
const milliseconds = new Intl.NumberFormat('en', {
  maximumSignificantDigits: 3,
  maximumFractionDigits: 0,
  roundingPriority: 'morePrecision',
  useGrouping: false,
});

/** The errors every model raises for its own reasons, worded the same everywhere. */
export const poetryErrors = {
  timeout: (address: Address | string, ms: number) =>
    new PoetryError('TIMEOUT', address, `no complete poem within ${milliseconds.format(ms)} ms`),
  /** Why a transform that timed out failed, for `transformFailed`; `ms` printed as `timeout` prints it. */
  noReplyWithin: (ms: number | undefined) => `no reply within ${ms === undefined ? '?' : milliseconds.format(ms)} ms`,
  cancelled: (address: Address | string) => new PoetryError('CANCELLED', address, 'download cancelled'),
  reset: (address: Address | string) =>
    new PoetryError('RESET', address, 'connection closed abnormally before the poem was complete'),
  /** The transform server at `address` failed; the poem is kept as it was. */
  transformFailed: (address: Address | string, why: string, cause?: unknown) =>
    new PoetryError('TRANSFORM_FAILED', address, `transform failed: ${why}`, { cause }),
};

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function describe(code: PoetryErrorCode, detail: string): string {
  switch (code) {
    case 'REFUSED':
      return `connection refused (${detail})`;
    case 'RESET':
      return `connection reset mid-poem (${detail})`;
    case 'BAD_ADDRESS':
      return `unusable address (${detail})`;
    default:
      return detail;
  }
}
