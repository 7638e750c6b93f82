/** The promises baseline's face: what a TypeScript programmer writes today with net and async/await. */
export { promisesModel as model } from './client.ts';
