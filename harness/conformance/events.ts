/**
 * The event-stream checker: what a model reports through `onEvent` must agree with the contract
 * and with the results it returns. Every conformance case runs its events through here, so a model
 * cannot pass a case with a malformed stream.
 *
 * Per task (1..n, the address's position in the input): a `connected` before any `chunk`; exactly
 * one final `done` or `failed`, and nothing after it; `done.bytes` equal to the chunks since the last
 * `connected` (a retried task starts counting again) and, unless a transform changed the poem, to the
 * poem's length in UTF-8; the final event matching the task's result.
 * Across tasks, `at` never goes backwards in the order the events were delivered.
 */
import { type Address, formatAddress, type PoemResult, type PoetryEvent } from '../../poetry/contract.ts';

/** Every way `events` and `results` break the contract for `addresses`; `[]` when they are well-formed. */
export function eventProblems(
  addresses: readonly Address[],
  events: readonly PoetryEvent[],
  results: readonly PoemResult[],
  { transformed = false }: { transformed?: boolean } = {},
): string[] {
  const problems: string[] = [];
  if (results.length !== addresses.length) {
    problems.push(`${results.length} results for ${addresses.length} addresses`);
  }
  results.forEach((result, index) => {
    const expected = formatAddress(addresses[index] as Address);
    if (result.address !== expected) problems.push(`result ${index + 1} is for ${result.address}, not ${expected}`);
  });

  let lastAt = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    if (event.at < lastAt)
      problems.push(`task ${event.task}: "${event.type}" at ${event.at} is earlier than ${lastAt}`);
    lastAt = Math.max(lastAt, event.at);
  }

  addresses.forEach((address, index) => {
    const task = index + 1;
    const own = events.filter((event) => event.task === task);
    problems.push(...taskProblems(task, formatAddress(address), own, results[index], transformed));
  });
  const strangers = events.filter(
    (event) => !Number.isInteger(event.task) || event.task < 1 || event.task > addresses.length,
  );
  for (const event of strangers)
    problems.push(`"${event.type}" event for task ${event.task}, outside 1..${addresses.length}`);
  return problems;
}

function taskProblems(
  task: number,
  address: string,
  events: readonly PoetryEvent[],
  result: PoemResult | undefined,
  transformed: boolean,
): string[] {
  const problems: string[] = [];
  let connected = false;
  let bytesSinceConnect = 0;
  let final: PoetryEvent | undefined;
  for (const event of events) {
    if (event.address !== address)
      problems.push(`task ${task}: "${event.type}" names ${event.address}, not ${address}`);
    if (final) {
      problems.push(`task ${task}: "${event.type}" after the final "${final.type}"`);
      continue;
    }
    switch (event.type) {
      case 'connected':
        connected = true;
        bytesSinceConnect = 0;
        break;
      case 'chunk':
        if (!connected) problems.push(`task ${task}: chunk before any "connected"`);
        if (!(event.bytes > 0)) problems.push(`task ${task}: chunk of ${event.bytes} bytes`);
        bytesSinceConnect += event.bytes;
        break;
      case 'done':
        final = event;
        if (event.bytes !== bytesSinceConnect) {
          problems.push(
            `task ${task}: done says ${event.bytes} bytes, the chunks since connecting add up to ${bytesSinceConnect}`,
          );
        }
        break;
      case 'failed':
        final = event;
        break;
    }
  }
  if (!final) {
    problems.push(`task ${task}: no final "done" or "failed" event`);
  } else if (result && final.type === 'done' && !result.ok) {
    problems.push(`task ${task}: "done" event but the result failed with ${result.error.code}`);
  } else if (result?.ok && final.type === 'done' && !transformed && final.bytes !== Buffer.byteLength(result.poem)) {
    problems.push(`task ${task}: done says ${final.bytes} bytes, the poem has ${Buffer.byteLength(result.poem)}`);
  } else if (result && final.type === 'failed' && (result.ok || result.error.code !== final.error.code)) {
    const outcome = result.ok ? 'the result has a poem' : `the result says ${result.error.code}`;
    problems.push(`task ${task}: "failed" event with ${final.error.code} but ${outcome}`);
  }
  return problems;
}
