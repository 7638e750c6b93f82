/**
 * Why a connection ended or never began, as typed reasons in the spirit of Twisted's
 * `twisted.internet.error`. A protocol's `connectionLost(reason)` and a factory's
 * `clientConnectionFailed(connector, reason)` receive one of these; `instanceof` tells a clean
 * close from a reset, and `cause` keeps the operating system's error when there was one.
 * `toPoetryFailure` at the bottom is the one way a reactor-based client turns them (and the
 * Deferred's `CancelledError` and `TimeoutError`) into the contract's typed errors.
 */
import { type Address, PoetryError } from '../poetry/contract.ts';
import { poetryErrors, toPoetryError } from '../poetry/errors.ts';
import { CancelledError, TimeoutError as DeferredTimeoutError } from './defer/failure.ts';

/** The reactor was used the wrong way round (stopped when not running, run twice). */
export class ReactorNotRunning extends Error {
  override readonly name = 'ReactorNotRunning';
}
export class ReactorAlreadyRunning extends Error {
  override readonly name = 'ReactorAlreadyRunning';
}

/** Base of every reason a connection attempt failed. */
export class ConnectError extends Error {
  override readonly name: string = 'ConnectError';
}
/** Nothing listens on the port. */
export class ConnectionRefusedError extends ConnectError {
  override readonly name = 'ConnectionRefusedError';
}
/** The host name did not resolve, or the address is unusable. */
export class DNSLookupError extends ConnectError {
  override readonly name = 'DNSLookupError';
}
/** The connect did not complete within the connector's timeout. */
export class TimeoutError extends ConnectError {
  override readonly name = 'TimeoutError';
}
/** `stopConnecting()` was called before the connect completed. */
export class UserError extends ConnectError {
  override readonly name = 'UserError';
}

/** Base of every reason an established connection ended. */
export class ConnectionClosed extends Error {
  override readonly name: string = 'ConnectionClosed';
}
/** A clean close: the peer or we closed in an orderly way. */
export class ConnectionDone extends ConnectionClosed {
  override readonly name = 'ConnectionDone';
}
/**
 * The reason for every clean close, shared as Twisted shares `CONNECTION_DONE`: a clean close is the
 * common case, its stack trace says nothing, and building an Error per connection is measurable.
 */
export const connectionDone: ConnectionDone = Object.freeze(new ConnectionDone('the connection was closed cleanly'));

/** An unclean end: reset by the peer, broken pipe, or the reactor dropped it. */
export class ConnectionLost extends ConnectionClosed {
  override readonly name: string = 'ConnectionLost';
}
/** We aborted it ourselves with `abortConnection()`. */
export class ConnectionAborted extends ConnectionLost {
  override readonly name = 'ConnectionAborted';
}

/** The connect-failure reason for a Node socket error. */
export function connectErrorFor(error: Error): ConnectError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return new ConnectionRefusedError(error.message, { cause: error });
  if (
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'ERR_SOCKET_BAD_PORT' ||
    code === 'ERR_INVALID_ADDRESS'
  ) {
    return new DNSLookupError(error.message, { cause: error });
  }
  if (code === 'ETIMEDOUT') return new TimeoutError(error.message, { cause: error });
  return new ConnectError(error.message, { cause: error });
}

/**
 * The contract's error for why a download at `address` failed, for every reactor-based client. The
 * operating system's error underneath a reason (its `cause`) decides when there is one, through the
 * mapping every model shares; a cancelled Deferred is `CANCELLED`; `addTimeout`'s `TimeoutError` is
 * `TIMEOUT`; a connection that ended before the poem was complete, with no socket error, is `RESET`.
 */
export function toPoetryFailure(reason: unknown, address: Address): PoetryError {
  if (reason instanceof PoetryError) return reason;
  if (reason instanceof CancelledError) return poetryErrors.cancelled(address);
  if (reason instanceof DeferredTimeoutError) return poetryErrors.timeout(address, reason.timeout * 1000);
  if (reason instanceof Error && reason.cause !== undefined) return toPoetryError(reason.cause, address);
  if (reason instanceof ConnectionClosed) return poetryErrors.reset(address);
  return toPoetryError(reason, address);
}
