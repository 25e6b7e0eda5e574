/**
 * TenantTokens in one process: the real SecretsManagerSource (its cache on the injected clock)
 * over a Secrets Manager double that counts GetSecretValue by secret name and answers as the SDK
 * does (a missing secret is a `ResourceNotFoundException`), the memory table, and a provider
 * function that counts the tokens it issues.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { functionProvider, TenantTokens, type TenantTokensOptions } from 'lambda-shared-token';
import { SecretsManagerSource } from 'lambda-shared-token/advanced';
import { MemoryTokenStore } from '../support/memory-token-store.js';
import { testSecret } from '../support/test-secrets.js';
import { FakeTime, HOUR_MS, RecordingLogger, RecordingMetrics } from './token-manager-harness.js';

export const SALT_A = testSecret('tenantA:salt', 'tenant-a-salt-');
export const SALT_B = testSecret('tenantB:salt', 'tenant-b-salt-');

export const secretNameOf = (tenant: string): string => `/test/tenants/oauth/${tenant}`;

/** An AWS SDK service error as the client throws it: a named Error with the HTTP status. */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode } });
}

export const resourceNotFound = (): Error =>
  awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
export const throttled = (): Error => awsError('ThrottlingException', 'Rate exceeded');

/** Secrets Manager in memory, behind the `send` of a client: what GetSecretValue would answer. */
export class FakeSecretsManager {
  readonly secrets = new Map<string, Record<string, string>>();
  /** SecretId of every GetSecretValue, in call order. */
  readonly reads: string[] = [];
  /** Errors the next calls throw instead of answering, first first (throttling, a reset connection). */
  readonly failNext: Error[] = [];

  readonly client = {
    send: async (command: { input: { SecretId: string } }) => {
      const name = command.input.SecretId;
      this.reads.push(name);
      const failure = this.failNext.shift();
      if (failure) throw failure;
      const secret = this.secrets.get(name);
      if (!secret) throw resourceNotFound();
      return { Name: name, SecretString: JSON.stringify(secret) };
    },
  } as unknown as SecretsManagerClient;

  put(tenant: string, secret: Record<string, string>): void {
    this.secrets.set(secretNameOf(tenant), secret);
  }

  readsOf(tenant: string): number {
    const name = secretNameOf(tenant);
    return this.reads.filter((read) => read === name).length;
  }
}

/**
 * Tenants `a` and `b` with their own secrets, and `c`, whose secret is tenant a's (a
 * misconfiguration); any other tenant has no secret. One SecretsManagerSource per tenant, as
 * TenantTokens makes by default, on the fake client and the fake clock.
 */
export function tenantWorld(overrides: Partial<TenantTokensOptions> = {}) {
  const time = new FakeTime();
  const secretsManager = new FakeSecretsManager();
  secretsManager.put('a', { tenant: 'a', clientId: 'client-a', salt: SALT_A });
  secretsManager.put('b', { tenant: 'b', clientId: 'client-b', salt: SALT_B });
  secretsManager.put('c', { tenant: 'a', clientId: 'client-c', salt: SALT_A });
  const issued: string[] = [];
  const store = new MemoryTokenStore();
  const logger = new RecordingLogger();
  const metrics = new RecordingMetrics();
  const tenants = new TenantTokens({
    providerName: 'salesforce',
    secretName: secretNameOf,
    secrets: (secretName) =>
      new SecretsManagerSource({ secretName, client: secretsManager.client, clock: time.clock }),
    provider: functionProvider(async ({ credentials }) => {
      const token = `token-for-${credentials.require('clientId')}-${issued.length + 1}`;
      issued.push(token);
      return { accessToken: token, expiresAt: time.now() + HOUR_MS };
    }),
    store,
    logger,
    metrics,
    clock: time.clock,
    ...overrides,
  });
  return { tenants, time, secretsManager, store, issued, logger, metrics };
}

/** What a request for `tenant` ends with: its token's value, or the error's name. */
export async function outcomeOf(tenants: TenantTokens, tenant: string): Promise<string> {
  try {
    return (await tenants.forTenant(tenant).getToken()).value;
  } catch (error) {
    return (error as Error).name;
  }
}
