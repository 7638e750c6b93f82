/**
 * The passive socket port against a real loopback server: data comes only when asked, the end is
 * `tcp_closed`, a refused connect throws (and crashes the owner: a crash report, not a printed
 * stack trace), and the socket closes when its owner ends.
 */
import { expect, it } from 'vitest';
import { refusingAddress, startFastServer } from '../poetry/servers/index.ts';
import { type CrashReport, run, setCrashReporter, TIMEOUT } from './runtime.ts';
import { connect, recv } from './tcp.ts';

it('reads a poem chunk by chunk on request, then tcp_closed; the port closes with its owner', async () => {
  const server = await startFastServer({ poem: 'a passive poem\n' });
  try {
    const text = await run(function* () {
      const socket = yield* connect(server.address, 5000);
      if (socket === TIMEOUT) throw new Error('no connection');
      let poem = '';
      for (;;) {
        const message = yield* recv(socket, 5000);
        if (message === TIMEOUT || message.type === 'tcp_error') throw new Error('no data');
        if (message.type === 'tcp_closed') return poem;
        poem += message.data.toString();
      }
    });
    expect(text).toBe('a passive poem\n');
  } finally {
    await server.close();
  }
});

it('a refused connect throws the socket error in the owner, which crashes with it', async () => {
  const address = await refusingAddress();
  // The crash is reported to the hook, which this test reads instead of letting it print a stack trace.
  const reports: CrashReport[] = [];
  const previous = setCrashReporter((report) => reports.push(report));
  try {
    await expect(run(() => connect(address, 5000))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  } finally {
    setCrashReporter(previous);
  }
  expect(reports.map((report) => report.reason)).toEqual([expect.objectContaining({ code: 'ECONNREFUSED' })]);
});
