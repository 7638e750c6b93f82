/**
 * The test `Clock` and, through it, the `Scheduler` every reactor uses for `callLater`:
 * ordering, cancel, reset, delay, and what happens to errors.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../poetry/random.ts';
import { AlreadyCalledError, AlreadyCancelledError, Clock } from './clock.ts';
import type { DelayedCall } from './interfaces.ts';
import { runCollecting } from './test-collect.ts';

describe('Clock', () => {
  it('runs delayed calls in due order, and calls due at the same time in the order they were made', () => {
    const clock = new Clock();
    const ran: string[] = [];
    clock.callLater(3, () => ran.push('c'));
    clock.callLater(1, () => ran.push('a1'));
    clock.callLater(2, (x: string) => ran.push(x), 'b');
    clock.callLater(1, () => ran.push('a2'));
    clock.advance(0.5);
    expect(ran).toEqual([]);
    clock.advance(1.5);
    expect(ran).toEqual(['a1', 'a2', 'b']);
    clock.advance(1);
    expect(ran).toEqual(['a1', 'a2', 'b', 'c']);
    expect(clock.seconds()).toBe(3);
  });

  it('cancel stops a call; cancelling twice or after it ran is an error', () => {
    const clock = new Clock();
    const ran: string[] = [];
    const call = clock.callLater(1, () => ran.push('x'));
    const other = clock.callLater(1, () => ran.push('y'));
    expect(call.active()).toBe(true);
    call.cancel();
    expect(call.active()).toBe(false);
    expect(() => call.cancel()).toThrow(AlreadyCancelledError);
    clock.advance(2);
    expect(ran).toEqual(['y']);
    expect(() => other.cancel()).toThrow(AlreadyCalledError);
    expect(() => other.reset(1)).toThrow(AlreadyCalledError);
  });

  it('reset makes a call due that long from now; delay pushes it back from when it was due', () => {
    const clock = new Clock();
    const ran: string[] = [];
    const a = clock.callLater(1, () => ran.push('a'));
    clock.callLater(2, () => ran.push('b'));
    clock.advance(0.5);
    a.reset(2); // due at 2.5
    expect(a.getTime()).toBe(2.5);
    clock.advance(1.6); // 2.1
    expect(ran).toEqual(['b']);
    a.delay(1); // due at 3.5
    expect(a.getTime()).toBe(3.5);
    clock.advance(1);
    expect(ran).toEqual(['b']);
    clock.advance(0.5);
    expect(ran).toEqual(['b', 'a']);
  });

  it('a call moved earlier runs at its new time, not its old one', () => {
    const clock = new Clock();
    const ran: string[] = [];
    const late = clock.callLater(10, () => ran.push('late'));
    clock.callLater(5, () => ran.push('middle'));
    late.reset(1);
    clock.advance(1);
    expect(ran).toEqual(['late']);
    clock.advance(10);
    expect(ran).toEqual(['late', 'middle']);
  });

  it('getDelayedCalls lists exactly the pending calls', () => {
    const clock = new Clock();
    const a = clock.callLater(1, () => {});
    const b = clock.callLater(2, () => {});
    a.cancel();
    expect(clock.getDelayedCalls()).toEqual([b]);
    clock.advance(2);
    expect(clock.getDelayedCalls()).toEqual([]);
    expect(clock.timeUntilNextCall()).toBeNull();
  });

  it('pump advances step by step, running calls scheduled by earlier calls', () => {
    const clock = new Clock();
    const times: number[] = [];
    const tick = () => {
      times.push(clock.seconds());
      if (times.length < 3) clock.callLater(1, tick);
    };
    clock.callLater(1, tick);
    clock.pump([1, 1, 1, 1]);
    expect(times).toEqual([1, 2, 3]);
  });

  it('what a call throws comes out of advance; the other due calls still run on the next advance', () => {
    const clock = new Clock();
    const ran: string[] = [];
    clock.callLater(1, () => {
      throw new Error('boom');
    });
    clock.callLater(1, () => ran.push('after'));
    expect(() => clock.advance(1)).toThrow('boom');
    expect(ran).toEqual([]);
    clock.advance(0);
    expect(ran).toEqual(['after']);
  });

  it('keeps due order through mass cancels and resets (each taken out of the heap or moved in it)', () => {
    const clock = new Clock();
    const ran: number[] = [];
    const calls = Array.from({ length: 300 }, (_, i) => clock.callLater((i * 7919) % 300, () => ran.push(i)));
    const expected: { i: number; time: number }[] = [];
    calls.forEach((call, i) => {
      if (i % 4 !== 0) call.cancel();
      else if (i % 8 === 0) call.reset(1000 - i);
    });
    calls.forEach((call, i) => {
      if (call.active()) expected.push({ i, time: call.getTime() });
    });
    expected.sort((a, b) => a.time - b.time || a.i - b.i);
    clock.advance(2000);
    expect(ran).toEqual(expected.map((e) => e.i));
    expect(clock.getDelayedCalls()).toEqual([]);
  });

  it('never runs a cancelled call, and keeps due order when the heap drops its cancelled calls (random schedules; calls that cancel others)', () => {
    const random = seededRandom(14);
    const clock = new Clock();
    // The real calls by id, and a reference of when each live one is due.
    const handles = new Map<number, DelayedCall>();
    const due = new Map<number, { time: number; order: number }>();
    const ran: number[] = [];
    const expected: number[] = [];
    // Every fifth call cancels the three made just before it, while the clock is running.
    const victimsOf = (id: number) => (id % 5 === 0 ? [id - 1, id - 2, id - 3] : []);
    const cancel = (id: number) => {
      handles.get(id)?.cancel();
      handles.delete(id);
    };
    let now = 0;
    let made = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 100; i++) {
        const id = made++;
        const delay = Math.floor(random() * 50);
        handles.set(
          id,
          clock.callLater(delay, () => {
            ran.push(id);
            handles.delete(id);
            for (const victim of victimsOf(id)) cancel(victim);
          }),
        );
        due.set(id, { time: now + delay, order: id });
      }
      // Most are cancelled, so the heap is more than half cancelled calls and is rebuilt.
      for (const id of [...handles.keys()]) {
        if (random() < 0.6) {
          cancel(id);
          due.delete(id);
        }
      }
      const step = Math.floor(random() * 20);
      now += step;
      for (;;) {
        let first: [number, { time: number; order: number }] | undefined;
        for (const entry of due) {
          const [, call] = entry;
          if (call.time > now) continue;
          if (
            first === undefined ||
            call.time < first[1].time ||
            (call.time === first[1].time && call.order < first[1].order)
          )
            first = entry;
        }
        if (first === undefined) break;
        expected.push(first[0]);
        due.delete(first[0]);
        for (const victim of victimsOf(first[0])) due.delete(victim);
      }
      clock.advance(step);
      expect(ran).toEqual(expected);
      expect(clock.getDelayedCalls()).toHaveLength(handles.size);
    }
    expect(ran.length).toBeGreaterThan(500);
  });

  it('a cancelled call still in the heap lets go of its function and arguments (a real collection, in a child with --expose-gc)', async () => {
    const clockModule = fileURLToPath(new URL('./clock.ts', import.meta.url));
    // Ten cancels leave the heap unswept; what each call would have used must still be collectable.
    const program = `
      const { Clock } = await import(${JSON.stringify(clockModule)});
      const clock = new Clock();
      const refs = [];
      // In a function of its own, so no variable of this frame still holds the last one made.
      (() => {
        for (let i = 0; i < 10; i++) {
          const connection = { i };
          const closure = () => connection;
          refs.push(new WeakRef(connection), new WeakRef(closure));
          clock.callLater(30, closure, connection).cancel();
        }
      })();
      const kept = clock.callLater(30, () => {});
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((resolve) => setTimeout(resolve, 10)); }
      process.stdout.write(JSON.stringify({ alive: refs.filter((ref) => ref.deref() !== undefined).length, pending: clock.getDelayedCalls().length, keptActive: kept.active() }));
    `;
    const { stdout } = await runCollecting(program);
    expect(JSON.parse(stdout)).toEqual({ alive: 0, pending: 1, keptActive: true });
  });

  it('refuses a negative delay and a non-function', () => {
    const clock = new Clock();
    expect(() => clock.callLater(-1, () => {})).toThrow(RangeError);
    expect(() => clock.callLater(1, 'nope' as unknown as () => void)).toThrow(TypeError);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});
