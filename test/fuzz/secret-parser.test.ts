/**
 * Fuzzing what reads the provider's Secrets Manager secret: parseProviderSecret (and everything
 * SecretBinding then asks of the result: fingerprint, tenant, fields, renderings), SecretBinding
 * itself over an in-process secret source, the tokenType splitter and tenant checks, and the
 * secret-name check. For any input they return a well-formed result or throw SecretError /
 * ConfigurationError; no error shows a value of the secret; no run hangs.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { TokenProvider } from 'lambda-shared-token';
import { ConfigurationError, SecretError } from 'lambda-shared-token';
import {
  checkSecretTenant,
  MIN_SALT_LENGTH,
  type ProviderSecret,
  parseProviderSecret,
  parseTokenType,
  SaltCipher,
  tenantTokenType,
  validateSecretName,
} from 'lambda-shared-token/advanced';
import { SecretBinding } from '../../layer/secret/secret-binding.js';
import {
  anyText,
  anyValue,
  assertFuzz,
  deepJsonValue,
  documentedTypeError,
  expectNoLeak,
  expectTypedError,
  fuzzProperty,
  outcomeOf,
  outcomeOfSync,
  pathologicalString,
  plantedFailure,
  secretText,
  tokenType,
} from './fuzz-support.js';

const NAME = '/prod/orders/oauth/fuzz';

/** What SecretBinding reads from a parsed secret; each must work or throw SecretError. */
function useLikeTheBinding(secret: ProviderSecret): void {
  const { salts, fingerprint, fieldNames } = secret;
  if (
    salts.length === 0 ||
    salts.some((salt) => typeof salt !== 'string' || [...salt].length < MIN_SALT_LENGTH)
  ) {
    throw new Error('parse returned a secret without usable salts');
  }
  if (!/^[0-9a-f]{16}$/.test(fingerprint)) throw new Error('the fingerprint is not 16 hex digits');
  if (!Array.isArray(fieldNames)) throw new Error('fieldNames is not an array');
  String(secret);
  JSON.stringify(secret);
  inspect(secret);
  for (const field of [
    'tenant',
    'clientId',
    'clientSecret',
    ...fieldNames.filter((name) => name !== '').slice(0, 5),
  ]) {
    const optional = outcomeOfSync(() => secret.optional(field));
    if (!optional.returned) expectTypedError(optional.error, [SecretError]);
    else if (optional.value !== undefined && (typeof optional.value !== 'string' || optional.value === '')) {
      throw new Error('optional() returned something that is not a non-empty string');
    }
  }
}

type Parse = (secretName: string, raw: unknown) => ProviderSecret;

/** Any raw secret, as text or as the object Middy hands over: a usable secret, or SecretError. */
function anyRawSecretIsUsableOrSecretError(parse: Parse) {
  const raw = fc.oneof(
    { weight: 3, arbitrary: anyText },
    { weight: 3, arbitrary: anyValue },
    { weight: 2, arbitrary: secretWithExtraField(fc.oneof(anyValue, deepJsonValue)) },
    { weight: 1, arbitrary: secretWithExtraField(fc.jsonValue()).map((value) => JSON.stringify(value)) },
  );
  return fuzzProperty(raw, (input) => {
    const outcome = outcomeOfSync(() => {
      const secret = parse(NAME, input);
      useLikeTheBinding(secret);
      return secret;
    });
    if (!outcome.returned) expectTypedError(outcome.error, [SecretError]);
  });
}

