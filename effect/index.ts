/**
 * The effect model's face: the model as `model`, and the pieces of its client a reader may want to
 * run on their own: one download as an Effect, and the tagged errors of its error channel.
 */
export {
  BadEncoding,
  type DownloadError,
  type Downloaded,
  download,
  effectModel as model,
  NoReply,
  SocketError,
  Timeout,
  TransformFailed,
} from './client.ts';
