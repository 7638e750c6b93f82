/**
 * The transform server (the series' `transformedpoetry.py`). In the default netstring mode a client
 * sends `<len>:<transform>.<poem>,` and gets `<len>:<new poem>,` back, then the server closes.
 * Anything it cannot serve — no dot, an unknown transform, a malformed or too long netstring, a
 * transform that throws — gets no reply at all, only a close, exactly like the original; the
 * server itself carries on.
 *
 * In `raw` mode there is no framing: the client writes the poem and half-closes its write side,
 * which is the only way the server can know the poem is complete; the server then writes the
 * transformed poem and closes. The server therefore keeps half-open connections.
 *
 * A request is held in memory until it is complete, so its size is capped (`maxRequest`): a
 * netstring that declares more, or a raw request that grows past it, is reset at once and what
 * had arrived is let go. Without the cap four unfinished 250 MB requests held 1.1 GB.
 */
import { encodeNetstring, NetstringDecoder, NetstringError } from '../netstring.ts';
import { type ListenOptions, type PoetryConnection, type PoetryServer, startServer } from './server.ts';
import { isTransformName, type TransformName, transforms } from './transforms.ts';

/**
 * The default cap on a request, 4 MiB. The largest poem the project sends through a transform is
 * the largest built-in one, night-ferry (2,859 bytes; the conformance suite and the tests send
 * kettle, semaphore and smaller); the bench's poems up to 100 MB are only downloaded, never
 * transformed. 4 MiB is a thousand times that poem and then some, yet a hundred clients leaving
 * requests unfinished hold at most 400 MB. A larger poem needs `--max-request`.
 */
export const defaultMaxRequest = 4 * 1024 * 1024;

export interface TransformServerOptions extends ListenOptions {
  /** The longest request accepted, in bytes (the netstring's payload, or a raw poem); default `defaultMaxRequest`. */
  readonly maxRequest?: number;
  /** Serve raw half-close requests with this one transform instead of netstrings. */
  readonly raw?: TransformName;
}

const dot = 0x2e;

export function startTransformServer(options: TransformServerOptions = {}): Promise<PoetryServer> {
  const maxRequest = options.maxRequest ?? defaultMaxRequest;
  const raw = options.raw;
  if (raw !== undefined && !isTransformName(raw)) throw new RangeError(`unknown transform "${raw}"`);
  if (!Number.isInteger(maxRequest) || maxRequest < 0) {
    throw new RangeError(`maxRequest must be a non-negative integer, got ${maxRequest}`);
  }
  return startServer({
    ...options,
    kind: 'transform',
    serve: raw === undefined ? (c) => serveNetstring(c, maxRequest) : (c) => serveRaw(c, raw, maxRequest),
  });
}

function reply(connection: PoetryConnection, answer: Buffer | undefined): void {
  if (answer === undefined) connection.drop();
  else connection.sendAll(answer, () => connection.finish());
}

function transformed(name: string, poem: Uint8Array): Buffer | undefined {
  if (!isTransformName(name)) return undefined;
  try {
    return transforms[name](poem);
  } catch {
    return undefined;
  }
}

function serveNetstring(connection: PoetryConnection, maxRequest: number): void {
  // The decoder checks the declared length digit by digit, so an oversized request fails on its header.
  const decoder = new NetstringDecoder({ maxLength: maxRequest });
  const { socket } = connection;
  const onData = (chunk: Buffer) => {
    let requests: Buffer[];
    try {
      requests = decoder.push(chunk);
    } catch (error) {
      socket.off('data', onData);
      // Too long: reset, so a client still sending stops at once; malformed: close, as the original.
      if (error instanceof NetstringError && error.reason === 'TOO_LONG') connection.reset();
      else connection.drop();
      return;
    }
    const request = requests[0];
    if (request === undefined) return;
    // One request per connection: whatever follows it is ignored, as the original does.
    socket.off('data', onData);
    const at = request.indexOf(dot);
    const answer =
      at < 0 ? undefined : transformed(request.subarray(0, at).toString('latin1'), request.subarray(at + 1));
    reply(connection, answer === undefined ? undefined : encodeNetstring(answer));
  };
  socket.on('data', onData);
  // A client that half-closes before a whole request arrived will never send one.
  socket.once('end', () => {
    if (socket.listenerCount('data') > 0) connection.drop();
  });
}

function serveRaw(connection: PoetryConnection, name: TransformName, maxRequest: number): void {
  let pieces: Buffer[] = [];
  let size = 0;
  const { socket } = connection;
  const onData = (chunk: Buffer) => {
    size += chunk.byteLength;
    if (size <= maxRequest) {
      pieces.push(chunk);
      return;
    }
    socket.off('data', onData);
    pieces = [];
    connection.reset();
  };
  socket.on('data', onData);
  socket.once('end', () => {
    if (size <= maxRequest) reply(connection, transformed(name, Buffer.concat(pieces, size)));
  });
}
