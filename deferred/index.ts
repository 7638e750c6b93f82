/**
 * The deferred model's face: the model, and its client's Deferred-level entry point (`getPoems` on a
 * reactor you run). The Deferreds themselves are the reactor's runtime (`reactor/defer.ts`).
 */
export { deferredModel as model, getPoems } from './client.ts';
