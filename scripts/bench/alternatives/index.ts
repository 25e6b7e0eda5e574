/**
 * What users would build instead of this project, run by the same simulated containers
 * against the same local stack (table, secret, local Salesforce), so the benchmark compares
 * like with like: the same SalesforceProvider, SaltCipher and example query; only the
 * coordination between containers differs.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SalesforceProvider, SaltCipher } from '../../../layer/advanced.js';
import { isSharedTokenError, type ProviderToken, TokenRefreshError } from '../../../layer/index.js';
import type { Invoker, ProviderHooks } from '../../simulator/invoker.js';
import type { ContainerConfig } from '../../simulator/protocol.js';
import { effectiveTiming } from '../../simulator/timing-options.js';
import { alternativeInvoker, type QueryHandler } from './alternative-invoker.js';
import { ClaimOrFail } from './claim-or-fail.js';
import { EachRefreshes } from './each-refreshes.js';
import { ProcessSingleFlight } from './process-single-flight.js';
import { loadProviderSecret } from './provider-secret.js';
import { TokenItem } from './token-item.js';
import type { FetchProviderToken, TokenSource } from './token-source.js';

export { LockHeldError } from './claim-or-fail.js';

export async function createAlternativeInvoker(
  config: ContainerConfig,
  hooks: ProviderHooks,
): Promise<Invoker> {
  if (config.strategy === 'shared-token') throw new Error('shared-token is this project, not an alternative');
  if (config.api.kind !== 'salesforce') {
    throw new Error(`strategy "${config.strategy}" runs the Salesforce example only (no --api-url)`);
  }
  const { instanceUrl } = config.api;
  // Started at cold start and not awaited, as @middy/secrets-manager prefetches at import.
  loadProviderSecret(config.secretName).catch(() => {});
  // Imported only now: the example reads SALESFORCE_INSTANCE_URL at import (container.ts set it).
  const example = await import('../../../examples/salesforce-query/query-accounts.js');
  const client = new DynamoDBClient({});

  let source: Promise<TokenSource> | undefined;
  const tokenSource = (): Promise<TokenSource> => {
    source ??= buildSource(config, instanceUrl, client, hooks).catch((error: unknown) => {
      source = undefined;
      throw error;
    });
    return source;
  };
  return alternativeInvoker(tokenSource, example.queryAccounts as QueryHandler);
}

async function buildSource(
  config: ContainerConfig,
  instanceUrl: string,
  client: DynamoDBClient,
  hooks: ProviderHooks,
): Promise<TokenSource> {
  const secret = await loadProviderSecret(config.secretName);
  const cipher = new SaltCipher({ salts: [secret.salt] });
  const provider = new SalesforceProvider({
    instanceUrl,
    clientId: secret.clientId,
    clientSecret: secret.clientSecret,
  });
  const { tokenType, tableName } = config;
  // The timing this project's containers run on in the same simulation: what it set, else the library's defaults.
  const { skewMs, leaseMs } = effectiveTiming(config.manager);
  const fetchToken: FetchProviderToken = async (): Promise<ProviderToken> => {
    hooks.refreshing();
    let token: ProviderToken;
    try {
      token = await provider.fetchToken({ tokenType, signal: AbortSignal.timeout(leaseMs) });
    } catch (error) {
      // As this project's lease holder does, so a failed refresh and a failed query have different names.
      if (isSharedTokenError(error, 'TokenRefreshError')) throw error;
      const reason = error instanceof Error ? error.name : 'unknown error';
      throw new TokenRefreshError(
        `The provider of "${tokenType}" failed to issue a token (${reason})`,
        tokenType,
        {
          cause: error,
        },
      );
    }
    await hooks.answered();
    return token;
  };
  switch (config.strategy) {
    case 'each-refreshes':
      return new EachRefreshes({
        item: new TokenItem({ client, tableName, tokenType, cipher }),
        fetchToken,
        skewMs,
      });
    case 'process-single-flight':
      return new ProcessSingleFlight(
        new EachRefreshes({
          item: new TokenItem({ client, tableName, tokenType, cipher }),
          fetchToken,
          skewMs,
        }),
      );
    case 'claim-or-fail':
      return new ClaimOrFail({
        client,
        tableName,
        tokenType,
        cipher,
        fetchToken,
        skewMs,
        lockMs: leaseMs,
      });
    default:
      throw new Error(`unknown strategy "${config.strategy}"`);
  }
}
