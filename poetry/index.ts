/** The poetry world's public face: the contract, the registry and the shared helpers. */
export * from './address.ts';
export * from './contract.ts';
export * from './decode.ts';
export * from './errors.ts';
export * from './models.ts';
export * from './netstring.ts';
export * from './parts.ts';
