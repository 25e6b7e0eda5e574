import { describe, expect, it } from '@jest/globals';
import { ConfigurationError } from 'lambda-shared-token';
import type { TokenManagerOptions } from 'lambda-shared-token/advanced';
import { SaltCipher, TokenManager } from 'lambda-shared-token/advanced';
import { MemoryTokenStore } from '../support/memory-token-store.js';
import { FakeProvider, FakeTime, SALT, TOKEN_TYPE } from './token-manager-harness.js';

const valid = (): TokenManagerOptions => ({
  tokenType: TOKEN_TYPE,
  store: new MemoryTokenStore(),
  cipher: new SaltCipher({ salts: [SALT] }),
  provider: new FakeProvider(new FakeTime()),
});

/** The ConfigurationError `new TokenManager(options)` throws; fails the test when it does not throw one. */
function constructionError(options: unknown): ConfigurationError {
  try {
    new TokenManager(options as TokenManagerOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected new TokenManager() to throw');
}

describe('TokenManager options', () => {
  it('accepts the four required options alone', () => {
    const manager = new TokenManager(valid());

    expect(manager.tokenType).toBe(TOKEN_TYPE);
  });

  it('refuses an unknown option with a ConfigurationError naming it, without echoing its value', () => {
    const error = constructionError({ ...valid(), skewMS: 'value-that-must-not-leak' });

    expect(error.message).toContain('"skewMS"');
    expect(error.message).not.toContain('value-that-must-not-leak');
  });

  it.each(['tokenType', 'store', 'cipher', 'provider'] as const)('refuses a missing %s, naming it', (key) => {
    const options: Partial<TokenManagerOptions> = valid();
    delete options[key];

    const error = constructionError(options);

    expect(error.message).toContain(`"${key}"`);
    expect(error.message).toMatch(/required/);
  });

  it('refuses options that are not an object', () => {
    expect(constructionError(undefined).message).toMatch(/object/);
    expect(constructionError(null).message).toMatch(/object/);
  });

  it.each([
    ['skewMs', -1],
    ['refreshAheadMs', Number.NaN],
    ['leaseMs', Number.POSITIVE_INFINITY],
    ['pollInitialMs', '50'],
    ['pollMaxMs', -0.5],
    ['maxWaitMs', Number.NaN],
    ['deadlineMarginMs', -500],
    ['failureBackoffMs', '1s'],
    ['failureBackoffMaxMs', -60_000],
  ])('refuses %s = %p, naming the option', (key, value) => {
    const error = constructionError({ ...valid(), [key]: value });

    expect(error.message).toContain(`"${key}"`);
  });

  it.each(['leaseMs', 'pollInitialMs', 'pollMaxMs', 'maxWaitMs'])('refuses %s = 0, naming it', (key) => {
    const error = constructionError({ ...valid(), [key]: 0 });

    expect(error.message).toContain(`"${key}"`);
    expect(error.message).toMatch(/greater than 0/);
  });

  it('accepts 0 for skewMs, refreshAheadMs and deadlineMarginMs', () => {
    expect(
      () => new TokenManager({ ...valid(), skewMs: 0, refreshAheadMs: 0, deadlineMarginMs: 0 }),
    ).not.toThrow();
  });

  it('refuses a pollMaxMs below pollInitialMs, naming both', () => {
    const error = constructionError({ ...valid(), pollInitialMs: 500, pollMaxMs: 499 });

    expect(error.message).toContain('"pollMaxMs"');
    expect(error.message).toContain('"pollInitialMs"');
  });

  it('accepts a pollMaxMs equal to pollInitialMs', () => {
    expect(() => new TokenManager({ ...valid(), pollInitialMs: 500, pollMaxMs: 500 })).not.toThrow();
  });

  it.each([
    ['empty', ''],
    ['a NUL', 'sales\u0000force'],
    ['a newline', 'sales\nforce'],
    ['DEL', 'sales\u007fforce'],
    ['257 characters', 'a'.repeat(257)],
  ])('refuses a tokenType with %s, without echoing it', (_case, tokenType) => {
    const error = constructionError({ ...valid(), tokenType });

    expect(error.message).toContain('"tokenType"');
    if (tokenType !== '') expect(error.message).not.toContain(tokenType);
  });

  it('refuses a tokenType that is not a string', () => {
    expect(constructionError({ ...valid(), tokenType: 42 }).message).toContain('"tokenType"');
  });

  it('accepts a tenant tokenType of 256 characters', () => {
    const tokenType = `salesforce#${'t'.repeat(245)}`;

    expect(new TokenManager({ ...valid(), tokenType }).tokenType).toBe(tokenType);
  });
});
