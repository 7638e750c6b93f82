/**
 * The README's comparison table stays true: the stable probes run again for every registered model,
 * against real servers, and the block they generate must be the one the README holds. When a model
 * changes what it does (a code, a count, a yes or no, a part's size), this fails until
 * `npx tsx harness/matrix/cli.ts --readme` is run again.
 */
import { describe, expect, it } from 'vitest';
import { models } from '../registry.ts';
import { probes } from './probes.ts';
import { beginMarker, currentBlock, endMarker, readmeBlock, withBlock } from './readme.ts';
import { runMatrix } from './runner.ts';

describe('the README block', () => {
  it('is what a run of the stable probes over every registered model generates now', async () => {
    const matrix = await runMatrix({ models, probes: probes.filter((probe) => probe.stable) });
    const expected = readmeBlock(
      matrix,
      probes.filter((probe) => !probe.stable),
    );
    // Every model has a column and every stable dimension a row, so a model left out cannot pass.
    for (const model of models) expect(expected).toContain(` ${model.name} |`);
    expect(currentBlock()).toBe(expected.trim());
  }, 180_000);

  it('replaces only what lies between the markers', () => {
    const text = `before\n${beginMarker}\nold\n${endMarker}\nafter\n`;
    expect(withBlock(text, 'new')).toBe(`before\n${beginMarker}\nnew\n${endMarker}\nafter\n`);
    expect(() => withBlock('no markers', 'new')).toThrow(/matrix:begin/);
  });
});
