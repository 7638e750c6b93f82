/**
 * A tiny micro-benchmark module for the harness's own test: two suites through `suites`, one with a
 * budget that can be judged, and one row that throws (the report must keep it, with its error).
 */
import type { MicroSuite } from '../micro/suite.ts';

const numbers = Array.from({ length: 100 }, (_, i) => i);

export const suites: MicroSuite[] = [
  {
    name: 'fixture-sum',
    description: 'Summing 100 numbers with a loop and with reduce.',
    baseline: 'for loop',
    budget: 'reduce at least a thousandth of the loop’s speed',
    budgetMet: (ratios) => (ratios.reduce ?? 0) > 0.001,
    tasks: {
      'for loop': () => {
        let sum = 0;
        for (const n of numbers) sum += n;
        return sum;
      },
      reduce: () => numbers.reduce((sum, n) => sum + n, 0),
    },
  },
  {
    name: 'fixture-broken',
    description: 'A row that throws.',
    baseline: 'fine',
    tasks: {
      fine: () => numbers.length,
      throws: () => {
        throw new Error('deliberately broken row');
      },
    },
  },
];
