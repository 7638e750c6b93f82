/**
 * The worker thread's entry, the file piscina starts in each thread: plain JavaScript, because
 * Node 20 cannot run TypeScript by itself and a worker does not inherit the main thread's loader
 * hooks (under vitest the main thread has none of tsx's at all).
 *
 * It loads the session (`worker.ts`) through tsx's CommonJS API, scoped to a namespace of its own:
 * a `require` hook inside this thread. tsx's ESM API (`tsx/esm/api`) would do too, but on Node 20
 * its `module.register` starts one more thread per worker for the loader hooks, and it was the
 * slower of the two in the one comparison made (workers/README.md, Cost). The pool starts the
 * thread with no `execArgv`, so a main thread run under `tsx` or `node --import tsx` does not make
 * each worker load tsx twice.
 */
import { register } from 'tsx/cjs/api';

const tsx = register({ namespace: 'poetry-workers' });
/** @type {typeof import('./worker.ts')} */
const { session } = tsx.require('./worker.ts', import.meta.url);

export default session;
