import { describe, expect, it } from 'vitest';
import { analysePoem } from './analyse.ts';
import { poems } from './poems/index.ts';

describe('analysePoem', () => {
  const kettle = poems.kettle.text;

  it('counts lines and words, and gives the same digest for the same poem and rounds', () => {
    expect(analysePoem('two words\nthen three more\n', 1)).toMatchObject({ lines: 2, words: 5 });
    expect(analysePoem('no newline at the end', 0)).toMatchObject({ lines: 1, words: 5 });
    expect(analysePoem('', 4)).toMatchObject({ lines: 0, words: 0 });
    expect(analysePoem(kettle, 7)).toEqual(analysePoem(kettle, 7));
    expect(analysePoem(kettle, 7).digest).toMatch(/^[0-9a-f]{8}$/);
  });

  it('gives another digest for another round count or one character changed', () => {
    const digests = new Set([
      analysePoem(kettle, 0).digest,
      analysePoem(kettle, 1).digest,
      analysePoem(kettle, 2).digest,
      analysePoem(`${kettle.slice(0, -1)}!`, 2).digest,
    ]);
    expect(digests.size).toBe(4);
  });

  it('rounds a fractional count down and refuses a negative or NaN one', () => {
    expect(analysePoem(kettle, 2.9)).toEqual(analysePoem(kettle, 2));
    expect(() => analysePoem(kettle, -1)).toThrow(RangeError);
    expect(() => analysePoem(kettle, Number.NaN)).toThrow(/rounds must be 0 or more/);
  });
});
