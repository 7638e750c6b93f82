/**
 * The parts of a poetry client. Every model's client marks each part with a region
 * (`// #region connect` … `// #endregion`) in its client files, so two models can be read side by
 * side, part for part. A part the client takes whole from shared code is a pointer instead,
 * `// #uses connect, receive: getPoetry (reactor/get-poetry.ts)`, so the reader sees what is the
 * model's own and where the rest lives. A part the model has no place for is declared
 * `// #region <part> — not applicable: <reason>` + `// #endregion`. Runtime and library files mark
 * no parts.
 */
export const clientParts = [
  { name: 'connect', what: 'open a connection to one server' },
  { name: 'receive', what: 'take the poem in, chunk by chunk' },
  { name: 'finish', what: 'notice the poem is complete and hand it on' },
  { name: 'fail', what: 'turn a refused, reset or broken connection into a typed error' },
  { name: 'timeout', what: 'give up on a download that takes too long' },
  { name: 'cancel', what: 'stop everything when the caller aborts' },
  { name: 'transform', what: 'send the poem through the transform server, keeping the original on failure' },
  { name: 'limit', what: 'keep at most K downloads in flight' },
  { name: 'retry', what: 'try a failed download again, up to the retries asked for' },
  { name: 'analyse', what: 'put each finished poem through the CPU step, when asked' },
  { name: 'collect', what: 'gather every result, in input order' },
] as const;

export type ClientPart = (typeof clientParts)[number]['name'];
