/**
 * Where the local stack (and the tests' fixtures) declare the secret values they hold, so that a
 * scanner can fail a test run when any of them is printed: one hit fails the run (docs/development.md, "Secret scan").
 *
 * The registry itself keeps nothing: `registerSecret` forwards to a sink installed on `globalThis`
 * by the Jest setup file (test/support/secret-scan-setup.ts) and is a no-op without one, so the
 * demo, the benchmarks and anything shipped pay nothing and hold no extra copy of a secret.
 * Labels name a secret (`secrets-manager:/demo/x:salt`); a label never holds the value.
 */

/** Receives every registered secret; installed by whoever scans output. */
export type SecretSink = (value: string, label: string) => void;

/**
 * Values shorter than this are not registered: a short value ("test", "secret", a 6-digit
 * number) turns up by chance in ordinary output and would fail runs for nothing, while every real
 * secret here (salts, client secrets, tokens, base64 data keys) is a random string of 16+
 * characters. The scanner also indexes secrets by their first MIN_SECRET_LENGTH characters.
 */
export const MIN_SECRET_LENGTH = 12;

const SINK = Symbol.for('lambda-shared-token.secret-sink');
type WithSink = typeof globalThis & { [SINK]?: SecretSink };

/**
 * Fields of a JSON secret string that name things rather than hold secrets; printing them is
 * fine (an error may name the client id or the token URL), so they are not registered.
 */
const PUBLIC_FIELDS = /(id|url|uri|endpoint|scope|audience|username|region|type)$/i;

/** Installs (or with `undefined`, removes) the process-global sink. Returns the previous one. */
export function installSecretSink(sink: SecretSink | undefined): SecretSink | undefined {
  const global = globalThis as WithSink;
  const previous = global[SINK];
  if (sink) global[SINK] = sink;
  else delete global[SINK];
  return previous;
}

/** Declares a secret value under a label; a no-op without a sink or for values under MIN_SECRET_LENGTH. */
export function registerSecret(value: unknown, label: string): void {
  const sink = (globalThis as WithSink)[SINK];
  if (!sink || typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  sink(value, label);
}

/**
 * Registers a secret string as a whole, and when it is a JSON object, each of its string fields
 * (nested ones too) under `${label}:${path}`, except the public ones (ids, URLs, scopes…): the
 * layer parses the JSON and may print a field on its own.
 */
export function registerSecretString(secretString: string, label: string): void {
  if (!(globalThis as WithSink)[SINK]) return;
  registerSecret(secretString, label);
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    return; // A plain-text secret: registered as a whole above.
  }
  registerFields(parsed, label);
}

function registerFields(value: unknown, label: string): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, field] of Object.entries(value)) {
    if (typeof field === 'string') {
      if (!PUBLIC_FIELDS.test(key)) registerSecret(field, `${label}:${key}`);
    } else registerFields(field, `${label}:${key}`);
  }
}
