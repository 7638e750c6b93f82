/**
 * Dimension 6, retry: a server that resets the first connections at once. With more failures
 * than retries, it must see exactly retries + 1 attempts and the result is the last failure; with
 * fewer, the poem arrives on the attempt after the last reset. The accept times give the spacing
 * between attempts (a model with a backoff shows it here).
 */
import { poems } from '../../poetry/poems/index.ts';
import { measured, type Probe, single } from './cell.ts';
import { fetchInChild, sha256 } from './fetch.ts';
import { ms, tenth } from './format.ts';
import { resetFirst } from './lab.ts';

const retries = 2;
const kettle = Buffer.from(poems.kettle.text);

export const retryAttempts: Probe = {
  id: 6,
  title: 'Retry',
  says: `attempts a resetting server sees under retries ${retries} (must be retries + 1); the spacing between them`,
  file: 'harness/matrix/retry.ts',
  better: 'lower',
  stable: true,
  budgetMs: 20_000,
  async measure({ client, lab, signal }) {
    const always = await lab.observed(resetFirst(Number.POSITIVE_INFINITY, kettle));
    const exhausted = await client.call(fetchInChild, { addresses: [always.address], options: { retries } }, signal);
    const flaky = await lab.observed(resetFirst(retries, kettle));
    const recovered = await client.call(fetchInChild, { addresses: [flaky.address], options: { retries } }, signal);
    const attempts = always.log.length;
    const accepts = always.log.map((record) => record.acceptedAt);
    const spacing = accepts.slice(1).map((at, index) => at - accepts[index]!);
    const lastCode = exhausted.results[0]?.code ?? 'a poem';
    const recoveredOk = recovered.results[0]?.sha256 === sha256(kettle);
    const figures = {
      retries,
      attemptsWhenAllFail: attempts,
      resultWhenAllFail: lastCode,
      attemptsToRecover: flaky.log.length,
      recovered: recoveredOk,
      spacingMs: spacing.map(tenth),
    };
    const exact =
      attempts === retries + 1 ? `= retries + 1 (${attempts})` : `${attempts} (retries + 1 is ${retries + 1})`;
    const recovery = recoveredOk ? `recovers on attempt ${flaky.log.length}` : 'does not recover';
    const stable = `${exact}, then ${lastCode}; ${recovery}`;
    const text = `${stable}; spacing ${spacing.map(ms).join(', ') || 'none'}`;
    return single(measured(text, figures, { stable, score: attempts === retries + 1 && recoveredOk ? 0 : 1 }));
  },
};
