/**
 * A client file for the diff's tests, of no registered model: most of its parts are one `#uses`
 * pointer to `shared-code.ts`, `limit` is its own code and `collect` is declared not applicable, so
 * a test can see each kind of part as `npm run diff` shows it.
 */

// #uses connect, receive, finish, fail, timeout, cancel, transform, retry: fetchShared (harness/test-fixtures/shared-code.ts)

// #region limit
export const inFlight = 1;
// #endregion

// #region collect — not applicable: this fixture collects nothing
// #endregion
