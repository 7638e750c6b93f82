/**
 * Micro-benchmarks for `generators/`: what the inlineCallbacks driver costs per yield, against
 * `async`/`await`, its descendant. Two questions: how cheap is a run of results that are already
 * there (the driver loops synchronously, `await` always takes a microtask), and how cheap is one
 * suspension on a result that is not there yet (the case a real client spends its time in).
 */

import { inlineCallbacks, wait } from '../../generators/inline-callbacks.ts';
import { Deferred, succeed } from '../../reactor/defer.ts';
import type { MicroSuite } from './suite.ts';

const YIELDS = 10;

const yieldTenFired = inlineCallbacks(function* () {
  let total = 0;
  for (let i = 0; i < YIELDS; i++) total += (yield succeed(i)) as number;
  return total;
});

const waitTenFired = inlineCallbacks(function* () {
  let total = 0;
  for (let i = 0; i < YIELDS; i++) total += yield* wait(succeed(i));
  return total;
});

async function awaitTenResolved(): Promise<number> {
  let total = 0;
  for (let i = 0; i < YIELDS; i++) total += await Promise.resolve(i);
  return total;
}

async function awaitTenFiredDeferreds(): Promise<number> {
  let total = 0;
  for (let i = 0; i < YIELDS; i++) total += await succeed(i);
  return total;
}

const yieldOnce = inlineCallbacks(function* (pending: Deferred<number>) {
  return ((yield pending) as number) + 1;
});

const waitOnce = inlineCallbacks(function* (pending: Deferred<number>) {
  return (yield* wait(pending)) + 1;
});

async function awaitOnce(pending: PromiseLike<number>): Promise<number> {
  return (await pending) + 1;
}

/** Synchronous rows read their result with a link, as the harness awaits the async rows' results. */
function keep(result: number): number {
  return result;
}

export const suites: readonly MicroSuite[] = [
  {
    name: 'generators-fired',
    description:
      `A coroutine that waits on ${YIELDS} results that are already there: inlineCallbacks resumes at once ` +
      '(the whole run is synchronous), async/await takes a microtask per await.',
    baseline: 'async/await: 10 resolved Promises',
    tasks: {
      'async/await: 10 resolved Promises': () => awaitTenResolved(),
      'async/await: 10 fired Deferreds': () => awaitTenFiredDeferreds(),
      'inlineCallbacks: yield 10 fired Deferreds': () => {
        yieldTenFired().addCallback(keep);
      },
      'inlineCallbacks: yield* wait(), 10 fired Deferreds': () => {
        waitTenFired().addCallback(keep);
      },
    },
  },
  {
    name: 'generators-pending',
    description:
      'One suspension on a result that is not there yet, then firing it: a yield on an unfired Deferred ' +
      '(resumed synchronously by callback()) against an await on an unresolved Promise (resumed in a ' +
      'microtask and awaited by the harness). The last row hands the result back as a Promise, as the ' +
      'model edge does, to show what crossing into Promise-land costs.',
    baseline: 'async/await: pending Promise',
    budget: 'a yield on an unfired Deferred within 2× of an await on an unresolved Promise',
    budgetMet: (ratios) => (ratios['inlineCallbacks: yield unfired Deferred'] ?? 0) >= 0.5,
    tasks: {
      'async/await: pending Promise': () => {
        let resolve: (value: number) => void = () => {};
        const pending = new Promise<number>((r) => {
          resolve = r;
        });
        const done = awaitOnce(pending);
        resolve(1);
        return done;
      },
      'inlineCallbacks: yield unfired Deferred': () => {
        const pending = new Deferred<number>();
        const done = yieldOnce(pending);
        pending.callback(1);
        done.addCallback(keep);
      },
      'inlineCallbacks: yield* wait(), unfired Deferred': () => {
        const pending = new Deferred<number>();
        const done = waitOnce(pending);
        pending.callback(1);
        done.addCallback(keep);
      },
      'inlineCallbacks: unfired Deferred, result as a Promise': () => {
        const pending = new Deferred<number>();
        const done = yieldOnce(pending);
        pending.callback(1);
        return done.asPromise();
      },
    },
  },
];
