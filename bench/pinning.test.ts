/**
 * Where a scenario's clients run when the bench pins: on the client core, except for the scenario
 * that measures what more cores buy, whose clients — every model's alike — may use every core.
 */
import { describe, expect, it } from 'vitest';
import { choosePinning, clientCoreFor, clientCoresNote, pinnedArgv } from './pinning.ts';
import { scenarioSpecs } from './scenarios.ts';

describe('clients on one core or every core', () => {
  const pinned = choosePinning(2, true, true);
  const unpinned = choosePinning(2, true, false);

  it('pins a scenario’s clients to the client core unless it asks for every core', () => {
    expect(clientCoreFor(pinned)).toBe(1);
    expect(clientCoreFor(pinned, 'one')).toBe(1);
    expect(clientCoreFor(pinned, 'every')).toBeUndefined();
    expect(pinnedArgv(clientCoreFor(pinned, 'every'), ['node', 'x'])).toEqual(['node', 'x']);
    expect(clientCoreFor(unpinned, 'one')).toBeUndefined();
  });

  it('notes the exception only where the bench pins and the scenario asks for it', () => {
    expect(clientCoresNote(pinned, 'every')).toBe(
      'clients on every core, every model alike (servers on core 0): this scenario measures what more cores buy',
    );
    expect(clientCoresNote(pinned, 'one')).toBeUndefined();
    expect(clientCoresNote(unpinned, 'every')).toBeUndefined();
  });

  it('lets the cpu scenario’s clients use every core, at both sizes, and no other scenario’s', () => {
    for (const quick of [false, true]) {
      const every = scenarioSpecs(quick).filter((spec) => spec.clientCores === 'every');
      expect(every.map((spec) => spec.name)).toEqual(['cpu']);
      expect(every[0]?.description).toContain('run on every core');
    }
  });
});
