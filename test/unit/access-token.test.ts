import { format, inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { AccessToken } from 'lambda-shared-token';

const VALUE = 'eyJhbGciOiJSUzI1NiJ9.secret-payload.signature';
const EXPIRES_AT = Date.UTC(2026, 10, 22, 13);
const token = (): AccessToken => new AccessToken('salesforce', VALUE, EXPIRES_AT, 7);

describe('AccessToken', () => {
  it('hands out the value through .value', () => {
    expect(token().value).toBe(VALUE);
  });

  it('keeps the value out of JSON.stringify, showing the metadata and [redacted]', () => {
    const json = JSON.parse(JSON.stringify(token()));

    expect(json).toEqual({ tokenType: 'salesforce', version: 7, expiresAt: EXPIRES_AT, value: '[redacted]' });
  });

  it('keeps the value out of a JSON log line that nests the token', () => {
    expect(JSON.stringify({ level: 'info', token: token() })).not.toContain('secret-payload');
  });

  it('keeps the value out of String() and template literals', () => {
    const text = `${token()}`;

    expect(String(token())).toBe('AccessToken(salesforce v7)');
    expect(text).not.toContain('secret-payload');
  });

  it('keeps the value out of util.inspect, %o and %j, nested or not', () => {
    const renderings = [
      inspect(token()),
      inspect({ context: { token: token() } }, { depth: 10, showHidden: true }),
      format('%o %O %j %s', token(), token(), token(), token()),
    ];

    for (const rendering of renderings) expect(rendering).not.toContain('secret-payload');
    expect(renderings[0]).toContain('[redacted]');
  });

  it('has no enumerable property holding the value', () => {
    const copy = { ...token() } as Record<string, unknown>;

    expect(Object.values(copy)).not.toContain(VALUE);
    expect(Object.getOwnPropertyNames(token())).not.toContain('value');
  });
});
