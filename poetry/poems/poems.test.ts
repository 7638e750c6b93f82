/** The poem files and the generator: sizes, encodings and determinism the other tests rely on. */
import { describe, expect, it } from 'vitest';
import { classicPoems, findPoem, generatePoem, poems } from './index.ts';

const strict = new TextDecoder('utf-8', { fatal: true });

describe('poems', () => {
  it('has at least four poems between about 500 bytes and 3 KB, each titled by its first line', () => {
    const entries = Object.values(poems);
    expect(entries.length).toBeGreaterThanOrEqual(4);
    for (const poem of entries) {
      const size = Buffer.byteLength(poem.text);
      expect(size).toBeGreaterThanOrEqual(500);
      expect(size).toBeLessThanOrEqual(3072);
      expect(poem.text.startsWith(`${poem.title}\n`)).toBe(true);
    }
  });

  it('has a poem with 2- and 3-byte characters and a non-Latin script', () => {
    const text = poems['border-cafe'].text;
    expect(text).toMatch(/[é—]/);
    expect(text).toMatch(/\p{Script=Greek}/u);
    expect(text).toMatch(/\p{Script=Hiragana}/u);
  });

  it('names one ~3 KB and two ~600 B classic poems', () => {
    const sizes = classicPoems.map((name) => Buffer.byteLength(poems[name].text));
    expect(sizes[0]).toBeGreaterThan(2500);
    for (const size of sizes.slice(1)) expect(Math.abs(size - 600)).toBeLessThan(150);
  });

  it('findPoem names the known poems when asked for an unknown one', () => {
    expect(findPoem('kettle')).toBe(poems.kettle);
    expect(() => findPoem('ode')).toThrow(/known poems: .*kettle/);
  });
});

describe('generatePoem', () => {
  it('makes exactly the size asked for, valid UTF-8, ending in a newline, for every small size', () => {
    for (let size = 0; size < 300; size++) {
      const poem = generatePoem(size, 5);
      expect(poem.length).toBe(size);
      expect(() => strict.decode(poem)).not.toThrow();
      if (size > 0) expect(poem[size - 1]).toBe(0x0a);
    }
  });

  it('is deterministic per seed and different across seeds', () => {
    expect(generatePoem(5000, 1).equals(generatePoem(5000, 1))).toBe(true);
    expect(generatePoem(5000, 1).equals(generatePoem(5000, 2))).toBe(false);
  });

  it('is verse: many lines, multi-byte characters included', () => {
    const text = strict.decode(generatePoem(100_000));
    expect(text.split('\n').length).toBeGreaterThan(1000);
    expect(Buffer.byteLength(text)).toBeGreaterThan(text.length);
  });

  it('makes 100 MB of valid UTF-8', () => {
    const poem = generatePoem(100_000_000, 9);
    expect(poem.length).toBe(100_000_000);
    expect(() => strict.decode(poem)).not.toThrow();
  });
});
