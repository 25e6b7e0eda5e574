import { describe, expect, it } from '@jest/globals';
import {
  ConfigurationError,
  createPowertoolsLogger,
  createPowertoolsMetrics,
  functionProvider,
  kmsCipher,
  oauth2ClientCredentials,
  oauth2RefreshToken,
  refreshTokens,
  SharedToken,
  salesforce,
  scheduledRefreshHandler,
  TenantTokens,
} from 'lambda-shared-token';
import { KmsCipher, SaltCipher, SecretsManagerSource, TokenManager } from 'lambda-shared-token/advanced';
import { sharedToken } from 'lambda-shared-token/middleware';
import {
  aDuration,
  anObject,
  type OptionRules,
  required,
  validateOptions,
} from '../../layer/options/option-rules.js';
import { thrownBy } from '../support/rejection-of.js';

const CREDENTIAL = 'sk_live_option_rules_value';

describe('validateOptions', () => {
  const rules: OptionRules = {
    store: required(anObject),
    leaseMs: aDuration({ positive: true }),
    cacheExpiryMs: aDuration({ notSeconds: { zero: 'use 0 for no cache' } }),
  };

  it('accepts the declared options, absent optional ones included', () => {
    expect(() => validateOptions('Owner', { store: {} }, rules)).not.toThrow();
    expect(() => validateOptions('Owner', { store: {}, leaseMs: 1, cacheExpiryMs: 0 }, rules)).not.toThrow();
  });

  it.each([
    ['not an object', null, 'Owner options must be an object'],
    ['an array', [], 'Owner options must be an object'],
    ['a missing required option', {}, 'Owner option "store" is required'],
    ['a null required option', { store: null }, 'Owner option "store" is required'],
    [
      'a null optional option',
      { store: {}, leaseMs: null },
      'Owner option "leaseMs" must be milliseconds greater than 0',
    ],
    ['a value of the wrong kind', { store: 'table' }, 'Owner option "store" must be an object'],
    [
      'a zero where more is needed',
      { store: {}, leaseMs: 0 },
      'Owner option "leaseMs" must be milliseconds greater than 0',
    ],
    [
      'seconds given as milliseconds',
      { store: {}, cacheExpiryMs: 300 },
      'Owner option "cacheExpiryMs" is in milliseconds; 300 looks like seconds (use 0 for no cache)',
    ],
    [
      'an unknown option',
      { store: {}, leaseMS: 1 },
      'Unknown Owner option "leaseMS"; known options: store, leaseMs, cacheExpiryMs',
    ],
  ])('refuses %s with a ConfigurationError naming it', (_case, options, message) => {
    const error = thrownBy<unknown>(() => validateOptions('Owner', options, rules));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(message);
  });

  it('adds the hint to an unknown option and never echoes a value', () => {
    const error = thrownBy<unknown>(() =>
      validateOptions('Owner', { store: CREDENTIAL, clientSecret: CREDENTIAL }, rules, (key) =>
        key === 'clientSecret' ? ' (it belongs in the secret)' : '',
      ),
    ) as Error;
    expect(error.message).toContain('Unknown Owner option "clientSecret" (it belongs in the secret)');
    expect(JSON.stringify({ message: error.message, cause: error.cause })).not.toContain(CREDENTIAL);
  });
});

// One error type, one wording, at every entry point that takes options.
const SECRET_NAME = '/test/orders/oauth/salesforce';
const ENTRY_POINTS: [string, (options: Record<string, unknown>) => unknown][] = [
  [
    'SharedToken',
    (extra) =>
      new SharedToken({
        tokenType: 'salesforce',
        secretName: SECRET_NAME,
        provider: salesforce({}),
        ...extra,
      }),
  ],
  [
    'TenantTokens',
    (extra) =>
      new TenantTokens({
        providerName: 'salesforce',
        secretName: (tenant: string) => `/test/orders/oauth/${tenant}`,
        provider: salesforce({}),
        ...extra,
      }),
  ],
  [
    'sharedToken',
    (extra) =>
      sharedToken({ tokenType: 'salesforce', secretName: SECRET_NAME, provider: salesforce({}), ...extra }),
  ],
  [
    'TokenManager',
    (extra) =>
      new TokenManager({
        tokenType: 'salesforce',
        store: {} as never,
        cipher: {} as never,
        provider: {} as never,
        ...extra,
      }),
  ],
  ['SecretsManagerSource', (extra) => new SecretsManagerSource({ secretName: SECRET_NAME, ...extra })],
  ['SaltCipher', (extra) => new SaltCipher({ salts: ['a-salt-of-thirty-two-characters!'], ...extra })],
  ['KmsCipher', (extra) => new KmsCipher({ keyId: 'alias/tokens', ...extra })],
  ['KmsCipher', (extra) => kmsCipher({ keyId: 'alias/tokens', ...extra })(undefined as never)],
  ['createPowertoolsMetrics', (extra) => createPowertoolsMetrics(extra)],
  ['createPowertoolsLogger', (extra) => createPowertoolsLogger(extra)],
  ['functionProvider', (extra) => functionProvider(async () => ({ accessToken: 'x', expiresAt: 0 }), extra)],
  ['OAuth2 provider', (extra) => oauth2ClientCredentials({ tokenUrl: 'https://127.0.0.1/token', ...extra })],
  [
    'OAuth2 refresh-token provider',
    (extra) => oauth2RefreshToken({ tokenUrl: 'https://127.0.0.1/token', ...extra }),
  ],
  ['Salesforce provider', (extra) => salesforce(extra)],
  [
    'scheduledRefreshHandler',
    (extra) => scheduledRefreshHandler([{ tokenType: 'x', refreshIfDue: async () => ({}) } as never], extra),
  ],
];

describe.each(ENTRY_POINTS)('%s', (owner, make) => {
  it('refuses an unknown option with a ConfigurationError naming the owner and the option', () => {
    const error = thrownBy<unknown>(() => make({ notAnOption: CREDENTIAL }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(new RegExp(`^Unknown ${owner} option "notAnOption"`));
    expect((error as Error).message).not.toContain(CREDENTIAL);
  });
});

describe('refreshTokens', () => {
  it('refuses an unknown option with a ConfigurationError', async () => {
    await expect(refreshTokens([], { concurency: 2 } as never)).rejects.toThrow(
      new ConfigurationError(
        'Unknown refreshTokens option "concurency"; known options: deadline, concurrency, logger',
      ),
    );
  });
});

describe('salesforce()', () => {
  it('takes no argument, as the README and the examples call it: every option has a default', () => {
    expect(typeof salesforce()).toBe('function');
  });
});
