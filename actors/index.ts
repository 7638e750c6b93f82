/** The actors runtime's public face: processes, supervisors, gen_server calls, passive sockets, and the model. */
export { actorsModel as model } from './client.ts';
export * from './gen_server.ts';
export * from './runtime.ts';
export * from './supervisor.ts';
export * as tcp from './tcp.ts';
