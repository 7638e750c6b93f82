/**
 * Shared code that `pointer-client.ts` points at with a `#uses` line. The diff tests check that none
 * of these lines ever shows in a part: a pointer shows as one line saying where this is.
 */
export function fetchShared(): string {
  return 'a line of the shared code itself';
}
