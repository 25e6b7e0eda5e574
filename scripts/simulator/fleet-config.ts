/**
 * What each simulated container is told (protocol.ts `ContainerConfig`): the stack's endpoints, the
 * handler and provider to run, the run's settings, and what is assigned to containers in turn
 * (clock offsets, deadlines).
 */
import { containerPath } from './dynamo-trace.js';
import type { ContainerApi, ContainerConfig } from './protocol.js';
import { type SimulationSettings, usesExternalProvider } from './simulation-options.js';
import { KMS_KEY_ALIAS, type RunningSimulationStack } from './simulation-stack.js';
import type { TimingOptions } from './timing-options.js';

/** The configuration every container shares; `containerConfig` adds what is its own. */
export type FleetConfig = Omit<ContainerConfig, 'index'>;

export function fleetConfig(
  settings: SimulationSettings,
  { stack, secretName }: RunningSimulationStack,
  manager: TimingOptions,
): FleetConfig {
  return {
    entry: settings.entry,
    strategy: settings.strategy,
    api: containerApi(settings, stack.provider),
    tokenType: settings.tokenType,
    tableName: settings.table,
    dynamoEndpoint: stack.dynamo.endpoint,
    secretsEndpoint: stack.secretsManager.endpoint,
    secretName,
    ...(stack.kms && { kms: { endpoint: stack.kms.endpoint, keyId: KMS_KEY_ALIAS } }),
    tokenTtlSeconds: settings.tokenTtlSeconds,
    invocations: settings.invocations,
    thinkMs: settings.thinkMs,
    invocationTimeoutMs: settings.invocationTimeoutMs,
    barrierAfterFirst:
      settings.revokeAfterFirstInvocation ||
      settings.faults?.afterWarm !== undefined ||
      settings.restAtBarrierMs > 0,
    clockOffsetMs: 0,
    holdProviderAnswer: settings.freezeHolderMs > 0,
    manager,
    ...(settings.ownerId !== undefined && { ownerId: settings.ownerId }),
    ...(settings.secretCacheExpiryMs !== undefined && { secretCacheExpiry: settings.secretCacheExpiryMs }),
  };
}

/** The external provider and data API, the local Salesforce, or the local plain OAuth2 provider. */
function containerApi(
  settings: SimulationSettings,
  provider: RunningSimulationStack['stack']['provider'],
): ContainerApi {
  if (usesExternalProvider(settings)) {
    return { kind: 'generic', tokenUrl: settings.providerUrl, apiUrl: settings.apiUrl };
  }
  if (settings.api === 'salesforce') return { kind: 'salesforce', instanceUrl: provider!.instanceUrl };
  return {
    kind: 'generic',
    tokenUrl: provider!.tokenUrl,
    apiUrl: provider!.apiUrl,
    grant: settings.api === 'oauth2' ? 'client_credentials' : 'refresh_token',
  };
}

/** Container `index`'s own: its clock offset and its deadline, each assigned in turn. */
export function containerConfig(
  config: FleetConfig,
  settings: SimulationSettings,
  index: number,
): ContainerConfig {
  const offsets = settings.clockOffsetsMs ?? [0];
  const clockOffsetMs = offsets[index % offsets.length] ?? 0;
  const deadlines = settings.invocationTimeoutsMs ?? [config.invocationTimeoutMs];
  const invocationTimeoutMs = deadlines[index % deadlines.length] ?? config.invocationTimeoutMs;
  // A traced run tells the containers' DynamoDB calls apart by the path each one posts to.
  const dynamoEndpoint = settings.traceDynamoCalls
    ? `${config.dynamoEndpoint}${containerPath(index)}`
    : config.dynamoEndpoint;
  return { ...config, index, clockOffsetMs, invocationTimeoutMs, dynamoEndpoint };
}

/**
 * The one extra child that runs the scheduled refresher every `everyMs`, its window wider than the
 * containers' by that interval (the library bounds the refresher's window by three quarters of the
 * token's life).
 */
export function refresherConfig(
  config: FleetConfig,
  settings: SimulationSettings,
  everyMs: number,
  containersRefreshAheadMs: number,
): ContainerConfig {
  return {
    ...config,
    index: settings.containers,
    refresher: { everyMs, refreshAheadMs: containersRefreshAheadMs + everyMs },
  };
}
