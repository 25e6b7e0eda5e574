/**
 * Totals of the Powertools metrics the containers printed: CloudWatch Embedded Metric
 * Format documents, one JSON object per line of stdout. Summing them here is what
 * CloudWatch's Sum statistic would show, so the demo can hold `TokenRefreshed` against
 * the provider's own count.
 */
import { METRIC_NAMESPACE } from '../../layer/advanced.js';

export interface MetricTotal {
  sum: number;
  max: number;
  /** Data points (an EMF value array counts each of its values). */
  count: number;
}

interface EmfDocument {
  _aws?: { CloudWatchMetrics?: { Namespace?: string; Metrics?: { Name?: string }[] }[] };
  [key: string]: unknown;
}

/** Sums every metric of namespace SharedToken found in `output`; lines that are not EMF are skipped. */
export function metricTotalsFromEmf(output: string): Record<string, MetricTotal> {
  const totals: Record<string, MetricTotal> = {};
  for (const line of output.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"_aws"')) continue;
    let document: EmfDocument;
    try {
      document = JSON.parse(line) as EmfDocument;
    } catch {
      continue;
    }
    for (const directive of document._aws?.CloudWatchMetrics ?? []) {
      if (directive.Namespace !== METRIC_NAMESPACE) continue;
      for (const { Name } of directive.Metrics ?? []) {
        if (typeof Name !== 'string') continue;
        const raw = document[Name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number');
        const total = totals[Name] ?? { sum: 0, max: 0, count: 0 };
        totals[Name] = total;
        for (const value of values) {
          total.sum += value;
          total.max = Math.max(total.max, value);
          total.count++;
        }
      }
    }
  }
  return totals;
}
