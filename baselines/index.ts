/** The two baselines every model is compared with: `blocking` (the sum) and `promises` (the yardstick). */
export { blockingModel } from './blocking.ts';
export { type FetchedPoem, fetchPoem, promisesModel } from './promises.ts';
