/**
 * Every probe of the matrix, in the order they run for a model. Memory comes first, in a model
 * process that has done nothing yet; virtual time comes last, as it swaps the process's timers
 * for its own while it runs. Adding a dimension is one probe file and one line here.
 */
import { cancelLatency, cancelReach } from './cancel.ts';
import type { Probe } from './cell.ts';
import { codeSizeProbe } from './code-size.ts';
import { cpuFairness } from './cpu.ts';
import { errorSurface } from './errors.ts';
import { floodFairness } from './flood.ts';
import { laziness } from './laziness.ts';
import { limitExactness } from './limit.ts';
import { memoryPerDownload } from './memory.ts';
import { overheadProbe } from './overhead.ts';
import { retryAttempts } from './retry.ts';
import { streaming } from './streaming.ts';
import { timeoutPrecision } from './timeout.ts';
import { virtualTime } from './virtual-time.ts';

export const probes: readonly Probe[] = [
  memoryPerDownload,
  cancelLatency,
  cancelReach,
  timeoutPrecision,
  errorSurface,
  limitExactness,
  retryAttempts,
  floodFairness,
  cpuFairness,
  overheadProbe(),
  codeSizeProbe(),
  laziness,
  streaming,
  virtualTime,
];
