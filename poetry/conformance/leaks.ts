/**
 * The leak checker: after a case, no socket, server or timer of the client's may still be open.
 *
 * `process.getActiveResourcesInfo()` lists what keeps the event loop alive, by type (`TCPSocketWrap`,
 * `TCPServerWrap`, `Timeout`, …). A snapshot taken before a case is compared with the list after it,
 * once the case's servers are closed. Closing a socket takes a turn or two of the loop, so the check
 * polls for a short bounded time before it reports what is left.
 */

/** How many of each kind of resource are open now. */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** What is open now that was not open in `before`, e.g. `2 × TCPSocketWrap`; `[]` when nothing leaked. */
export function resourcesBeyond(before: ReadonlyMap<string, number>): string[] {
  const leaked: string[] = [];
  for (const [kind, count] of activeResources()) {
    const extra = count - (before.get(kind) ?? 0);
    if (extra > 0) leaked.push(`${extra} × ${kind}`);
  }
  return leaked;
}

/**
 * Waits up to `settleMs` for everything opened since `before` to close; returns what is still open.
 * The wait ends as soon as nothing is left, so a clean case costs a few milliseconds.
 */
export async function leaksSince(before: ReadonlyMap<string, number>, settleMs = 1000): Promise<string[]> {
  const giveUpAt = performance.now() + settleMs;
  for (;;) {
    const leaked = resourcesBeyond(before);
    if (leaked.length === 0 || performance.now() >= giveUpAt) return leaked;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
