/**
 * The AWS clients the layer builds get connection and request timeouts (the
 * SDK's defaults wait for ever on a connection that never answers), and an endpoint given in a
 * client configuration may not hold credentials: it is an option, and options reach errors and logs.
 */
import { describe, expect, it } from '@jest/globals';
import { isSharedTokenError } from 'lambda-shared-token';
import { KmsCipher, SecretsManagerSource } from 'lambda-shared-token/advanced';
import { oauth2ClientCredentials, sharedToken } from 'lambda-shared-token/middleware';
import {
  CONNECTION_TIMEOUT_MS,
  checkClientConfig,
  REQUEST_TIMEOUT_MS,
  withCallTimeouts,
} from '../../layer/aws/aws-client-config.js';
import { testSecret } from '../support/test-secrets.js';

const PASSWORD = testSecret('endpoint:password', 'endpoint-password-');

describe('withCallTimeouts', () => {
  it('gives a client configuration without a request handler the timeouts, and keeps the rest', () => {
    expect(withCallTimeouts({ region: 'eu-west-1' })).toEqual({
      region: 'eu-west-1',
      requestHandler: {
        connectionTimeout: CONNECTION_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      },
    });
    expect(withCallTimeouts(undefined)).toHaveProperty('requestHandler.requestTimeout', REQUEST_TIMEOUT_MS);
  });

  it("leaves the user's own request handler as it is", () => {
    const mine = { requestHandler: { requestTimeout: 30_000 } };
    expect(withCallTimeouts(mine)).toBe(mine);
  });
});

describe('an endpoint with credentials in a client configuration', () => {
  const endpoint = `https://admin:${PASSWORD}@secretsmanager.local`;

  it.each([
    ['checkClientConfig', () => checkClientConfig({ endpoint }, 'X clientConfig')],
    ['checkClientConfig (a URL)', () => checkClientConfig({ endpoint: new URL(endpoint) }, 'X clientConfig')],
    [
      'SecretsManagerSource clientConfig',
      () => new SecretsManagerSource({ secretName: '/dev/svc/oauth/x', clientConfig: { endpoint } }),
    ],
    ['KmsCipher clientOptions', () => new KmsCipher({ keyId: 'alias/x', clientOptions: { endpoint } })],
    [
      'sharedToken awsClientOptions',
      () =>
        sharedToken({
          tokenType: 'x',
          secretName: '/dev/svc/oauth/x',
          provider: oauth2ClientCredentials({ tokenUrl: 'https://idp.local/token' }),
          awsClientOptions: { endpoint },
          disablePrefetch: true,
          store: { read: async () => undefined } as never,
        }),
    ],
  ])('is refused by %s, naming the option and never the password', (_, make) => {
    let thrown: unknown;
    try {
      make();
    } catch (error) {
      thrown = error;
    }
    expect(isSharedTokenError(thrown, 'ConfigurationError')).toBe(true);
    expect((thrown as Error).message).toContain('"endpoint" must not hold credentials');
    expect(String(thrown)).not.toContain(PASSWORD);
  });

  it('lets an endpoint without credentials, or a resolver function, through', () => {
    expect(() => checkClientConfig({ endpoint: 'http://127.0.0.1:4566' }, 'X')).not.toThrow();
    expect(() => checkClientConfig({ endpoint: () => ({}) }, 'X')).not.toThrow();
    expect(() => checkClientConfig(undefined, 'X')).not.toThrow();
  });
});
