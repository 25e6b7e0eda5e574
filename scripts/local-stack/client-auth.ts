import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** RFC 6749 2.3.1: HTTP Basic when the header is there, else client_id / client_secret in the form. */
export function clientAuthenticates(
  headers: IncomingHttpHeaders,
  form: URLSearchParams,
  expected: { clientId: string; clientSecret: string },
): boolean {
  const basic = /^basic\s+(.+)$/i.exec(headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    return (
      matchesEncodedOrRaw(decoded.slice(0, colon), expected.clientId) &&
      matchesEncodedOrRaw(decoded.slice(colon + 1), expected.clientSecret)
    );
  }
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return (
    id !== null &&
    secret !== null &&
    sameText(id, expected.clientId) &&
    sameText(secret, expected.clientSecret)
  );
}

// The RFC form-encodes both parts before Base64, but many clients do not: accept either.
function matchesEncodedOrRaw(received: string, expected: string): boolean {
  return sameText(received, expected) || sameText(formDecode(received), expected);
}

function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
