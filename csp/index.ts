/** The `csp` model's face: the model, as the registry imports it, and the channel runtime's public API. */

export {
  after,
  type Case,
  Channel,
  CLOSED,
  type Closed,
  ClosedChannelError,
  chan,
  close,
  type Defaulted,
  never,
  put,
  putAsync,
  type Selected,
  seedSelect,
  select,
  take,
  takeAsync,
} from './channels.ts';
export { cspModel as model } from './client.ts';
export { go, type Park, type ProcessBody, run } from './process.ts';
export { Conn, dial, type SocketEvent } from './socket.ts';
