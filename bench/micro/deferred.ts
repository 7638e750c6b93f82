/**
 * Micro-benchmarks for `reactor/defer`: what a Deferred chain costs against the same work in native
 * Promises. A Deferred runs its chain synchronously, so its rows are done when they return; a
 * Promise row is done when its last `then` has run, which the harness awaits. Three comparisons:
 * a chain fired after its 10 callbacks are added, a chain on an already-fired result, and a list
 * of 1,000 (DeferredList against Promise.allSettled, both reporting every outcome in order).
 */
import { Deferred, DeferredList, succeed } from '../../reactor/defer.ts';
import type { MicroSuite } from './suite.ts';

const LINKS = 10;
const LIST = 1_000;

const increment = (n: number): number => n + 1;

/** Reads a Deferred's result the way a caller would: with one more link. */
function resultOf<T>(d: Deferred<T>): T {
  let out: T | undefined;
  d.addCallback((r) => {
    out = r;
  });
  return out as T;
}

function deferredNotYetFired(): number {
  const d = new Deferred<number>();
  let chain: Deferred<number> = d;
  for (let i = 0; i < LINKS; i++) chain = chain.addCallback(increment);
  d.callback(0);
  return resultOf(chain);
}

function promiseNotYetFired(): Promise<number> {
  let resolve!: (n: number) => void;
  let chain = new Promise<number>((r) => {
    resolve = r;
  });
  for (let i = 0; i < LINKS; i++) chain = chain.then(increment);
  resolve(0);
  return chain;
}

function deferredAlreadyFired(): number {
  let chain = succeed(0);
  for (let i = 0; i < LINKS; i++) chain = chain.addCallback(increment);
  return resultOf(chain);
}

function promiseAlreadyFired(): Promise<number> {
  let chain = Promise.resolve(0);
  for (let i = 0; i < LINKS; i++) chain = chain.then(increment);
  return chain;
}

function deferredList(): number {
  const inputs: Deferred<number>[] = [];
  for (let i = 0; i < LIST; i++) inputs.push(new Deferred<number>());
  const list = new DeferredList(inputs);
  for (let i = 0; i < LIST; i++) inputs[i]!.callback(i);
  return resultOf(list).length;
}

async function promiseAllSettled(): Promise<number> {
  const resolvers: ((n: number) => void)[] = [];
  const inputs: Promise<number>[] = [];
  for (let i = 0; i < LIST; i++) inputs.push(new Promise<number>((r) => resolvers.push(r)));
  const all = Promise.allSettled(inputs);
  for (let i = 0; i < LIST; i++) resolvers[i]!(i);
  return (await all).length;
}

export const suites: readonly MicroSuite[] = [
  {
    name: 'deferred-chain',
    description: `A chain of ${LINKS} callbacks added first, then fired: Deferred.callback against resolving a Promise.`,
    baseline: 'Promise chain',
    budget: 'not-yet-fired Deferred chain within 2× of the Promise chain',
    budgetMet: (ratios) => (ratios['Deferred chain'] ?? 0) >= 0.5,
    tasks: { 'Promise chain': promiseNotYetFired, 'Deferred chain': deferredNotYetFired },
  },
  {
    name: 'deferred-fired',
    description: `${LINKS} callbacks added to a result that is already there: succeed() against Promise.resolve().`,
    baseline: 'Promise chain',
    budget: 'already-fired Deferred chain faster than the Promise chain',
    budgetMet: (ratios) => (ratios['Deferred chain'] ?? 0) > 1,
    tasks: { 'Promise chain': promiseAlreadyFired, 'Deferred chain': deferredAlreadyFired },
  },
  {
    name: 'deferred-list',
    description: `${LIST.toLocaleString('en')} pending results fired one by one and collected in order: DeferredList against Promise.allSettled.`,
    baseline: 'Promise.allSettled',
    tasks: { 'Promise.allSettled': promiseAllSettled, DeferredList: deferredList },
  },
];
