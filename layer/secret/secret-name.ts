/**
 * The name of a provider secret: any name or ARN Secrets Manager accepts. A name Secrets Manager
 * would refuse is refused here, at creation, with what is wrong and never the name itself: a key
 * or a credential pasted in its place is made of the same characters.
 *
 * The seeds' convention, `/{env}/{service}/{secret-type}/{name}` (docs/secret.md), is a
 * recommendation: `checkSecretNameConvention` checks it for those who want it checked.
 */
import { ConfigurationError } from '../errors/error-classes.js';

/** Secrets Manager's limit on a secret's name, in characters. */
export const MAX_SECRET_NAME_LENGTH = 512;
/** In an ARN the name carries the 7-character suffix Secrets Manager appends (`-AbCdEf`), or not. */
const MAX_ARN_NAME_LENGTH = MAX_SECRET_NAME_LENGTH + 7;
const NAME_CHARACTER = /^[A-Za-z0-9/_+=.@-]$/u;
const NAME_CHARACTERS = 'A-Z a-z 0-9 / _ + = . @ -';
// Partition (aws, aws-cn, aws-us-gov, ...), region, 12-digit account, then the name.
const SECRET_ARN = /^arn:aws[-a-z]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]+$/;
const SECRET_NAME_RULE =
  `a secret name is 1 to ${MAX_SECRET_NAME_LENGTH} characters of ${NAME_CHARACTERS}, ` +
  'or a Secrets Manager ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)';

const SEGMENT = '[A-Za-z0-9_.+=@-]+';
const CONVENTION = new RegExp(`^/${SEGMENT}/${SEGMENT}/${SEGMENT}/${SEGMENT}$`);
const CONVENTION_RULE =
  'the recommended form is /{env}/{service}/{secret-type}/{name} (4 non-empty segments, ' +
  'e.g. /prod/orders/oauth/salesforce), or the ARN of such a name';

/**
 * Checks a secret name as Secrets Manager would: 1 to 512 characters of
 * `A-Z a-z 0-9 / _ + = . @ -`, or a Secrets Manager ARN
 * (`arn:aws[-a-z]*:secretsmanager:<region>:<12 digits>:secret:<name>`).
 * @returns the name, unchanged.
 * @throws ConfigurationError saying what is wrong ("is 513 characters long", "holds a space
 * (character 7)", "is an ARN whose account (part 5) is not 12 digits"). The name itself is never
 * shown: a key or an API key pasted in its place is made of the same characters as a name.
 */
export function validateSecretName(name: unknown): string {
  if (typeof name !== 'string' || name === '') {
    throw new ConfigurationError(
      `secret name must be a non-empty string (got ${name === '' ? 'an empty string' : describeValue(name)})`,
    );
  }
  const wrong = whatIsWrong(name);
  if (wrong === undefined) return name;
  throw new ConfigurationError(
    `secret name (not shown, ${[...name].length} characters) ${wrong}: ${SECRET_NAME_RULE}`,
  );
}

/**
 * Checks the recommended convention, `/{env}/{service}/{secret-type}/{name}` (four non-empty
 * segments, e.g. `/prod/orders/oauth/salesforce`), or the ARN of such a name. Optional: call it
 * where you build your names, e.g. `secretName: checkSecretNameConvention(process.env.SECRET_NAME)`.
 * @returns the name, unchanged.
 * @throws ConfigurationError naming what Secrets Manager would refuse first (as
 * {@link validateSecretName}), then the rule of the convention the name breaks; never the name.
 */
export function checkSecretNameConvention(name: unknown): string {
  const valid = validateSecretName(name);
  const path = SECRET_ARN.test(valid) ? valid.split(':')[6]! : valid;
  if (CONVENTION.test(path)) return valid;
  throw new ConfigurationError(
    `secret name (not shown, ${[...valid].length} characters) ${whatBreaksConvention(path)}: ${CONVENTION_RULE}`,
  );
}

function isSecretName(name: string): boolean {
  return whatIsWrong(name) === undefined;
}

/** What Secrets Manager would refuse in `name`, in words that quote at most one character of it. */
function whatIsWrong(name: string): string | undefined {
  if (name.startsWith('arn:'))
    return SECRET_ARN.test(name) ? arnNameLength(name) : whatIsWrongWithArn(name.split(':'));
  const length = [...name].length;
  if (length > MAX_SECRET_NAME_LENGTH) {
    return `is ${length} characters long; Secrets Manager allows at most ${MAX_SECRET_NAME_LENGTH}`;
  }
  if (SECRET_NAME.test(name)) return undefined;
  return holds(name, NAME_CHARACTER);
}

function arnNameLength(arn: string): string | undefined {
  const length = [...(arn.split(':')[6] ?? '')].length;
  return length > MAX_ARN_NAME_LENGTH
    ? `is an ARN whose secret name (part 7) is ${length} characters long, at most ${MAX_ARN_NAME_LENGTH} with its suffix`
    : undefined;
}

/** The first character outside `allowed`, and where. */
function holds(text: string, allowed: RegExp): string {
  const characters = [...text];
  const index = characters.findIndex((character) => !allowed.test(character));
  return `holds ${describeCharacter(characters[index])} (character ${index + 1}), outside ${NAME_CHARACTERS}`;
}

/** The first rule of the convention `path` breaks. */
function whatBreaksConvention(path: string): string {
  if (!path.startsWith('/')) return 'does not start with "/"';
  if (path.endsWith('/')) return 'ends with "/"';
  const segments = path.slice(1).split('/');
  if (segments.length !== 4) return `has ${segments.length} segments, expected 4`;
  const empty = segments.indexOf('');
  return `has an empty segment ${empty + 1} ("//")`;
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
  return `is an ARN whose secret name (part 7) ${holds(secret, NAME_CHARACTER)}`;
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
 * a key or a credential given in its place: `parseProviderSecret` does not validate its first argument).
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
