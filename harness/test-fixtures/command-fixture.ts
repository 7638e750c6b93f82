/**
 * A tiny command for `command-line.test.ts`: `count` writes numbered lines until its signal is
 * aborted (so a closed stdout or Ctrl-C must end it), then reports how it ended on stderr.
 */
import { numberArgument, runAsMain } from '../command-line.ts';

runAsMain(
  {
    name: 'fixture',
    usage: ['[--lines <n>]'],
    description: 'Writes numbered lines.',
    options: { lines: { type: 'string', value: '<n>', help: 'how many lines (default: until stopped)' } },
    exitCodes: [[0, 'done']],
  },
  async ({ values }, run) => {
    const lines =
      values.lines === undefined
        ? Number.POSITIVE_INFINITY
        : numberArgument('--lines', values.lines, { integer: true, min: 0 });
    const timer = setInterval(() => {}, 1000);
    try {
      for (let line = 1; line <= lines && !run.signal.aborted; line++) {
        run.out(`line ${line}\n`);
        if (line === 1) process.stderr.write('started\n');
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    } finally {
      clearInterval(timer);
    }
    process.stderr.write(`ended: ${run.signal.aborted ? String(run.signal.reason) : 'done'}\n`);
    return 0;
  },
);
