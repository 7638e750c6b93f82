/**
 * The raw Node baseline: the smallest plain `net` client that does the benchmark's job — connect,
 * collect the chunks, decode once at the end, honour a concurrency limit and a timeout, and turn
 * socket errors into the contract's codes. No abstraction sits between the event loop and the
 * socket, so its row is the practical limit for this runtime; every model is reported as a ratio to
 * it. It speaks the `Model` contract only so the harness can run it exactly like the models.
 */
import net from 'node:net';
import {
  type Address,
  formatAddress,
  type GetPoemsOptions,
  type Model,
  type PoemResult,
  PoetryError,
} from '../poetry/contract.ts';
import { poetryErrors, toPoetryError } from '../poetry/errors.ts';

function download(
  address: Address,
  task: number,
  options: GetPoemsOptions,
  settle: (result: PoemResult) => void,
): void {
  const where = formatAddress(address);
  const chunks: Buffer[] = [];
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
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    bytes += chunk.byteLength;
    options.onEvent?.({ type: 'chunk', task, address: where, bytes: chunk.byteLength, at: performance.now() });
  });
  socket.on('end', () => {
    try {
      // One fatal decode of the whole poem: cheaper than streaming, and still rejects bad bytes.
      const poem = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, bytes));
      options.onEvent?.({ type: 'done', task, address: where, bytes, at: performance.now() });
      finish({ ok: true, address: where, poem });
    } catch (cause) {
      finish({
        ok: false,
        address: where,
        error: new PoetryError('BAD_ENCODING', address, 'not valid UTF-8', { cause }),
      });
    }
  });
  socket.on('error', (error) => finish({ ok: false, address: where, error: toPoetryError(error, address) }));
}

export const rawClient: Model = {
  name: 'raw',
  title: 'Raw Node net client (baseline)',
  summary:
    'Plain net sockets and a counter: the smallest client that does the job, the practical limit for Node. ' +
    'Every model is reported as a ratio to it.',
  files: ['bench/raw-client.ts'],
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
