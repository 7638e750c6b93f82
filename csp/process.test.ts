/** The scheduler's rules: FIFO turns, no process inside another's stack, errors where they belong. */
import { describe, expect, it } from 'vitest';
import { chan, put, take } from './channels.ts';
import { go, PARK, type Park, run } from './process.ts';

describe('processes', () => {
  it('run resolves with what the body returns and rejects with what it throws', async () => {
    await expect(
      // biome-ignore lint/correctness/useYield: a process that never parks is one of the cases
      run(function* () {
        return 42;
      }),
    ).resolves.toBe(42);
    await expect(
      // biome-ignore lint/correctness/useYield: a process that never parks is one of the cases
      run(function* () {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });

  it('processes made ready take their turns in the order they became ready', async () => {
    const log: string[] = [];
    const gate = chan<number>();
    // biome-ignore lint/correctness/useYield: the parent only starts the others
    await run(function* () {
      for (const name of ['a', 'b', 'c'])
        go(function* () {
          log.push(`${name} waits`);
          yield* take(gate);
          log.push(`${name} runs`);
        });
      // Started from inside a process, the three are queued: none has run yet.
      expect(log).toEqual([]);
    });
    expect(log).toEqual(['a waits', 'b waits', 'c waits']);
    await run(function* () {
      for (let i = 0; i < 3; i++) yield* put(gate, i);
      // Woken by this process's puts, they run after it parks or ends, in the order woken.
      log.push('putter done');
    });
    expect(log.slice(3)).toEqual(['putter done', 'a runs', 'b runs', 'c runs']);
  });

  it('a woken process never runs inside the stack of the one that woke it', async () => {
    const ch = chan<number>();
    let depthWhenWoken = -1;
    let depth = 0;
    go(function* () {
      yield* take(ch);
      depthWhenWoken = depth;
    });
    await run(function* () {
      depth++;
      yield* put(ch, 1);
      depth--;
    });
    expect(depthWhenWoken).toBe(0);
  });

  it('a body that yields anything but a channel operation is told so', async () => {
    const wrong = run(function* () {
      yield 'not a park' as unknown as Park;
    });
    await expect(wrong).rejects.toThrow(TypeError);
    const caught = run(function* () {
      try {
        yield {} as Park;
      } catch (error) {
        return (error as Error).name;
      }
      return 'not told';
    });
    await expect(caught).resolves.toBe('TypeError');
    expect(PARK).toBeDefined();
  });
});
