/**
 * A model that downloads every poem right but leaves the CPU step out, for the harness's own test:
 * in the `cpu` scenario the bench must mark it FAILED rather than time a client doing less work.
 */
import type { Model } from '../../poetry/contract.ts';
import { rawClient } from '../raw-client.ts';

export const unanalysedModel: Model = {
  name: 'unanalysed',
  title: 'A model that skips the analysis (test fixture)',
  summary: 'Fetches correctly with the raw client, and never analyses a poem.',
  clientFiles: ['bench/test-fixtures/unanalysed-model.ts'],
  runtimeFiles: [],
  getPoems: (addresses, { analyse: _skipped, ...options } = {}) => rawClient.getPoems(addresses, options),
};
