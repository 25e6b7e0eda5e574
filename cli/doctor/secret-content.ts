/**
 * What the secret holds, once read: a JSON object with a usable key (the layer's parser, whose
 * SecretError names the field and never a value), and the fields the provider reads (the layer's
 * `require` rule, then the layer's factory).
 */
import { SaltCipher } from '../../layer/crypto/salt-cipher.js';
import { isSharedTokenError, type SecretError } from '../../layer/errors/error-classes.js';
import type { TokenProvider } from '../../layer/providers/token-provider.js';
import type { ProviderSecret } from '../../layer/secret/provider-secret.js';
import { plural } from '../text-format.js';
import { type CheckResult, fail, ok, skip } from './check.js';
import type { ProviderSetup } from './provider-kinds.js';

export const DOCS = 'docs/secret.md';

/** The secret parsed: its field names and its key ids (not secret: HKDF of the keys). */
export function content(secret: ProviderSecret): CheckResult {
  const ids = new SaltCipher({ keys: secret.keys }).keyIds();
  const keys =
    ids.length === 1
      ? `key id ${ids[0]}`
      : `${plural(ids.length, 'key')}, current ${ids[0]}, older ${ids.slice(1).join(', ')}: a key rotation is under way (finish it one token lifetime after every container has the new version)`;
  return ok(
    'secret.content',
    'secret content',
    `a JSON object with fields ${secret.fieldNames.join(', ')}; ${keys}`,
  );
}

/** A SecretError of the parser: its message (the layer's, safe) and the fix for its kind. */
export function contentFailure(error: SecretError): CheckResult {
  const { message } = error;
  const generate = 'a random string of at least 16 characters: openssl rand -base64 32';
  let cause = 'the layer refuses this secret at the first fetch: every function fails with a SecretError';
  let fix = `see ${DOCS}`;
  if (/is not valid JSON|must be a JSON object|is empty or missing|nests deeper/.test(message)) {
    fix = `store the secret as one JSON object of fields, e.g. {"clientId": "...", "clientSecret": "...", "key": "<${generate}>"} (${DOCS})`;
  } else if (/no "key" field/.test(message)) {
    fix = `add "key": ${generate}`;
  } else if (/is shorter than/.test(message)) {
    cause += '; a short key is guessable, and the stored tokens are only as safe as it';
    fix = `replace it with ${generate}; the stored token then refreshes once (keep the old one second in "keys" to avoid even that)`;
  } else if (/keep one/.test(message)) {
    fix =
      'keep one of them: "key" (or "keys" while rotating, current first); "salt" and "salts" are their old names';
  } else if (/duplicates/.test(message)) {
    fix = 'remove the duplicate from "keys"';
  } else if (/must be a (string|non-empty array)/.test(message)) {
    fix = `"key" is one string (${generate}); "keys" an array of such strings, current first`;
  }
  return fail('secret.content', 'secret content', message, cause, fix);
}

/** The fields the provider reads: each present and a non-empty string (the layer's rule), then its factory. */
export function providerFields(
  secret: ProviderSecret,
  setup: ProviderSetup | undefined,
): { result: CheckResult; provider?: TokenProvider } {
  const id = 'secret.providerFields';
  const title = 'provider fields';
  if (setup === undefined) return { result: skip(id, title, 'no --provider (or --require) given') };
  if (setup.fields.length === 0) {
    return {
      result: skip(
        id,
        title,
        'a functionProvider reads the fields your function reads: name them with --require NAME to check them',
      ),
    };
  }
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const { field } of setup.fields) {
    try {
      secret.require(field);
    } catch (error) {
      if (!isSharedTokenError(error, 'SecretError')) throw error;
      (secret.fieldNames.includes(field) ? wrong : missing).push(field);
    }
  }
  const reader = setup.kind === undefined ? 'your code reads' : `the ${setup.kind} provider reads`;
  const names = setup.fields.map(({ field }) => field).join(', ');
  if (missing.length > 0 || wrong.length > 0) {
    const parts = [
      ...(missing.length > 0
        ? [`missing ${missing.length === 1 ? 'field' : 'fields'} ${missing.join(', ')}`]
        : []),
      ...wrong.map((field) => `field ${field} is not a non-empty string`),
    ];
    const mapped = setup.fields.some(({ role, field }) => role !== field);
    return {
      result: fail(
        id,
        title,
        parts.join('; '),
        `${reader} ${names} from the secret: its first refresh fails with a SecretError naming the field`,
        `add ${[...missing, ...wrong].map((field) => `"${field}"`).join(', ')} to the secret as non-empty strings (${DOCS})${
          mapped || setup.kind === undefined
            ? ''
            : "; if your secret names them otherwise, map them with the factory's fields option (here: --field ROLE=NAME)"
        }`,
      ),
    };
  }
  if (setup.factory === undefined) return { result: ok(id, title, `has ${names} (${reader})`) };
  try {
    return { result: ok(id, title, `has ${names} (${reader})`), provider: setup.factory(secret) };
  } catch (error) {
    if (!isSharedTokenError(error, 'ConfigurationError')) throw error;
    return {
      result: fail(
        id,
        title,
        (error as Error).message,
        'the layer builds its provider from these fields and refuses them: every refresh fails',
        `correct the field the message names (${DOCS})`,
      ),
    };
  }
}
