/** The reactor world's public face: the reactor and its poller, the clocks, the TCP layer, the typed reasons. */
export * from './clock.ts';
export * as defer from './defer.ts';
export * from './errors.ts';
export type * from './interfaces.ts';
export * from './poller.ts';
export * from './reactor.ts';
export * from './tcp.ts';
