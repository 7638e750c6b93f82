/**
 * What one kind of server needs to join `npm run serve`: its options (each with its help line),
 * how many consecutive ports it takes, and how to start it. The kinds themselves, the plain servers
 * and the reactor's caching proxy alike, are listed in `serve.ts`.
 */

import type { ListenOptions } from '../poetry/servers/server.ts';
import { type NumberRule, numberArgument, type OptionSpec, UsageError } from './command-line.ts';

export { UsageError };

/** A kind's options, as `command-line.ts` reads them, each with its help line. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** What the command line said, by option name; a kind reads only its own options and the common ones. */
export type OptionValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** What `serve` runs: one server or a group, stopped as one. */
export interface Running {
  /** One line per listening server, e.g. `slow server serving "Kettle" on 127.0.0.1:10001`. */
  readonly banner: readonly string[];
  close(): Promise<void>;
}

export interface ServeKind {
  /** One line for the overall `--help`. */
  readonly summary: string;
  /** Lines printed after the options in `serve <kind> --help`, for what the options' own lines cannot say. */
  readonly help?: readonly string[];
  readonly options: OptionSpecs;
  /** How many consecutive ports from `--port` it listens on (default 1): `--port` must leave room for them all. */
  readonly ports?: number;
  start(values: OptionValues, listen: ListenOptions): Promise<Running>;
}

/** The number given as `--<name>`, checked against `rule`; undefined when the option was not given. */
export function numberOption(values: OptionValues, name: string, rule: NumberRule): number | undefined {
  const text = values[name];
  return typeof text === 'string' ? numberArgument(`--${name}`, text, rule) : undefined;
}
