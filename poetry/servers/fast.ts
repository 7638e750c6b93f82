/**
 * The fast server: writes the whole poem as fast as the client reads it, then closes. With a
 * generated 100 MB poem it measures a client's own overhead rather than the network's pace.
 */
import { type ListenOptions, type PoetryServer, startServer } from './server.ts';

export interface FastServerOptions extends ListenOptions {
  readonly poem: string | Uint8Array;
}

export function startFastServer(options: FastServerOptions): Promise<PoetryServer> {
  const poem = typeof options.poem === 'string' ? Buffer.from(options.poem, 'utf8') : options.poem;
  return startServer({
    ...options,
    kind: 'fast',
    serve: (connection) => connection.sendAll(poem, () => connection.finish()),
  });
}
