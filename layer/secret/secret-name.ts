/**
 * The name of a provider secret: `/{env}/{service}/{secret-type}/{name}`, or the ARN of one. A
 * name that breaks the rule is refused with the rule it breaks, never repeated: a salt or a key
 * put in its place is made of the same characters.
 */
import { ConfigurationError } from '../errors/error-classes.js';

const SEGMENT = '[A-Za-z0-9_.+=@-]+';
const SECRET_PATH = new RegExp(`^/${SEGMENT}/${SEGMENT}/${SEGMENT}/${SEGMENT}$`);
// Partition (aws, aws-cn, aws-us-gov, ...), region, 12-digit account, then the name (which may hold
// slashes, and ends with the 6-character suffix Secrets Manager appends, or not for a partial ARN).
const SECRET_ARN = /^arn:aws[-a-z]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const SEGMENT_CHARACTER = /^[A-Za-z0-9_.+=@-]$/u;
const ARN_NAME_CHARACTER = /^[A-Za-z0-9/_+=.@-]$/u;
const NAME_RULE =
  'it must be /{env}/{service}/{secret-type}/{name} (4 non-empty segments of A-Z a-z 0-9 _ . + = @ -, ' +
  'e.g. /prod/orders/oauth/salesforce) or a Secrets Manager ARN ' +
  '(arn:aws:secretsmanager:<region>:<account>:secret:<name>)';

/**
 * Checks a secret name: `/{env}/{service}/{secret-type}/{name}` (four non-empty segments of
 * `A-Z a-z 0-9 _ . + = @ -`, e.g. `/prod/orders/oauth/salesforce`) or a Secrets Manager ARN.
 * @returns the name, unchanged.
 * @throws ConfigurationError naming the rule the name breaks ("does not start with /", "has 3
 * segments, expected 4"). The name itself is never shown: a salt or an API key pasted in its
 * place is made of the same characters as a name.
 */
export function validateSecretName(name: unknown): string {
  if (typeof name !== 'string' || name === '') {
    throw new ConfigurationError(
      `secret name must be a non-empty string (got ${name === '' ? 'an empty string' : describeValue(name)})`,
    );
  }
  if (isSecretName(name)) return name;
  throw new ConfigurationError(
    `secret name (not shown, ${[...name].length} characters) ${whatIsWrong(name)}: ${NAME_RULE}`,
  );
}

function isSecretName(name: string): boolean {
  return SECRET_PATH.test(name) || SECRET_ARN.test(name);
}

/** The first rule `name` breaks, in words that quote at most one character of it. */
function whatIsWrong(name: string): string {
  if (name.startsWith('arn:')) return whatIsWrongWithArn(name.split(':'));
  if (!name.startsWith('/')) return 'does not start with "/"';
  if (name.endsWith('/')) return 'ends with "/"';
  const segments = name.slice(1).split('/');
  if (segments.length !== 4) return `has ${segments.length} segments, expected 4`;
  const empty = segments.indexOf('');
  if (empty >= 0) return `has an empty segment ${empty + 1} ("//")`;
  const index = segments.findIndex((segment) => firstOutside(segment, SEGMENT_CHARACTER) !== undefined);
  const character = firstOutside(segments[index] ?? '', SEGMENT_CHARACTER);
  return `holds ${describeCharacter(character)} in segment ${index + 1}, outside A-Z a-z 0-9 _ . + = @ -`;
}

function whatIsWrongWithArn(parts: string[]): string {
  // Part by part, so a wrong service reads as such whatever the rest looks like.
  const [, partition = '', service, region = '', account = '', type] = parts;
  if (!/^aws[-a-z]*$/.test(partition)) {
    return 'is an ARN whose partition (part 2) is not aws, aws-cn, aws-us-gov, ...';
  }
  if (service !== 'secretsmanager') return 'is an ARN of another service than secretsmanager (part 3)';
  if (!/^[a-z0-9-]+$/.test(region)) return 'is an ARN whose region (part 4) is empty or not a region';
  if (!/^\d{12}$/.test(account)) return 'is an ARN whose account (part 5) is not 12 digits';
  if (type !== 'secret') return 'is an ARN whose resource type (part 6) is not "secret"';
  if (parts.length > 7)
    return `is an ARN with a ":" in the secret's name (${parts.length} parts, expected 7)`;
  const secret = parts[6] ?? '';
  if (secret === '') return 'is an ARN with an empty secret name (part 7)';
  const character = describeCharacter(firstOutside(secret, ARN_NAME_CHARACTER));
  return `is an ARN whose secret name (part 7) holds ${character}, outside A-Z a-z 0-9 / _ + = . @ -`;
}

/** The first character of `text` (a code point) that `allowed` refuses. */
function firstOutside(text: string, allowed: RegExp): string | undefined {
  return [...text].find((character) => !allowed.test(character));
}

/** One character, named so that a space or a control character reads as one. */
function describeCharacter(character: string | undefined): string {
  if (character === undefined) return 'a character';
  if (character === ' ') return 'a space';
  const code = character.codePointAt(0) ?? 0;
  const unicode = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return code > 0x20 && code < 0x7f ? `the character "${character}"` : `the character ${unicode}`;
}

/**
 * The name as our messages show it: a name `validateSecretName` refuses is not repeated (it may be
 * a salt or a key given in its place: `parseProviderSecret` does not validate its first argument).
 */
export function shownName(secretName: string): string {
  return isSecretName(secretName) ? secretName : '(not shown: not a valid secret name)';
}

/** The kind of a value, never the value. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
