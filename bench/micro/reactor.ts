/**
 * Micro-benchmarks for the reactor's delayed calls: what `callLater` costs against Node's own
 * `setTimeout`, the thing it replaces. Two comparisons, 1,000 calls each: schedule and let them all
 * fire (the real reactor runs until the last one stops it; the timers resolve a promise), and
 * schedule then cancel (pure bookkeeping: the reactor's heap against libuv's timer list).
 */
import { Reactor } from '../../reactor/reactor.ts';
import type { MicroSuite } from './suite.ts';

const CALLS = 1_000;

const reactor = new Reactor();
const noop = (): void => {};

function setTimeoutFired(): Promise<void> {
  return new Promise((resolve) => {
    let left = CALLS;
    const fire = () => {
      left -= 1;
      if (left === 0) resolve();
    };
    for (let i = 0; i < CALLS; i++) setTimeout(fire, 0);
  });
}

function callLaterFired(): Promise<void> {
  let left = CALLS;
  const fire = () => {
    left -= 1;
    if (left === 0) reactor.stop();
  };
  for (let i = 0; i < CALLS; i++) reactor.callLater(0, fire);
  return reactor.run();
}

function setTimeoutCancelled(): void {
  const timers: NodeJS.Timeout[] = new Array(CALLS);
  for (let i = 0; i < CALLS; i++) timers[i] = setTimeout(noop, 1000 + i);
  for (const timer of timers) clearTimeout(timer);
}

function callLaterCancelled(): void {
  const calls = new Array(CALLS);
  for (let i = 0; i < CALLS; i++) calls[i] = reactor.callLater(1 + i / 1000, noop);
  for (const call of calls) call.cancel();
  // Cancelled entries leave the heap lazily; the next query drops them, as the loop's would.
  reactor.getDelayedCalls();
}

const budget = 'callLater within 2× of setTimeout';
/** Speed relative to the baseline: 0.5 is half as fast, the edge of the budget. */
const withinTwice = (row: string) => (ratios: Readonly<Record<string, number>>) => (ratios[row] ?? 0) >= 0.5;

export const suites: MicroSuite[] = [
  {
    name: 'reactor-calllater-fired',
    description: `${CALLS.toLocaleString('en')} delayed calls scheduled and fired: the reactor's callLater against setTimeout.`,
    baseline: 'setTimeout ×1000, fired',
    budget,
    budgetMet: withinTwice('callLater ×1000, fired (reactor run)'),
    tasks: {
      'setTimeout ×1000, fired': setTimeoutFired,
      'callLater ×1000, fired (reactor run)': callLaterFired,
    },
  },
  {
    name: 'reactor-calllater-cancelled',
    description: `${CALLS.toLocaleString('en')} delayed calls scheduled and cancelled: the reactor's heap against libuv's timer list.`,
    baseline: 'setTimeout+clearTimeout ×1000',
    budget,
    budgetMet: withinTwice('callLater+cancel ×1000'),
    tasks: {
      'setTimeout+clearTimeout ×1000': setTimeoutCancelled,
      'callLater+cancel ×1000': callLaterCancelled,
    },
  },
];
