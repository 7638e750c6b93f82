/**
 * The passive socket port against a real loopback server: data comes only when asked, the end is
 * `tcp_closed`, a refused connect throws (and crashes the owner: a crash report, not a printed
 * stack trace), and the socket, a port rather than a process, closes when its owner is killed.
 */
import net from 'node:net';
import { expect, it } from 'vitest';
import { refusingAddress, startFastServer } from '../poetry/servers/index.ts';
import {
  type CrashReport,
  exit,
  isDown,
  monitor,
  processCount,
  receive,
  run,
  setCrashReporter,
  spawn,
  TIMEOUT,
} from './runtime.ts';
import { connect, recv, type Socket } from './tcp.ts';

it('reads a poem chunk by chunk on request, then tcp_closed', async () => {
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

it('a socket is a port, not a process, and closes when its owner is killed', async () => {
  // A server that never closes: only our side can end the connection.
  const server = net.createServer();
  const closed = new Promise<void>((resolve) => {
    server.once('connection', (peer) => {
      peer.on('data', () => {});
      peer.once('close', () => resolve());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    const seen = await run(function* () {
      const before = processCount();
      let held: Socket | undefined;
      const owner = spawn(function* () {
        const socket = yield* connect({ host: '127.0.0.1', port }, 5000);
        if (socket === TIMEOUT) throw new Error('no connection');
        held = socket;
        yield* receive(() => false);
      });
      const ref = monitor(owner);
      while (held === undefined) yield* receive(() => false, { after: 5 });
      const processes = processCount() - before;
      exit(owner, 'kill');
      const down = yield* receive(isDown);
      return { processes, ref: down.ref === ref, reason: down.reason, open: held.driver !== null };
    });
    expect(seen).toEqual({ processes: 1, ref: true, reason: 'killed', open: false });
    await closed;
  } finally {
    server.close();
  }
});
