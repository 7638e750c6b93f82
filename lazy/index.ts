/**
 * The lazy library's public face: `contents` (lazy socket reading), the `Lazy` sequence, its
 * combinators and terminals, and the `lazy` model built from them (the registry imports `model`).
 */

export { getPoems, lazyModel as model } from './client.ts';
export {
  buffer,
  cancelOn,
  concat,
  concatMap,
  drop,
  filter,
  fork,
  lines,
  map,
  mapConcurrent,
  merge,
  retry,
  TimeoutError,
  take,
  timeout,
  zip,
} from './combinators.ts';
export { type ContentsOptions, contents } from './contents.ts';
export { Cursor, forEach, from, Lazy, naturals, type Puller, type Run, reduce, toArray } from './lazy.ts';
