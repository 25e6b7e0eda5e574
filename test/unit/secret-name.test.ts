/**
 * Secret names: any name or ARN Secrets Manager accepts is accepted, at every entry point; only
 * what Secrets Manager would refuse is refused, with what is wrong and never the name itself. The
 * `/{env}/{service}/{secret-type}/{name}` convention is a recommendation with an optional check.
 */
import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, SharedToken, salesforce, TenantTokens } from 'lambda-shared-token';
import { SecretsManagerSource, validateSecretName } from 'lambda-shared-token/advanced';
import { sharedToken } from 'lambda-shared-token/middleware';
import { checkSecretNameConvention } from '../../layer/secret/secret-name.js';
import { MemoryTokenStore } from '../support/memory-token-store.js';
import { everyRendering, thrownBy } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const CLIENT_SECRET = testSecret('clientSecret', 'cs-');
const ACCOUNT = '123456789012';
const ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:`;

function refusal(action: () => unknown): Error {
  const error = thrownBy<unknown>(action);
  expect(error).toBeInstanceOf(ConfigurationError);
  return error as Error;
}

describe('validateSecretName: what Secrets Manager accepts', () => {
  it.each([
    ['a plain name', 'salesforce'],
    ['a name of one character', 'x'],
    ['a name of 512 characters', 'n'.repeat(512)],
    ['every character Secrets Manager allows', 'Az09/_+=.@-'],
    ['a path of any depth', 'prod/orders/salesforce'],
    ['the recommended path', '/prod/orders/oauth/salesforce'],
    ['a trailing slash', '/prod/orders/'],
    ['a full ARN', `${ARN}/prod/orders/oauth/salesforce-AbCdEf`],
    ['a partial ARN (no suffix)', `${ARN}orders-salesforce`],
    ['an ARN in another partition', `arn:aws-us-gov:secretsmanager:us-gov-west-1:${ACCOUNT}:secret:prod-sf`],
    ['an ARN in China', `arn:aws-cn:secretsmanager:cn-north-1:${ACCOUNT}:secret:sf`],
  ])('accepts %s', (_label, name) => {
    expect(validateSecretName(name)).toBe(name);
  });

  it.each([
    ['an empty string', '', 'must be a non-empty string (got an empty string)'],
    ['a number', 42, 'must be a non-empty string (got a number)'],
    ['undefined', undefined, 'must be a non-empty string (got undefined)'],
    ['513 characters', 'n'.repeat(513), 'is 513 characters long; Secrets Manager allows at most 512'],
    ['a space', 'orders salesforce', 'holds a space (character 7)'],
    ['a colon', 'orders:salesforce', 'holds the character ":" (character 7)'],
    ['a quote', 'orders"sf', 'holds the character """ (character 7)'],
    ['a line feed', 'salesforce\n', 'holds the character U+000A (character 11)'],
    ['a letter outside ASCII', 'salesforcé', 'holds the character U+00E9 (character 10)'],
    ['an ARN of another service', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/prod`, 'another service'],
    ['an ARN with a short account', 'arn:aws:secretsmanager:us-east-1:1234:secret:sf', 'not 12 digits'],
    ['an ARN of another resource type', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:key:sf`, '(part 6)'],
    ['an ARN without a secret name', ARN, 'empty secret name'],
    ['an ARN whose name holds a space', `${ARN}sales force`, 'holds a space'],
    ['an ARN whose name is too long', `${ARN}${'n'.repeat(520)}`, 'at most 519'],
  ])('refuses %s, saying what is wrong', (_label, name, what) => {
    const { message } = refusal(() => validateSecretName(name));
    expect(message).toContain(what);
    expect(message).toContain('secret name');
  });

  it('never shows a name it refuses: a key pasted in its place is made of the same characters', () => {
    for (const name of [
      `${CLIENT_SECRET} x`,
      `${ARN}${CLIENT_SECRET} x`,
      `arn:aws:secretsmanager:us-east-1:${CLIENT_SECRET}:secret:sf`,
    ]) {
      const error = refusal(() => validateSecretName(name));
      expect(everyRendering(error)).not.toContain(CLIENT_SECRET);
      expect(error.message).toContain(`${[...name].length} characters`);
    }
  });
});

describe('checkSecretNameConvention: the recommended /{env}/{service}/{secret-type}/{name}, if you want it checked', () => {
  it.each([
    '/prod/orders/oauth/salesforce',
    '/dev/billing-api/oauth2/webex.v2',
    `${ARN}/prod/orders/oauth/salesforce-AbCdEf`,
  ])('accepts %s', (name) => {
    expect(checkSecretNameConvention(name)).toBe(name);
  });

  it.each([
    ['a missing leading slash', 'prod/orders/oauth/salesforce', 'does not start with "/"'],
    ['three segments', '/prod/orders/salesforce', 'has 3 segments, expected 4'],
    ['five segments', '/prod/orders/oauth/salesforce/extra', 'has 5 segments, expected 4'],
    ['an empty segment', '/prod//oauth/salesforce', 'has an empty segment 2'],
    ['a trailing slash', '/prod/orders/oauth/salesforce/', 'ends with "/"'],
    ['an ARN of a plain name', `${ARN}salesforce-AbCdEf`, 'does not start with "/"'],
  ])('refuses %s, naming the rule broken', (_label, name, rule) => {
    const { message } = refusal(() => checkSecretNameConvention(name));
    expect(message).toContain(rule);
    expect(message).toContain('/{env}/{service}/{secret-type}/{name}');
  });

  it('refuses first what Secrets Manager itself would refuse', () => {
    expect(refusal(() => checkSecretNameConvention('/prod/orders/oauth/sales force')).message).toContain(
      'holds a space',
    );
  });
});

/** Every entry point that takes a secret name, built with `name` and nothing else odd. */
const ENTRY_POINTS: [string, (name: string) => unknown][] = [
  [
    'SharedToken',
    (name) =>
      new SharedToken({
        tokenType: 'salesforce',
        secretName: name,
        provider: salesforce({}),
        store: new MemoryTokenStore(),
      }),
  ],
  [
    'sharedToken',
    (name) =>
      sharedToken({
        tokenType: 'salesforce',
        secretName: name,
        provider: salesforce({}),
        store: new MemoryTokenStore(),
        disablePrefetch: true,
        awsClientOptions: { region: 'us-east-1' },
      }),
  ],
  [
    'SecretsManagerSource',
    (name) => new SecretsManagerSource({ secretName: name, client: { send: async () => ({}) } as never }),
  ],
  [
    'TenantTokens',
    (name) =>
      new TenantTokens({
        providerName: 'salesforce',
        secretName: () => name,
        provider: salesforce({}),
        store: new MemoryTokenStore(),
      }).forTenant('a'),
  ],
];

describe.each(ENTRY_POINTS)('%s', (_owner, make) => {
  it.each(['orders-salesforce', 'prod/orders/salesforce', `${ARN}orders-salesforce-AbCdEf`])(
    'accepts the secret name %s',
    (name) => {
      expect(() => make(name)).not.toThrow();
    },
  );

  it('refuses a name Secrets Manager would refuse with a ConfigurationError saying why', () => {
    expect(refusal(() => make('orders salesforce')).message).toContain('holds a space');
  });
});
