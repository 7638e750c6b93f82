/**
 * The transforms the transform server knows, by name. Each takes the poem's bytes and returns the
 * new poem's bytes, or throws; the server answers a throw by closing without a reply, which is how
 * the series' Twisted server reports a failed transform. `fail` exists so clients can test that.
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function onText(change: (text: string) => string): (poem: Uint8Array) => Buffer {
  return (poem) => Buffer.from(change(strictUtf8.decode(poem)), 'utf8');
}

export const transforms = {
  /** Lower-case everything, after e. e. cummings (the series' transform). */
  cummingsify: onText((text) => text.toLowerCase()),
  /** The lines in reverse order: the poem read from the bottom up. */
  backwards: onText((text) => {
    const ending = text.endsWith('\n') ? '\n' : '';
    return (
      text
        .slice(0, text.length - ending.length)
        .split('\n')
        .reverse()
        .join('\n') + ending
    );
  }),
  /** Always fails, on purpose. */
  fail: (): Buffer => {
    throw new Error('the fail transform always fails');
  },
} as const satisfies Record<string, (poem: Uint8Array) => Buffer>;

export type TransformName = keyof typeof transforms;

export function isTransformName(name: string): name is TransformName {
  return Object.hasOwn(transforms, name);
}
