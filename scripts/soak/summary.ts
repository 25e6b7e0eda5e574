/** The soak's Markdown summary: the verdict, the run's figures, memory per container. */
import { baselineBytes, toMiB } from './memory-rules.js';
import type { SoakResult } from './soak.js';

const count = (value: number): string => value.toLocaleString('en-US');

export function soakMarkdown(result: SoakResult): string {
  const { report, memory, verdict } = result;
  const errors =
    Object.entries(report.errors)
      .sort(([, a], [, b]) => b - a)
      .map(([name, n]) => `${name} x${count(n)}`)
      .join(', ') || 'none';
  const metric = (name: string): string => count(report.metrics[name] ?? 0);
  const figures: [string, string][] = [
    ['verdict', verdict.pass ? 'pass' : 'FAIL'],
    ['engine', report.engine],
    [
      'containers x invocations',
      `${report.containers} x ${count(report.invocations / report.containers)} = ${count(report.invocations)}`,
    ],
    ['token lifetime, reject rate', `${result.settings.tokenTtlSeconds} s, ${result.settings.rejectRate}`],
    [
      'library options changed from their defaults',
      Object.entries(report.tunedOptions)
        .map(([name, value]) => `${name}=${value}`)
        .join(', ') || 'none',
    ],
    ['duration', `${(report.elapsedMs / 1000).toFixed(1)} s`],
    ['throughput', `${result.throughput} invocations/s`],
    ['succeeded / failed', `${count(report.succeeded)} / ${count(report.failed)}`],
    ['failed by error', errors],
    ['token generations', count(report.tokenGenerations)],
    [
      'provider token calls / tokens issued',
      `${count(report.providerTokenCalls)} / ${count(report.tokensIssued)}`,
    ],
    [
      'TokenRefreshFailed / LeaseLost / LockTakeover',
      `${metric('TokenRefreshFailed')} / ${metric('LeaseLost')} / ${metric('LockTakeover')}`,
    ],
    [
      'ProviderRejected / RetrySucceeded / RejectionRefreshLimited',
      `${metric('ProviderRejected')} / ${metric('RetrySucceeded')} / ${metric('RejectionRefreshLimited')}`,
    ],
    ['data API calls / rejected', `${count(report.apiCalls)} / ${count(report.apiRejected)}`],
    [
      'samples (invariants checked)',
      `${count(result.samples)}, largest issued-minus-committed ${Math.max(0, ...result.series.map((p) => p.issued - p.generations))}`,
    ],
    [
      'token overhead p50 / p99 / max',
      `${report.overheadMsP50} / ${report.overheadMsP99} / ${report.maxOverheadMs} ms`,
    ],
    ['secrets in output', String(report.secretsInOutput)],
    [
      'max RSS growth (warm -> last)',
      `${memory.maxGrowthMiB} MiB (container ${memory.maxGrowthIndex}; bound ${memory.boundMiB} MiB); second half at most ${memory.maxSecondHalfGrowthMiB} MiB`,
    ],
  ];
  const lines = [
    '| figure | value |',
    '| --- | --- |',
    ...figures.map(([name, value]) => `| ${name} | ${value} |`),
  ];
  lines.push(
    '',
    '| container | first RSS, MiB | warm (10%) RSS, MiB | half-way RSS, MiB | peak RSS, MiB | last RSS, MiB | last - warm, MiB |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...memory.containers.map(
      (c) =>
        `| ${c.index} | ${toMiB(c.firstRssBytes)} | ${toMiB(c.warmRssBytes)} | ${toMiB(c.midRssBytes)} | ${toMiB(c.peakRssBytes)} | ${toMiB(c.lastRssBytes)} | ${toMiB(c.lastRssBytes - baselineBytes(c))} |`,
    ),
  );
  if (!verdict.pass) lines.push('', 'Failed checks:', ...verdict.reasons.map((reason) => `- ${reason}`));
  return lines.join('\n');
}
