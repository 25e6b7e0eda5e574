import { randomBytes } from 'node:crypto';
import { registerSecret } from '../../scripts/local-stack/secret-registry.js';

/**
 * A fixture secret (salt, client secret, token, refresh token, password…): a fresh random value,
 * registered with the secret scan under `test:${label}`, so a test that prints it fails.
 * Random rather than a readable constant: a value nothing else could print by chance, different
 * on every run. 18 random bytes give 24 base64url characters, well above the scan's minimum.
 *
 * @param label names the fixture in a failure ('salt', 'clientSecret'); never part of the value.
 * @param prefix a readable start for tests that look at the value ('salt-'); the default is none.
 * @param suffix characters a test needs in the value (`:+/= &%` to exercise form encoding).
 */
export function testSecret(label: string, prefix = '', suffix = ''): string {
  const value = `${prefix}${randomBytes(18).toString('base64url')}${suffix}`;
  registerSecret(value, `test:${label}`);
  return value;
}
