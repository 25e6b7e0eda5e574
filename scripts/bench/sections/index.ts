import type { BenchSectionRunner } from '../section.js';
import { runColdStart } from './cold-start.js';

/** Sections in the order the issue lists them; each file owns one measurement. */
export const SECTIONS: Record<string, BenchSectionRunner> = {
  'cold-start': runColdStart,
};
