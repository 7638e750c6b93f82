/**
 * The reactor model's face: the model (callbacks on the reactor) and the runtime it stands on — the
 * reactor and its poller, the clocks, the TCP layer, Deferreds, the typed reasons.
 */
export { reactorModel as model } from './callback-client.ts';
export * from './clock.ts';
export * as defer from './defer.ts';
export * from './errors.ts';
export type * from './interfaces.ts';
export * from './poller.ts';
export * from './reactor.ts';
export * from './tcp.ts';
