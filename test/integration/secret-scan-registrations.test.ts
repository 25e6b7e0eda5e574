/** What the local stack registers with the secret scan: labels name the secret, public fields stay out. */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { startOAuthProvider } from '../../scripts/local-stack/oauth-provider.js';
import { startSecretsManager } from '../../scripts/local-stack/secrets-manager-server.js';
import { scanText, takeSecretHits } from '../support/secret-scan.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe('the local stack registers the secrets it holds', () => {
  it('Secrets Manager: each secret field of a JSON secret, under the name and field, but not the client id', async () => {
    // Not from testSecret(): this test is about what the server registers, so nothing else may have.
    const salt = randomBytes(18).toString('base64url');
    const clientId = 'a-client-id-long-enough-to-register';
    const server = await startSecretsManager({
      secrets: { '/test/scan/oauth': JSON.stringify({ clientId, nested: { salt } }) },
    });
    stops.push(() => server.stop());

    scanText(`clientId=${clientId} salt=${salt}`, 'child stdout');

    expect(takeSecretHits()).toEqual([
      { label: 'secrets-manager:/test/scan/oauth:nested:salt', origin: 'child stdout' },
    ]);
  });

  it('Secrets Manager: a plain-text secret put at run time, as a whole', async () => {
    const server = await startSecretsManager();
    stops.push(() => server.stop());
    const value = `plain-text-secret-${randomBytes(12).toString('hex')}`;
    server.putSecret('/test/scan/plain', value);

    scanText(`[${value}]`, 'child stdout');

    expect(takeSecretHits()).toEqual([{ label: 'secrets-manager:/test/scan/plain', origin: 'child stdout' }]);
  });

  it('the OAuth provider: its client secret and every token it issues', async () => {
    const clientSecret = `provider-secret-${randomBytes(12).toString('hex')}`;
    const provider = await startOAuthProvider({ clientId: 'scan', clientSecret, issueRefreshTokens: true });
    stops.push(() => provider.stop());
    const refreshToken = provider.issueBootstrapRefreshToken();

    scanText(`${clientSecret} then ${refreshToken}`, 'child stderr');

    expect(takeSecretHits()).toEqual([
      { label: 'oauth-provider:scan:client-secret', origin: 'child stderr' },
      { label: 'oauth-provider:refresh-token', origin: 'child stderr' },
    ]);
  });
});
