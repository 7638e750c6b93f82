/** The blocking baseline's face: one poem after another, so its wall time is the sum. */
export { blockingModel as model } from './client.ts';
