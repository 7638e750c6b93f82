/**
 * What one kind of server needs to join `npm run serve`: its options, its help lines and how to
 * start it. It lives apart from `serve.ts` (which runs on import) so that a server written
 * elsewhere, a proxy say, can define its `ServeKind` next to itself; `serve.ts` then lists it.
 */
import type { ParseArgsConfig } from 'node:util';
import type { ListenOptions } from './server.ts';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What `serve` runs: one server or a group, stopped as one. */
export interface Running {
  /** One line per listening server, e.g. `slow server serving "Kettle" on 127.0.0.1:10001`. */
  readonly banner: readonly string[];
  close(): Promise<void>;
}

export interface ServeKind {
  /** One line for the overall `--help`. */
  readonly summary: string;
  /** Help lines for this kind's own options, one per option. */
  readonly help: readonly string[];
  readonly options: OptionSpecs;
  start(values: OptionValues, listen: ListenOptions): Promise<Running>;
}

/** A mistake on the command line: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function numberOption(
  values: OptionValues,
  name: string,
  rule: { integer?: boolean; min: number },
): number | undefined {
  const text = values[name];
  if (typeof text !== 'string') return undefined;
  const value = Number(text);
  const kind = rule.integer ? 'an integer' : 'a number';
  if (text.trim() === '' || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || value < rule.min) {
    throw new UsageError(`--${name} must be ${kind} >= ${rule.min}, got "${text}"`);
  }
  return value;
}