/** A valid secret (salt or salts) plus one field of any value. */
function secretWithExtraField(value: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      fc.oneof(
        secretText(MIN_SALT_LENGTH).map((salt) => ({ salt }) as Record<string, unknown>),
        fc
          .uniqueArray(secretText(MIN_SALT_LENGTH), { minLength: 1, maxLength: 3 })
          .map((salts) => ({ salts })),
      ),
      fc.constantFrom('extra', 'tenant', 'clientId', '__proto__', 'constructor', 'salt', 'salts', ''),
      value,
    )
    .map(([base, key, extra]) => {
      const secret: Record<string, unknown> = { ...base };
      Object.defineProperty(secret, key, {
        value: extra,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return secret;
    });
}

/**
 * A secret whose every value is a distinctive string, some fields broken: whatever is thrown names
 * fields, never a value.
 */
function secretErrorsShowNoValue(parse: Parse) {
  const input = fc.record({
    salt: secretText(8),
    clientSecret: secretText(12),
    brokenSalts: fc.boolean(),
    asText: fc.boolean(),
    truncateAt: fc.option(fc.nat(), { nil: undefined }),
  });
  return fuzzProperty(input, ({ salt, clientSecret, brokenSalts, asText, truncateAt }) => {
    const secret = brokenSalts ? { salts: [salt, salt], clientSecret } : { salt, clientSecret };
    let raw: unknown = secret;
    if (asText) {
      const text = JSON.stringify(secret);
      raw = truncateAt === undefined ? text : text.slice(0, truncateAt % text.length);
    }
    const outcome = outcomeOfSync(() => {
      const parsed = parse(NAME, raw);
      useLikeTheBinding(parsed);
      return parsed.require('clientId');
    });
    if (outcome.returned) throw new Error('a secret without clientId gave one');
    expectTypedError(outcome.error, [SecretError]);
    expectNoLeak(outcome.error, { salt, 'client secret': clientSecret });
  });
}

/** A do-nothing provider: the binding only builds it. */
const idleProvider = (): TokenProvider => ({
  fetchToken: () => Promise.reject(new Error('not called')),
});

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

describe('the secret parser under fuzzing', () => {
  it('parseProviderSecret gives a usable secret or a SecretError for any raw value or text', async () => {
    await assertFuzz(anyRawSecretIsUsableOrSecretError(parseProviderSecret), 400);
  });

  it("parseProviderSecret's errors name fields, never a salt or a credential", async () => {
    await assertFuzz(secretErrorsShowNoValue(parseProviderSecret), 200);
  });

  it('SecretBinding.update binds any raw secret or rejects with SecretError / ConfigurationError', async () => {
    const input = fc.record({
      type: tokenType,
      raw: fc.oneof(anyText, anyValue, secretWithExtraField(fc.oneof(anyValue, pathologicalString))),
    });
    const property = fuzzProperty(input, async ({ type, raw }) => {
      const binding = new SecretBinding({
        tokenType: type,
        secretName: NAME,
        secrets: { load: async () => raw },
        provider: idleProvider,
        cipher: (secret) => new SaltCipher({ salts: secret.salts }),
        logger: silentLogger,
      });
      const outcome = await outcomeOf(() => binding.update());
      if (outcome.returned) useLikeTheBinding(outcome.value);
      else expectTypedError(outcome.error, [SecretError, ConfigurationError]);
    });
    await assertFuzz(property, 300);
  });

  it('parseTokenType splits any text without throwing, and the parts give the text back', async () => {
    const property = fuzzProperty(fc.oneof(anyText, tokenType), (text) => {
      const { provider, tenant } = parseTokenType(text);
      const joined = tenant === undefined ? provider : `${provider}#${tenant}`;
      if (joined !== text) throw new Error('parseTokenType lost part of the tokenType');
      if (tenant !== undefined && (provider === '' || tenant === '')) throw new Error('an empty part');
    });
    await assertFuzz(property, 300);
  });

  it('tenantTokenType and checkSecretTenant give a tokenType that splits back, or a typed error', async () => {
    const part = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:/@+-]{1,130}$/), anyValue, pathologicalString);
    // The secret's tenant is what ProviderSecret.optional('tenant') gives: a string or undefined.
    const secretTenant = fc.option(
      fc.oneof(
        part.filter((value) => typeof value === 'string'),
        pathologicalString,
      ),
      {
        nil: undefined,
      },
    );
    const input = fc.record({ provider: part, tenant: part, secretTenant });
    const property = fuzzProperty(input, ({ provider, tenant, secretTenant }) => {
      const built = outcomeOfSync(() => tenantTokenType(provider as string, tenant as string));
      if (!built.returned) return expectTypedError(built.error, [ConfigurationError]);
      const parts = parseTokenType(built.value);
      if (parts.provider !== provider || parts.tenant !== tenant)
        throw new Error('the tokenType does not split back');
      const checked = outcomeOfSync(() =>
        checkSecretTenant(built.value, NAME, secretTenant as string | undefined),
      );
      if (checked.returned !== (secretTenant === tenant)) {
        throw new Error(
          `checkSecretTenant ${checked.returned ? 'accepted another' : 'refused its own'} tenant`,
        );
      }
      if (!checked.returned) expectTypedError(checked.error, [SecretError]);
    });
    await assertFuzz(property, 300);
  });

  it('validateSecretName returns the name unchanged or throws ConfigurationError', async () => {
    const property = fuzzProperty(
      fc.oneof(anyValue, anyText, fc.stringMatching(/^\/[\w.+=@-]+(\/[\w.+=@-]+){3}$/)),
      (name) => {
        const outcome = outcomeOfSync(() => validateSecretName(name));
        if (outcome.returned && outcome.value !== name)
          throw new Error('validateSecretName changed the name');
        if (!outcome.returned) expectTypedError(outcome.error, [ConfigurationError]);
      },
    );
    await assertFuzz(property, 300);
  });
});

describe('the secret properties catch planted bugs', () => {
  it('catches a parser that lets JSON.parse or a property read throw', async () => {
    const naive: Parse = (secretName, raw) => {
      const value = typeof raw === 'string' ? JSON.parse(raw) : raw; // SyntaxError escapes
      if ((value as { salt?: unknown }).salt === undefined) throw new SecretError('no salt', secretName); // TypeError on null
      return parseProviderSecret(secretName, value);
    };
    expect(await plantedFailure(anyRawSecretIsUsableOrSecretError(naive), 300)).toMatch(
      /untyped throw: expected SecretError, got (SyntaxError|TypeError)/,
    );
  });

  it('catches an error that quotes the secret', async () => {
    const quoting: Parse = (secretName, raw) => {
      try {
        return parseProviderSecret(secretName, raw);
      } catch {
        throw new SecretError(`secret "${secretName}" is unusable: ${JSON.stringify(raw)}`, secretName);
      }
    };
    expect(await plantedFailure(secretErrorsShowNoValue(quoting), 200)).toMatch(
      /the error shows the (salt|client secret)/,
    );
  });

  it('catches a TypeError the documentation does not name', () => {
    // documentedTypeError accepts only the message the code writes, not any TypeError.
    const tokenTypeError = documentedTypeError(/^tokenType must be a string/);
    expect(tokenTypeError(new TypeError('tokenType must be a string (got number)'))).toBe(true);
    expect(tokenTypeError(new TypeError("Cannot read properties of undefined (reading 'salt')"))).toBe(false);
    expect(() => expectTypedError(new TypeError('x'), [SecretError], tokenTypeError)).toThrow(
      /untyped throw/,
    );
  });
});
