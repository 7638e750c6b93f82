/**
 * The slow server: the series' `slowpoetry.py`. It sends `numBytes` of the poem, waits `delay`
 * seconds, sends the next slice, and closes after the last wait, so one poem takes
 * `ticks × delay` seconds where `ticks = ceil(size / numBytes)`. That schedule is what makes a
 * blocking client's time the sum of the servers' and a concurrent client's the maximum.
 *
 * Connections are served concurrently by default; `serial` serves one at a time, as the original
 * blocking server did. A client that hangs up early stops the ticking for its connection.
 */
import { type ListenOptions, type PoetryServer, startServer } from './server.ts';

export interface SlowServerOptions extends ListenOptions {
  readonly poem: string | Uint8Array;
  /** Bytes per tick; default 10. */
  readonly numBytes?: number;
  /** Seconds between ticks; default 0.7. */
  readonly delay?: number;
  /** Serve one connection at a time; default false. */
  readonly serial?: boolean;
}

/** How long one poem takes from this server: `seconds = ticks × delay`. */
export interface SlowSchedule {
  readonly bytes: number;
  readonly numBytes: number;
  readonly delay: number;
  readonly ticks: number;
  readonly seconds: number;
}

export interface SlowPoetryServer extends PoetryServer {
  readonly kind: 'slow';
  readonly schedule: SlowSchedule;
}

export function slowSchedule(bytes: number, numBytes: number, delay: number): SlowSchedule {
  const ticks = Math.ceil(bytes / numBytes);
  return { bytes, numBytes, delay, ticks, seconds: ticks * delay };
}

export async function startSlowServer(options: SlowServerOptions): Promise<SlowPoetryServer> {
  const poem = typeof options.poem === 'string' ? Buffer.from(options.poem, 'utf8') : options.poem;
  const numBytes = options.numBytes ?? 10;
  const delay = options.delay ?? 0.7;
  if (!Number.isInteger(numBytes) || numBytes < 1)
    throw new RangeError(`numBytes must be a positive integer, got ${numBytes}`);
  if (!(delay >= 0)) throw new RangeError(`delay must be a non-negative number of seconds, got ${delay}`);

  const server = await startServer({
    ...options,
    kind: 'slow',
    serve(connection) {
      let sent = 0;
      const tick = () => {
        if (sent >= poem.byteLength) {
          connection.finish();
          return;
        }
        const chunk = poem.subarray(sent, sent + numBytes);
        sent += chunk.byteLength;
        connection.send(chunk);
      };
      // The first slice goes out at once and the close comes one delay after the last slice,
      // as in the original; the ticks in between share the connection's single interval timer.
      tick();
      if (!connection.closed && sent > 0) connection.every(delay, tick);
    },
  });
  return { ...server, kind: 'slow', schedule: slowSchedule(poem.byteLength, numBytes, delay) };
}
