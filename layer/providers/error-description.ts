/**
 * The OAuth2 `error_description` of a token endpoint's error answer (RFC 6749 5.2), made safe for
 * an error message: it often says what `error` alone does not ("Client authentication failed",
 * "request not supported on this domain"), but it is the provider's free text, and some
 * providers echo what they were sent. So it is kept only when it cannot carry a secret.
 */

/** The longest description kept, in characters. */
const MAX_ERROR_DESCRIPTION_LENGTH = 200;

/** Runs this long of a secret found in a description count as an echo of it (a quote cut short). */
const ECHO_WINDOW = 8;

/** A word of 24+ characters of a token alphabet with upper case, lower case and digits: a credential. */
const CREDENTIAL_LIKE = /[A-Za-z0-9+/=_.~-]{24,}/g;

/**
 * `raw` cleaned for a message, or `undefined` when it is not a string, is blank, or could hold one
 * of `secrets` (the request's credentials and form values): it contains one, a run of
 * `ECHO_WINDOW` characters of one, or a word that looks like a credential. Each run of
 * characters outside printable ASCII (control characters, line breaks, non-ASCII) becomes one
 * space, so a description can neither forge a log line nor smuggle terminal escapes; the result
 * is cut to `MAX_ERROR_DESCRIPTION_LENGTH` characters.
 */
export function safeErrorDescription(raw: unknown, secrets: readonly string[]): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const printable = raw
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (printable === '') return undefined;
  // Checked on the raw text too: a secret broken up by control characters is still a secret.
  if (secrets.some((secret) => echoes(raw, secret) || echoes(printable, secret))) return undefined;
  if (looksLikeCredential(printable)) return undefined;
  return printable.length > MAX_ERROR_DESCRIPTION_LENGTH
    ? `${printable.slice(0, MAX_ERROR_DESCRIPTION_LENGTH - 3).trimEnd()}...`
    : printable;
}

/** The forms a secret may come back in: as sent in the form, or form-encoded as in a Basic header. */
export function secretForms(values: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    if (value === '') continue;
    forms.add(value);
    forms.add(encodeURIComponent(value));
    forms.add(new URLSearchParams({ v: value }).toString().slice(2));
  }
  return [...forms];
}

function echoes(text: string, secret: string): boolean {
  if (secret.length <= ECHO_WINDOW) return text.includes(secret);
  for (let start = 0; start + ECHO_WINDOW <= secret.length; start++) {
    if (text.includes(secret.slice(start, start + ECHO_WINDOW))) return true;
  }
  return false;
}

function looksLikeCredential(text: string): boolean {
  for (const [word] of text.matchAll(CREDENTIAL_LIKE)) {
    if (/[A-Z]/.test(word) && /[a-z]/.test(word) && /[0-9]/.test(word)) return true;
  }
  return false;
}
