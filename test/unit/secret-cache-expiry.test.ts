/**
 * One set of units for every cache expiry of the provider secret: milliseconds everywhere, 1 to 999
 * refused everywhere as probably seconds, `-1` (Middy's convention) and `Infinity` both "for the
 * container's life". Every case runs through every entry point that takes the option; only the
 * middleware caps a finite value at a day (its refresh runs on a timer).
 */
import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, SharedToken, salesforce, TenantTokens } from 'lambda-shared-token';
import { SecretsManagerSource } from 'lambda-shared-token/advanced';
import { sharedToken } from 'lambda-shared-token/middleware';
import { MemoryTokenStore } from '../support/memory-token-store.js';
import { thrownBy } from '../support/rejection-of.js';

const SECRET_NAME = '/test/orders/oauth/salesforce';
const DAY_MS = 86_400_000;
const client = { send: async () => ({ SecretString: '{}' }) } as never;

/** [owner, option name, make(value)]: each builds the entry point with that cache expiry and nothing else odd. */
const ENTRY_POINTS: [string, string, (value: unknown) => unknown][] = [
  [
    'SecretsManagerSource',
    'cacheExpiryMs',
    (value) => new SecretsManagerSource({ secretName: SECRET_NAME, client, cacheExpiryMs: value as number }),
  ],
  [
    'SharedToken',
    'secretCacheExpiry',
    (value) =>
      new SharedToken({
        tokenType: 'salesforce',
        secretName: SECRET_NAME,
        provider: salesforce({}),
        store: new MemoryTokenStore(),
        secretCacheExpiry: value as number,
      }),
  ],
  [
    'TenantTokens',
    'secretCacheExpiry',
    (value) =>
      new TenantTokens({
        providerName: 'salesforce',
        secretName: (tenant) => `/test/orders/oauth/${tenant}`,
        provider: salesforce({}),
        store: new MemoryTokenStore(),
        secretCacheExpiry: value as number,
      }).forTenant('a'),
  ],
  [
    'sharedToken',
    'secretCacheExpiry',
    (value) =>
      sharedToken({
        tokenType: 'salesforce',
        secretName: SECRET_NAME,
        provider: salesforce({}),
        store: new MemoryTokenStore(),
        disablePrefetch: true,
        awsClientOptions: { region: 'us-east-1' },
        secretCacheExpiry: value as number,
      }),
  ],
];

function refusal(make: () => unknown): Error {
  const error = thrownBy<unknown>(make);
  expect(error).toBeInstanceOf(ConfigurationError);
  return error as Error;
}

describe.each(ENTRY_POINTS)('%s option %s', (owner, option, make) => {
  it.each([
    ['0 (no cache)', 0],
    ['1000 (the shortest that is not seconds)', 1_000],
    ['300000 (the default)', 300_000],
    ['a day', DAY_MS],
    ["-1 (for the container's life, as Middy writes it)", -1],
    ['Infinity (the same)', Number.POSITIVE_INFINITY],
  ])('accepts %s', (_label, value) => {
    expect(() => make(value)).not.toThrow();
  });

  it.each([1, 60, 300, 999])(
    'refuses %p as probably seconds, saying what it would be in milliseconds',
    (value) => {
      const { message } = refusal(() => make(value));
      expect(message).toBe(
        `${owner} option "${option}" is in milliseconds; ${value} looks like seconds ` +
          `(${value} s is ${value * 1000}; 0 means no cache, -1 for the container's life)`,
      );
    },
  );

  it.each([
    ['-2', -2],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['NaN', Number.NaN],
    ['a fraction of a millisecond', 1_500.5],
    ['a string', '300000'],
  ])('refuses %s, naming the option and the units', (_label, value) => {
    const { message } = refusal(() => make(value));
    expect(message).toContain(`${owner} option "${option}" must be whole milliseconds`);
    expect(message).toContain("-1 (or Infinity) for the container's life");
  });
});

describe('the cap of a day', () => {
  it("is the middleware's alone, and its message says why", () => {
    const [, , middleware] = ENTRY_POINTS.find(([owner]) => owner === 'sharedToken')!;
    const { message } = refusal(() => middleware(DAY_MS + 1));
    expect(message).toBe(
      `sharedToken option "secretCacheExpiry" must be at most ${DAY_MS} (a day) when finite: the ` +
        'middleware refreshes the secret on a timer, and a Node timer cannot wait more than 24.8 days; ' +
        "use -1 to keep the secret for the container's life",
    );
  });

  it.each(ENTRY_POINTS.filter(([owner]) => owner !== 'sharedToken'))(
    'does not apply to %s, which checks the expiry when it loads',
    (_owner, _option, make) => {
      expect(() => make(30 * DAY_MS)).not.toThrow();
    },
  );
});

describe('SharedToken secretCacheExpiry with a secret source of your own', () => {
  it('is refused: your source keeps its own cache', () => {
    const { message } = refusal(
      () =>
        new SharedToken({
          tokenType: 'salesforce',
          secretName: SECRET_NAME,
          provider: salesforce({}),
          store: new MemoryTokenStore(),
          secrets: { load: async () => '{}' },
          secretCacheExpiry: 60_000,
        }),
    );
    expect(message).toBe(
      'SharedToken options "secretCacheExpiry" and "secrets" exclude each other: a secret source of your own keeps its own cache',
    );
  });
});

describe('TenantTokens secretCacheExpiry with a secret source of your own', () => {
  it('is refused: your sources keep their own cache', () => {
    const { message } = refusal(
      () =>
        new TenantTokens({
          providerName: 'salesforce',
          secretName: (tenant) => `/test/orders/oauth/${tenant}`,
          provider: salesforce({}),
          store: new MemoryTokenStore(),
          secrets: () => ({ load: async () => '{}' }),
          secretCacheExpiry: 60_000,
        }),
    );
    expect(message).toBe(
      'TenantTokens options "secretCacheExpiry" and "secrets" exclude each other: a secret source of your own keeps its own cache',
    );
  });
});
