/** The `workers` model's face: the model, as the registry imports it, and the pieces it stands on. */
export { model, type WorkersModelOptions, workersModel } from './client.ts';
export {
  type FromWorker,
  Outbox,
  receiveError,
  type SentError,
  type SessionOptions,
  type SessionStart,
  sendError,
  type ToWorker,
} from './messages.ts';
export { openPool, type Pool, type Session } from './pool.ts';
export { TurnQueue } from './turns.ts';
