/**
 * "Memory per container flat": each container's RSS at the end against its RSS once warm. Pure, so
 * the rule is unit-tested apart from the runs (test/unit/soak-rules.test.ts).
 *
 * Why not the RSS after the first invocation as the baseline: at that point V8 has compiled little,
 * the SDK clients have not opened their keep-alive sockets to every server, the heap has not grown
 * to the size its GC settles at. The soak's own first figures show that rise (tens of MiB in the
 * first few hundred invocations, then flat), which is warm-up, not a leak. So the baseline is the
 * RSS a container reports once it has done WARM_FRACTION of its invocations; the first RSS is
 * still reported.
 */

/** Share of a container's invocations after which its RSS is the baseline. */
export const WARM_FRACTION = 0.1;

/**
 * Largest growth from the warm baseline to the end, MiB. A Node process's RSS wanders as the young
 * generation fills and is scavenged and V8 grows old space in steps before it collects; a 4 x 4,000
 * run here went from ~72 MiB (first invocation) to ~118 MiB (10%) and on to 122-146 MiB at the end,
 * rising in steps that flattened. A leak worth the name (a closure, a cache entry, a buffer kept per
 * invocation or per token generation) grows without bound; 64 MiB over the ~5,600 invocations and
 * ~1,000 generations after the baseline is ~12 KiB per invocation or ~64 KiB per generation, which an
 * SDK response or a Powertools metric document kept per call would exceed, with room above the wander
 * measured (scripts/soak/RESULTS.md). The second half's growth is reported beside it as the slope to
 * read when a run comes close.
 */
export const MAX_GROWTH_MIB = 64;

const MIB = 2 ** 20;

export interface ContainerMemory {
  index: number;
  /** After the first invocation. */
  firstRssBytes: number;
  /** At WARM_FRACTION of its invocations; 0 when no sample caught it (a very short run). */
  warmRssBytes: number;
  /** At half of its invocations; 0 when no sample caught it. */
  midRssBytes: number;
  /** The largest any sample saw. */
  peakRssBytes: number;
  /** At the end. */
  lastRssBytes: number;
}

export interface MemoryVerdict {
  /** Largest end-minus-baseline growth of any container, MiB (negative when all shrank). */
  maxGrowthMiB: number;
  /** Largest end-minus-half-way growth of any container, MiB: the slope of the second half. */
  maxSecondHalfGrowthMiB: number;
  /** The container with that growth. */
  maxGrowthIndex: number;
  reasons: string[];
}

/** The baseline a container is judged against: its warm RSS, or its first when no warm sample exists. */
export function baselineBytes(container: ContainerMemory): number {
  return container.warmRssBytes > 0 ? container.warmRssBytes : container.firstRssBytes;
}

export const toMiB = (bytes: number): number => Math.round((bytes / MIB) * 10) / 10;

export function judgeMemory(containers: ContainerMemory[]): MemoryVerdict {
  const reasons: string[] = [];
  let maxGrowth = Number.NEGATIVE_INFINITY;
  let maxGrowthIndex = -1;
  for (const container of containers) {
    if (container.lastRssBytes <= 0 || baselineBytes(container) <= 0) {
      reasons.push(`container ${container.index} reported no RSS`);
      continue;
    }
    const growth = (container.lastRssBytes - baselineBytes(container)) / MIB;
    if (growth > maxGrowth) {
      maxGrowth = growth;
      maxGrowthIndex = container.index;
    }
    if (growth > MAX_GROWTH_MIB) {
      reasons.push(
        `container ${container.index} grew ${toMiB(growth * MIB)} MiB (${toMiB(baselineBytes(container))} -> ${toMiB(container.lastRssBytes)} MiB), more than ${MAX_GROWTH_MIB} MiB`,
      );
    }
  }
  const secondHalf = containers
    .filter((container) => container.midRssBytes > 0 && container.lastRssBytes > 0)
    .map((container) => container.lastRssBytes - container.midRssBytes);
  return {
    maxGrowthMiB: maxGrowthIndex < 0 ? 0 : toMiB(maxGrowth * MIB),
    maxSecondHalfGrowthMiB: secondHalf.length === 0 ? 0 : toMiB(Math.max(...secondHalf)),
    maxGrowthIndex,
    reasons,
  };
}
