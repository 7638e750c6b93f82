/**
 * Deferreds with Twisted's semantics: the face of `reactor/defer/`. Import everything Deferred from
 * here. How we differ from Twisted, and why, is written down in `reactor/defer/README.md`.
 */
export {
  type Chained,
  Deferred,
  formatUnhandledError,
  getDebugging,
  prependErrback,
  setDebugging,
  setUnhandledErrorReporter,
  type UnhandledErrorReport,
  type UnhandledErrorReporter,
} from './defer/deferred.ts';
export {
  AlreadyCalledError,
  CancelledError,
  type ErrorType,
  Failure,
  FailureGroup,
  FirstError,
  NoCurrentExceptionError,
  QueueOverflow,
  QueueUnderflow,
  TimeoutError,
} from './defer/failure.ts';
export { deferLater, execute, fail, isThenable, maybeDeferred, succeed } from './defer/helpers.ts';
export { DeferredList, type DeferredListOptions, gatherResults, type ListEntry, race } from './defer/list.ts';
export { DeferredLock, DeferredQueue, DeferredSemaphore } from './defer/primitives.ts';
