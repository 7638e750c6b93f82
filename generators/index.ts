/** The generators model's public face: the `inlineCallbacks` driver, its typed `wait`, and the model. */

export { generatorsModel as model } from './client.ts';
export {
  type Awaitable,
  ensureDeferred,
  fromGenerator,
  type InlineGenerator,
  inlineCallbacks,
  NotACoroutineError,
  wait,
} from './inline-callbacks.ts';
