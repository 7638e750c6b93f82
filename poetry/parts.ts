/**
 * The parts of a poetry client. Every model's client marks each part with a region
 * (`// #region connect` … `// #endregion`), so two models can be read side by side, part for part.
 */
export const clientParts = [
  { name: 'connect', what: 'open a connection to one server' },
  { name: 'receive', what: 'take the poem in, chunk by chunk' },
  { name: 'finish', what: 'notice the poem is complete and hand it on' },
  { name: 'fail', what: 'turn a refused, reset or broken connection into a typed error' },
  { name: 'timeout', what: 'give up on a download that takes too long' },
  { name: 'cancel', what: 'stop everything when the caller aborts' },
  { name: 'transform', what: 'send the poem through the transform server, keeping the original on failure' },
  { name: 'limit', what: 'keep at most K downloads in flight (and retry failed ones)' },
  { name: 'collect', what: 'gather every result, in input order' },
] as const;

export type ClientPart = (typeof clientParts)[number]['name'];
