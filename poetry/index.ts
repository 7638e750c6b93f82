/**
 * The ground every model stands on: the contract, the parts, the typed errors, the decoders and
 * long timers. It imports no model and nothing that loops over models (that is `harness/`).
 */
export * from './address.ts';
export * from './contract.ts';
export * from './decode.ts';
export * from './errors.ts';
export * from './long-timeout.ts';
export * from './netstring.ts';
export * from './parts.ts';
