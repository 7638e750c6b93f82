/**
 * The leak checker: after a run, no socket, server or timer of the client's may still be open. The
 * conformance suite checks it after every case, and the bench after every model run.
 *
 * `process.getActiveResourcesInfo()` lists what keeps the event loop alive, by type (`TCPSocketWrap`,
 * `TCPServerWrap`, `Timeout`, …). A snapshot taken before a case is compared with the list after it,
 * once the case's servers are closed. Closing a socket takes a turn or two of the loop, so the check
 * polls for a short bounded time before it reports what is left.
 *
 * Only handles that keep the loop alive are listed, so what the process holds on purpose for its
 * whole life is unref'd and never counts: `refusingAddress()`'s reservation, made during whichever
 * case asks first, is not a leak of that case.
 */

/** How many of each kind of resource are open now. */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/**
 * How many of each kind are open now beyond the counts in `before` (only the kinds in `only`, when
 * given); empty when nothing leaked.
 */
export function resourcesBeyond(before: ReadonlyMap<string, number>, only?: ReadonlySet<string>): Map<string, number> {
  const extra = new Map<string, number>();
  for (const [kind, count] of activeResources()) {
    if (only !== undefined && !only.has(kind)) continue;
    const beyond = count - (before.get(kind) ?? 0);
    if (beyond > 0) extra.set(kind, beyond);
  }
  return extra;
}

/**
 * Waits up to `settleMs` for everything opened since `before` to close; returns what is still open,
 * by kind. The wait ends as soon as nothing is left, so a clean run costs a few milliseconds.
 */
export async function resourcesLeftSince(
  before: ReadonlyMap<string, number>,
  settleMs = 1000,
  only?: ReadonlySet<string>,
): Promise<Map<string, number>> {
  const giveUpAt = performance.now() + settleMs;
  for (;;) {
    const left = resourcesBeyond(before, only);
    if (left.size === 0 || performance.now() >= giveUpAt) return left;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The same, worded for a test failure, e.g. `2 × TCPSocketWrap`; `[]` when nothing leaked. */
export async function leaksSince(before: ReadonlyMap<string, number>, settleMs = 1000): Promise<string[]> {
  return [...(await resourcesLeftSince(before, settleMs))].map(([kind, count]) => `${count} × ${kind}`);
}
