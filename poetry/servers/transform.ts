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
 */
import { defaultNetstringMaxLength, encodeNetstring, NetstringDecoder } from '../netstring.ts';
import { type ListenOptions, type PoetryConnection, type PoetryServer, startServer } from './server.ts';
import { isTransformName, type TransformName, transforms } from './transforms.ts';

export interface TransformServerOptions extends ListenOptions {
  /** The longest request accepted, in bytes; default 256 MiB. */
  readonly maxLength?: number;
  /** Serve raw half-close requests with this one transform instead of netstrings. */
  readonly raw?: TransformName;
}

const dot = 0x2e;

export function startTransformServer(options: TransformServerOptions = {}): Promise<PoetryServer> {
  const maxLength = options.maxLength ?? defaultNetstringMaxLength;
  const raw = options.raw;
  if (raw !== undefined && !isTransformName(raw)) throw new RangeError(`unknown transform "${raw}"`);
  return startServer({
    ...options,
    kind: 'transform',
    allowHalfOpen: true,
    serve: raw === undefined ? (c) => serveNetstring(c, maxLength) : (c) => serveRaw(c, raw, maxLength),
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

function serveNetstring(connection: PoetryConnection, maxLength: number): void {
  const decoder = new NetstringDecoder({ maxLength });
  const { socket } = connection;
  const onData = (chunk: Buffer) => {
    let requests: Buffer[];
    try {
      requests = decoder.push(chunk);
    } catch {
      socket.off('data', onData);
      connection.drop();
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

function serveRaw(connection: PoetryConnection, name: TransformName, maxLength: number): void {
  const pieces: Buffer[] = [];
  let size = 0;
  const { socket } = connection;
  const onData = (chunk: Buffer) => {
    size += chunk.byteLength;
    pieces.push(chunk);
    if (size > maxLength) {
      socket.off('data', onData);
      connection.drop();
    }
  };
  socket.on('data', onData);
  socket.once('end', () => {
    if (size <= maxLength) reply(connection, transformed(name, Buffer.concat(pieces, size)));
  });
}
