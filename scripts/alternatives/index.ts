/**
 * What users would build instead of this project, run by the same simulated containers
 * against the same local stack (table, secret, local Salesforce), so the benchmark compares
 * like with like: the same SalesforceProvider, SaltCipher and example query; only the
 * coordination between containers differs. The simulator runs them (scripts/simulator/invoker.ts);
 * nothing here imports the simulator or the benchmark.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SalesforceProvider, SaltCipher } from '../../layer/advanced.js';
import { isSharedTokenError, type ProviderToken, TokenRefreshError } from '../../layer/index.js';
import { alternativeInvoker, type QueryHandler } from './alternative-invoker.js';
import { ClaimOrFail } from './claim-or-fail.js';
import { EachRefreshes } from './each-refreshes.js';
import type { Invoker, ProviderHooks } from './invoker.js';
import { ProcessSingleFlight } from './process-single-flight.js';
import { loadProviderSecret } from './provider-secret.js';
import { TokenItem } from './token-item.js';
import type { FetchProviderToken, TokenSource } from './token-source.js';

export { LockHeldError } from './claim-or-fail.js';
export type { Invoker, ProviderHooks } from './invoker.js';

/** The alternatives, by the name the simulator's `strategy` option gives them. */
export type AlternativeStrategy = 'each-refreshes' | 'claim-or-fail' | 'process-single-flight';

/** What an alternative needs to know of its container. */
export interface AlternativeConfig {
  strategy: AlternativeStrategy;
  /** The local Salesforce the example queries and takes its tokens from. */
  instanceUrl: string;
  /** The provider's credentials and key are in this secret. */
  secretName: string;
  tokenType: string;
  tableName: string;
  /**
   * The timing this project's containers run on in the same simulation (what the run set, else
   * the library's defaults): a token counts as expired `skewMs` before its expiry, and a refresh
   * (or a claim) is bounded by `leaseMs`.
   */
  skewMs: number;
  leaseMs: number;
}

export async function createAlternativeInvoker(
  config: AlternativeConfig,
  hooks: ProviderHooks,
): Promise<Invoker> {
  // Started at cold start and not awaited, as @middy/secrets-manager prefetches at import.
  loadProviderSecret(config.secretName).catch(() => {});
  // Imported only now: the example reads SALESFORCE_INSTANCE_URL at import (container.ts set it).
  const example = await import('../../examples/salesforce-query/query-accounts.js');
  const client = new DynamoDBClient({});

  let source: Promise<TokenSource> | undefined;
  const tokenSource = (): Promise<TokenSource> => {
    source ??= buildSource(config, client, hooks).catch((error: unknown) => {
      source = undefined;
      throw error;
    });
    return source;
  };
  return alternativeInvoker(tokenSource, example.queryAccounts as QueryHandler);
}

async function buildSource(
  config: AlternativeConfig,
  client: DynamoDBClient,
  hooks: ProviderHooks,
): Promise<TokenSource> {
  const secret = await loadProviderSecret(config.secretName);
  const cipher = new SaltCipher({ keys: [secret.key] });
  const provider = new SalesforceProvider({
    instanceUrl: config.instanceUrl,
    clientId: secret.clientId,
    clientSecret: secret.clientSecret,
  });
  const { tokenType, tableName, skewMs, leaseMs } = config;
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
