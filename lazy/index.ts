/**
 * The lazy library's public face: `contents` (lazy socket reading), the `Lazy` sequence and its
 * combinators, and the `lazy` model built from them.
 */

export { lazyModel as model } from './client.ts';
export {
  buffer,
  cancelOn,
  concat,
  filter,
  fork,
  lines,
  map,
  merge,
  retry,
  TimeoutError,
  take,
  timeout,
  zip,
} from './combinators.ts';
export { type ContentsOptions, contents } from './contents.ts';
export { Cursor, forEach, from, Lazy, naturals, type Puller, type Run, reduce, toArray } from './lazy.ts';
