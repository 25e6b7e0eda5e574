import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, isSharedTokenError } from 'lambda-shared-token';
import { ENV_TABLE_NAME, readEnvironment } from 'lambda-shared-token/advanced';

/** The ConfigurationError readEnvironment throws for `env`; fails the test when it returns. */
function environmentError(env: Record<string, string | undefined>): ConfigurationError {
  try {
    readEnvironment(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(isSharedTokenError(error, 'ConfigurationError')).toBe(true);
    return error as ConfigurationError;
  }
  throw new Error('expected readEnvironment to throw');
}

describe('readEnvironment', () => {
  it('reads the table name from DYNAMODB_TABLE_ACCESS_TOKENS', () => {
    expect(ENV_TABLE_NAME).toBe('DYNAMODB_TABLE_ACCESS_TOKENS');
    expect(readEnvironment({ DYNAMODB_TABLE_ACCESS_TOKENS: 'acme-prod-access-tokens' })).toEqual({
      tableName: 'acme-prod-access-tokens',
    });
  });

  it('reads process.env when given no environment', () => {
    const before = process.env.DYNAMODB_TABLE_ACCESS_TOKENS;
    process.env.DYNAMODB_TABLE_ACCESS_TOKENS = 'from-process-env';
    try {
      expect(readEnvironment().tableName).toBe('from-process-env');
    } finally {
      if (before === undefined) delete process.env.DYNAMODB_TABLE_ACCESS_TOKENS;
      else process.env.DYNAMODB_TABLE_ACCESS_TOKENS = before;
    }
  });

  it('accepts names of 3 and of 255 characters of a-z, A-Z, 0-9, _ . -', () => {
    expect(readEnvironment({ DYNAMODB_TABLE_ACCESS_TOKENS: 'a.b' }).tableName).toBe('a.b');
    const longest = `A_z-0.${'x'.repeat(249)}`;
    expect(readEnvironment({ DYNAMODB_TABLE_ACCESS_TOKENS: longest }).tableName).toBe(longest);
  });

  it('refuses a missing variable, naming it', () => {
    const error = environmentError({ OTHER: 'acme-prod-access-tokens' });

    expect(error.message).toContain('DYNAMODB_TABLE_ACCESS_TOKENS');
    expect(error.message).toMatch(/not set/);
  });

  it.each([
    ['empty', ''],
    ['whitespace', ' \t\n '],
  ])('refuses an %s variable, naming it', (_case, value) => {
    const error = environmentError({ DYNAMODB_TABLE_ACCESS_TOKENS: value });

    expect(error.message).toContain('DYNAMODB_TABLE_ACCESS_TOKENS');
    expect(error.message).toMatch(/empty/);
  });

  it.each([
    ['a space', 'acme prod tokens'],
    ['a slash', 'acme/prod-tokens'],
    ['surrounding spaces', ' acme-prod-access-tokens '],
    ['2 characters', 'q7'],
    ['256 characters', 'T'.repeat(256)],
    ['an ARN', 'arn:aws:dynamodb:us-east-1:123456789012:table/acme-prod-access-tokens'],
  ])('refuses a table name with %s, naming the variable and not echoing the value', (_case, value) => {
    const error = environmentError({ DYNAMODB_TABLE_ACCESS_TOKENS: value });

    expect(error.message).toContain('DYNAMODB_TABLE_ACCESS_TOKENS');
    expect(error.message).toMatch(/not a valid DynamoDB table name/);
    expect(error.message).not.toContain(value.trim());
  });
});
