/**
 * The scheduled refresher: EventBridge runs it (examples/terraform/refresher.tf); each run
 * renews every configured token that is missing, expired or inside its refresh-ahead window,
 * through the same lease as the Lambdas, logs one summary line, and fails (an `Errors` data
 * point, the refresher_errors alarm) when a tokenType could not be refreshed.
 * Environment: see refresh-targets.ts.
 */
import { SharedToken, scheduledRefreshHandler } from 'lambda-shared-token';
import { refreshTargetOptions } from './refresh-targets.js';

export { refreshTargetOptions };

export const handler = scheduledRefreshHandler(
  refreshTargetOptions.map((options) => new SharedToken(options)),
);
