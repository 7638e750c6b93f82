/**
 * The queue that runs one job per turn of the event loop: what a socket receives while jobs are
 * queued is read between two jobs (run back to back in one callback, the jobs would hold it until
 * all were done). Seen with a real slow server on loopback, sending every 5 ms while each job holds
 * the thread for 25 ms; the server runs on this thread too, so its tick also waits for a job to end.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { poems } from '../poetry/poems/index.ts';
import { type PoetryServer, startSlowServer } from '../poetry/servers/index.ts';
import { TurnQueue } from './turns.ts';

/** Holds the thread for `ms`, as an analysis does. */
function hold(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

let server: PoetryServer | undefined;
let socket: net.Socket | undefined;
afterEach(async () => {
  socket?.destroy();
  await server?.close();
});

/** A connection to a slow server, recording `chunk` in `log` for each read; resolves once the first chunk is in. */
async function trickling(log: string[]): Promise<void> {
  server = await startSlowServer({ poem: poems['night-ferry'].text, numBytes: 10, delay: 0.005 });
  const connection = net.connect(server.address.port, server.address.host);
  socket = connection;
  await new Promise<void>((resolve) => {
    connection.on('data', () => {
      log.push('chunk');
      resolve();
    });
  });
  log.length = 0;
}

describe('TurnQueue', () => {
  it('runs its jobs in order, each in a turn of its own: a socket is read between any two', async () => {
    const log: string[] = [];
    await trickling(log);
    const queue = new TurnQueue();
    const ran = new Promise<void>((resolve) => {
      for (let job = 1; job <= 4; job++)
        queue.push(() => {
          hold(25);
          log.push(`job ${job}`);
          if (job === 4) resolve();
        });
    });
    await ran;
    const jobs = log.filter((entry) => entry !== 'chunk');
    expect(jobs).toEqual(['job 1', 'job 2', 'job 3', 'job 4']);
    // Between two jobs the server's 5 ms tick has come due and its chunk been read.
    for (let job = 1; job < 4; job++) {
      const between = log.slice(log.indexOf(`job ${job}`) + 1, log.indexOf(`job ${job + 1}`));
      expect(between, `reads between job ${job} and job ${job + 1}`).toContain('chunk');
    }
    expect(queue.waiting).toBe(0);
  });

  it('clear drops the waiting jobs and leaves nothing scheduled', async () => {
    const queue = new TurnQueue();
    const ran: number[] = [];
    queue.push(() => ran.push(1));
    queue.push(() => ran.push(2));
    expect(queue.waiting).toBe(2);
    expect(process.getActiveResourcesInfo()).toContain('Immediate');
    queue.clear();
    expect(queue.waiting).toBe(0);
    expect(process.getActiveResourcesInfo()).not.toContain('Immediate');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(ran).toEqual([]);
  });

  it('keeps going after a job queued from inside a job, and after the queue empties', async () => {
    const queue = new TurnQueue();
    const ran: string[] = [];
    await new Promise<void>((resolve) => {
      queue.push(() => {
        ran.push('a');
        queue.push(() => {
          ran.push('b');
          resolve();
        });
      });
    });
    await new Promise<void>((resolve) => queue.push(() => resolve(void ran.push('c'))));
    expect(ran).toEqual(['a', 'b', 'c']);
  });
});
