import type { BenchSectionRunner } from '../section.js';
import { runAtScale } from './at-scale.js';
import { runColdStart } from './cold-start.js';
import { runExpiredToken } from './expired-token.js';
import { runKmsCalls } from './kms-calls.js';
import { runRejectionStorm } from './rejection-storm.js';
import { runTakeover } from './takeover.js';
import { runWaiters } from './waiters.js';
import { runWarmPath } from './warm-path.js';

/** Sections in the order the issue lists them; each file owns one measurement. */
export const SECTIONS: Record<string, BenchSectionRunner> = {
  'expired-token': runExpiredToken,
  'rejection-storm': runRejectionStorm,
  'warm-path': runWarmPath,
  waiters: runWaiters,
  takeover: runTakeover,
  'cold-start': runColdStart,
  'at-scale': runAtScale,
  'kms-calls': runKmsCalls,
};
