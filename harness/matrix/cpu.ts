/**
 * Dimension 9, fairness under CPU work: how late slow chunks arrive while other poems are being
 * analysed (a deterministic, CPU-bound step applied to each poem), and the wall time. The contract
 * has no such step yet, so every cell says so; when it has one (an `analyse` option), this file
 * is where the probe goes: slow servers beside poems under analysis, lateness counted as the
 * flood's is (`flood.ts`).
 */
import { notApplicable, type Probe, single } from './cell.ts';

export const cpuFairness: Probe = {
  id: 9,
  title: 'Fairness under CPU work',
  says: 'how late slow chunks arrive while other poems are analysed; the wall time',
  file: 'harness/matrix/cpu.ts',
  better: 'lower',
  stable: true,
  budgetMs: 1000,
  async measure() {
    return single(notApplicable('needs the CPU step (an analyse option in the contract)'));
  },
};
