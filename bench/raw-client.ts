/**
 * The raw Node baseline: the smallest plain `net` client that does the benchmark's job — connect,
 * decode each chunk as it comes (the shared `PoemDecoder`), honour a concurrency limit and a timeout,
 * and turn socket errors into the contract's codes. Decoding as it goes matters: one decode of a
 * 100 MB poem at the end blocks the event loop for a third of a second and doubles peak memory,
 * which is not the practical limit but a mistake. No abstraction sits between the event loop and the
 * socket, so its row is the practical limit for this runtime; every model is reported as a ratio to
 * it. It speaks the `Model` contract only so the harness can run it exactly like the models.
 */
import net from 'node:net';
import { type Address, formatAddress, type GetPoemsOptions, type Model, type PoemResult } from '../poetry/contract.ts';
import { PoemDecoder } from '../poetry/decode.ts';
import { poetryErrors, toPoetryError } from '../poetry/errors.ts';

function download(
  address: Address,
  task: number,
  options: GetPoemsOptions,
  settle: (result: PoemResult) => void,
): void {
  const where = formatAddress(address);
  const decoder = new PoemDecoder(address);
  let bytes = 0;
  let settled = false;
  const socket = net.connect(address.port, address.host);
  const finish = (result: PoemResult) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.destroy();
    settle(result);
  };
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => finish({ ok: false, address: where, error: poetryErrors.timeout(address, options.timeoutMs!) }),
          options.timeoutMs,
        );
  const fail = (error: unknown) => finish({ ok: false, address: where, error: toPoetryError(error, address) });
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.byteLength;
    options.onEvent?.({ type: 'chunk', task, address: where, bytes: chunk.byteLength, at: performance.now() });
    try {
      decoder.push(chunk);
    } catch (error) {
      fail(error);
    }
  });
  socket.on('end', () => {
    try {
      const poem = decoder.end();
      options.onEvent?.({ type: 'done', task, address: where, bytes, at: performance.now() });
      finish({ ok: true, address: where, poem });
    } catch (error) {
      fail(error);
    }
  });
  socket.on('error', fail);
}

export const rawClient: Model = {
  name: 'raw',
  title: 'Raw Node net client (baseline)',
  summary:
    'Plain net sockets and a counter: the smallest client that does the job, the practical limit for Node. ' +
    'Every model is reported as a ratio to it.',
  clientFiles: ['bench/raw-client.ts'],
  runtimeFiles: [],
  getPoems(addresses, options = {}) {
    return new Promise((resolve) => {
      const results = new Array<PoemResult>(addresses.length);
      const limit = options.concurrency ?? addresses.length;
      let started = 0;
      let finished = 0;
      const startNext = (): void => {
        const index = started++;
        download(addresses[index]!, index + 1, options, (result) => {
          results[index] = result;
          finished += 1;
          if (finished === addresses.length) resolve(results);
          else if (started < addresses.length) startNext();
        });
      };
      if (addresses.length === 0) resolve(results);
      while (started < Math.min(limit, addresses.length)) startNext();
    });
  },
};
