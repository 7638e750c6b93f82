/**
 * Unhandled errors and debug mode: spec section 5. Collection is only observable after a real
 * garbage collection, so each scenario runs in a child Node with `--expose-gc`: it builds some
 * Deferreds, drops them, collects, and prints what the reporter received.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCollecting } from './test-collect.ts';

const deferModule = fileURLToPath(new URL('./defer.ts', import.meta.url));

interface Report {
  message: string;
  error: string;
  debug: string | null;
  text: string;
}

/** Runs `scenario` (a function body using the `defer` module) in a child, collects, returns the reports. */
function reportsAfterCollecting(
  scenario: string,
  useDefaultReporter = false,
): Promise<{ reports: Report[]; stderr: string }> {
  const program = `
    const defer = await import(${JSON.stringify(deferModule)});
    const reports = [];
    if (!${useDefaultReporter}) defer.setUnhandledErrorReporter((r) => reports.push({
      message: r.message, error: r.failure.getErrorMessage(), debug: r.debug ?? null, text: defer.formatUnhandledError(r) }));
    (() => { ${scenario} })();
    for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((resolve) => setTimeout(resolve, 10)); }
    process.stdout.write(JSON.stringify(reports));
  `;
  return runCollecting(program).then(({ stdout, stderr }) => ({ reports: JSON.parse(stdout) as Report[], stderr }));
}

describe('5. unhandled errors', () => {
  it('U1: a collected Deferred whose final result is a Failure is reported, message and failure', async () => {
    const { reports } = await reportsAfterCollecting(`defer.fail(new Error('lost error'));`);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.message).toBe('Unhandled error in Deferred:');
    expect(reports[0]!.error).toBe('lost error');
    expect(reports[0]!.text.startsWith('Unhandled Error\nTraceback ')).toBe(true);
  });

  it('U1: the default reporter writes both lines to stderr', async () => {
    const { stderr } = await reportsAfterCollecting(`defer.fail(new Error('to stderr'));`, true);
    expect(stderr).toContain('Unhandled error in Deferred:');
    expect(stderr).toContain('Unhandled Error\nTraceback ');
    expect(stderr).toContain('to stderr');
  });

  it('U2: only the final result counts: a failure later handled by a new link is not reported, a new failure is', async () => {
    const { reports } = await reportsAfterCollecting(`
      const d = defer.fail(new Error('first'));
      d.addErrback(() => 'handled');
      const e = defer.succeed(1);
      e.addCallback(() => { throw new Error('second'); });
    `);
    expect(reports.map((r) => r.error)).toEqual(['second']);
  });

  it('U3: nothing is reported for unfired, successful, handled, chained-away, consumed or awaited failures', async () => {
    const { reports } = await reportsAfterCollecting(`
      new defer.Deferred();
      defer.succeed(1);
      defer.fail(new Error('h')).addErrback(() => {});
      const inner = new defer.Deferred();
      const outer = defer.succeed(null);
      outer.addCallback(() => inner).addErrback(() => 'outer handled it');
      inner.errback(new Error('chained'));
      new defer.DeferredList([defer.fail(new Error('c1'))], { consumeErrors: true });
      defer.gatherResults([defer.fail(new Error('c2'))], { consumeErrors: true }).addErrback(() => {});
      defer.fail(new Error('awaited')).then(undefined, () => {});
    `);
    expect(reports).toEqual([]);
  });

  it('U4: without consumeErrors, each failed input of a DeferredList or gatherResults is still reported', async () => {
    const { reports } = await reportsAfterCollecting(`
      new defer.DeferredList([defer.fail(new Error('l1')), defer.fail(new Error('l2'))]);
      defer.gatherResults([defer.fail(new Error('g1'))]).addErrback(() => {});
    `);
    expect(reports.map((r) => r.error).sort()).toEqual(['g1', 'l1', 'l2']);
  });

  it('U6/U8: in debug mode the report says where the Deferred was created and first fired', async () => {
    const { reports } = await reportsAfterCollecting(`
      defer.setDebugging(true);
      function makeItHere() { return new defer.Deferred(); }
      function fireItHere(d) { d.errback(new Error('debugged')); }
      fireItHere(makeItHere());
    `);
    expect(reports).toHaveLength(1);
    const debug = reports[0]!.debug ?? '';
    expect(debug).toMatch(/^ C: Deferred was created:\n C:.*makeItHere/s);
    expect(debug).toMatch(/ I: First Invoker was:\n I:.*fireItHere/s);
    expect(reports[0]!.text.startsWith('(debug:  C')).toBe(true);
  });

  it('U8: debug switched on after creation has no creator section', async () => {
    const { reports } = await reportsAfterCollecting(`
      const d = new defer.Deferred();
      defer.setDebugging(true);
      d.errback(new Error('late debug'));
    `);
    expect(reports[0]!.text.startsWith('(debug:  I')).toBe(true);
  });
});
