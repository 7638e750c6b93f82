/** The deferred model's face: Twisted's Deferreds chained as the series' clients 6 and 7 hang them. */
export { deferredModel as model } from '../reactor/deferred-client.ts';
