import type { BenchSectionRunner } from '../section.js';
import { runColdStart } from './cold-start.js';
import { runExpiredToken } from './expired-token.js';
import { runRejectionStorm } from './rejection-storm.js';

/** Sections in the order the issue lists them; each file owns one measurement. */
export const SECTIONS: Record<string, BenchSectionRunner> = {
  'expired-token': runExpiredToken,
  'rejection-storm': runRejectionStorm,
  'cold-start': runColdStart,
};
