/**
 * Dimension 4, error surface: a refusing port, a server that resets mid-poem and one that sends
 * bytes that are not UTF-8, between two good servers. The cell names the code each failure got,
 * whether the good poems still arrived intact, and the exit code of the `poetry` command run with
 * the model against the same servers (1 is the contract's answer when any poem failed).
 */
import { execFile } from 'node:child_process';
import { poems } from '../../poetry/poems/index.ts';
import { refusingAddress, startFastServer, startFaultyServer, startSlowServer } from '../../poetry/servers/index.ts';
import { projectRoot } from '../part-reader.ts';
import { models } from '../registry.ts';
import { measured, type Probe, single } from './cell.ts';
import { fetchInChild, sha256 } from './fetch.ts';

const kettle = poems.kettle.text;
const semaphore = poems.semaphore.text;

export const errorSurface: Probe = {
  id: 4,
  title: 'Error surface',
  says: 'the code for refused / reset / invalid UTF-8; do the good poems still arrive; the CLI exit code',
  file: 'harness/matrix/errors.ts',
  better: 'lower',
  stable: true,
  budgetMs: 30_000,
  async measure({ model, client, lab, signal }) {
    const good = await lab.keep(startFastServer({ poem: kettle }));
    const reset = await lab.keep(startFaultyServer({ mode: 'reset' }));
    const bad = await lab.keep(startFaultyServer({ mode: 'bad-utf8' }));
    const slow = await lab.keep(startSlowServer({ poem: semaphore, numBytes: 100, delay: 0.005 }));
    const addresses = [good.address, await refusingAddress(), reset.address, bad.address, slow.address];
    const outcome = await client.call(fetchInChild, { addresses, options: { timeoutMs: 10_000 } }, signal);
    const [first, refused, wasReset, badUtf8, last] = outcome.results;
    const codes = [refused, wasReset, badUtf8].map((result) => (result?.ok ? 'a poem' : (result?.code ?? '?')));
    const intact = first?.sha256 === sha256(kettle) && last?.sha256 === sha256(semaphore);
    const registered = models.includes(model);
    const exit = registered
      ? await cliExitCode(
          model.name,
          addresses.map((a) => `${a.host}:${a.port}`),
          signal,
        )
      : undefined;
    const figures = {
      refused: codes[0]!,
      reset: codes[1]!,
      badUtf8: codes[2]!,
      goodPoemsIntact: intact,
      cliExitCode: exit ?? 'not registered: the poetry command cannot run it',
    };
    const others = intact ? 'others intact' : 'good poems lost or damaged';
    const exitText = exit === undefined ? 'CLI n/a' : `exit ${exit}`;
    const text = `${codes.join(' · ')}; ${others}; ${exitText}`;
    const expected = codes.join() === 'REFUSED,RESET,BAD_ENCODING' && intact && exit === 1;
    return single(measured(text, figures, { stable: text, score: expected ? 0 : 1 }));
  },
};

/** The `poetry` command's exit code for `model` against `addresses` (JSON out, read and dropped). */
function cliExitCode(model: string, addresses: readonly string[], signal: AbortSignal): Promise<number | string> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'harness/cli.ts', '--model', model, '--json', '--timeout', '10', ...addresses],
      { cwd: projectRoot, signal, timeout: 20_000, maxBuffer: 16 * 1024 * 1024 },
      (error) => {
        if (error === null) return resolve(0);
        resolve(typeof error.code === 'number' ? error.code : `did not finish (${error.message.split('\n')[0]})`);
      },
    );
  });
}
