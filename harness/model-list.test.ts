import { describe, expect, it } from 'vitest';
import { loadModel, readModelList } from './model-list.ts';

describe('loadModel', () => {
  it('loads a registered model by name, the baselines in their folder too', async () => {
    expect((await loadModel('reactor')).name).toBe('reactor');
    expect((await loadModel('promises')).name).toBe('promises');
    expect(readModelList()).toContain('baselines/promises');
  });

  it('names the registered folders for a name no model has', async () => {
    await expect(loadModel('no-such-model')).rejects.toThrow(/unknown model "no-such-model"; .*reactor/);
  });
});
