/**
 * The simulator's scheduled refresher: one child process, beside the containers, that runs
 * the example's EventBridge handler (examples/scheduled-refresh) every `everyMs` against the
 * same table, secret and provider, until the parent says `stop`. Its provider is hooked like
 * the containers' so its own provider calls are counted; the provider's counter counts all.
 */
import { SharedToken, scheduledRefreshHandler } from '../../layer/index.js';
import type { RefreshSummary } from '../../layer/scheduled-refresh.js';
import { hooked } from './invoker.js';
import type { ChildMessage, ContainerConfig, ParentMessage, RefresherResult } from './protocol.js';

export async function runRefresherChild(
  config: ContainerConfig,
  schedule: NonNullable<ContainerConfig['refresher']>,
  nextMessage: (type: ParentMessage['type']) => Promise<void>,
): Promise<void> {
  if (config.api.kind !== 'salesforce' || config.strategy !== 'shared-token') {
    throw new Error(
      'The simulated refresher runs the Salesforce example with the shared-token strategy only',
    );
  }
  process.env.REFRESH_TOKEN_TYPES = 'salesforce';
  const result: RefresherResult = {
    runs: 0,
    failedRuns: 0,
    refreshed: 0,
    fresh: 0,
    deferred: 0,
    failed: 0,
    providerCalls: 0,
    errors: {},
  };
  // Imported only now, like a Lambda's code: the environment is set.
  const { refreshTargetOptions } = await import('../../examples/scheduled-refresh/refresh-targets.js');
  const hooks = {
    refreshing: () => {
      result.providerCalls++;
    },
    answered: async () => {},
  };
  const handler = scheduledRefreshHandler(
    refreshTargetOptions.map(
      (options) =>
        new SharedToken({
          ...options,
          ...config.manager,
          tokenType: config.tokenType,
          // Wider than the Lambdas' window by the schedule's interval, as the example advises.
          refreshAheadMs: schedule.refreshAheadMs,
          provider: hooked(options.provider, hooks),
        }),
    ),
  );
  let stopped = false;
  void nextMessage('stop').then(() => {
    stopped = true;
  });
  const tally = (summary: RefreshSummary): void => {
    for (const key of ['refreshed', 'fresh', 'deferred', 'failed'] as const)
      result[key] += summary.counts[key];
    for (const { tokenType, error } of summary.failed) {
      const label = `${tokenType}:${error}`;
      result.errors[label] = (result.errors[label] ?? 0) + 1;
    }
  };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      const startedAt = Date.now();
      const deadline = startedAt + config.invocationTimeoutMs;
      try {
        tally(await handler({}, { getRemainingTimeInMillis: () => deadline - Date.now() }));
      } catch (error) {
        result.failedRuns++;
        const summary = (error as { summary?: RefreshSummary }).summary;
        if (summary) tally(summary);
        if (process.env.SIMULATOR_DEBUG) console.error(error);
      }
      result.runs++;
      const pause = Math.max(0, startedAt + schedule.everyMs - Date.now());
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    process.send?.({ type: 'refresher-result', result } satisfies ChildMessage, () => process.exit(0));
  };
  void nextMessage('go').then(loop);
  process.send?.({ type: 'ready', index: config.index } satisfies ChildMessage);
}
