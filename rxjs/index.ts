/**
 * The `rxjs` model's face: the model, as the registry imports it; the client's streams (`fromSocket`,
 * a socket as a cold Observable of chunks, and `poems$`, a whole fetch as one); and the scheduler
 * that lets RxJS's `timeout` wait beyond setTimeout's range.
 */
export { fromSocket, getPoems, poems$, rxjsModel as model } from './client.ts';
export { longTimeouts } from './long-timeouts.ts';
