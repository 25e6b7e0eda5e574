import type { BenchSectionRunner } from '../section.js';

/** Sections in the order the issue lists them; each file owns one measurement. */
export const SECTIONS: Record<string, BenchSectionRunner> = {};
