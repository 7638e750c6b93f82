/**
 * A deliberately wrong model for the harness's own test: it fetches with the raw client, then
 * changes one character of the first poem. The harness must mark it FAILED and give it no time.
 * It lives here, outside the registry, because each run loads its model in a child process.
 */
import type { Model } from '../../poetry/contract.ts';
import { rawClient } from '../raw-client.ts';

export const wrongPoemModel: Model = {
  name: 'wrong-poem',
  title: 'A model that returns a wrong poem (test fixture)',
  summary: 'Fetches correctly, then swaps the first character of the first poem.',
  clientFiles: ['bench/test-fixtures/wrong-poem-model.ts'],
  runtimeFiles: [],
  async getPoems(addresses, options) {
    const results = await rawClient.getPoems(addresses, options);
    return results.map((result, index) =>
      index === 0 && result.ok ? { ...result, poem: `X${result.poem.slice(1)}` } : result,
    );
  },
};
