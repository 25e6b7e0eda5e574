import {
  ConfigurationError,
  isSharedTokenError,
  SecretError,
  TokenRefreshError,
} from '../errors/error-classes.js';
import type { Clock } from '../time/clock.js';
import { MAX_TOKEN_ANSWER_BYTES, readBodyUpTo } from './bounded-body.js';
import {
  type ClientAuthMethod,
  checkOptionKeys,
  readAuthMethod,
  readClock,
  readFetch,
  readLifetimeSeconds,
  readTimeoutMs,
  requireHttpUrl,
  requireText,
} from './provider-options.js';
import {
  type ClientCredentialFields,
  CREDENTIAL_FIELDS,
  factoryFromSecret,
  requireFields,
} from './secret-fields.js';
import { postTokenForm } from './token-endpoint.js';
import type {
  ProviderCredentials,
  ProviderFactory,
  ProviderToken,
  TokenProvider,
  TokenRequest,
} from './token-provider.js';
import { parseTokenResponse } from './token-response.js';

const LABEL = 'Salesforce provider';

/** The options of a Salesforce provider, credentials aside. */
const SALESFORCE_SETTINGS = [
  'instanceUrl',
  'authMethod',
  'sessionLifetimeSeconds',
  'timeoutMs',
  'clock',
  'fetch',
] as const;

const KNOWN_OPTIONS = new Set<string>([...SALESFORCE_SETTINGS, 'clientId', 'clientSecret']);

/** Salesforce's longest session timeout (24 hours): a longer "lifetime" is a unit mistake. */
const MAX_SESSION_LIFETIME_SECONDS = 24 * 3600;

/** How far `issued_at` may be from our clock and still be believed. */
const ISSUED_AT_TOLERANCE_MS = 5 * 60_000;

/** `errorCode` of a Salesforce API answer for an expired or revoked session: refresh and retry. */
export const SALESFORCE_INVALID_SESSION = 'INVALID_SESSION_ID';

/** `errorCode` of the HTTP 403 Salesforce answers when the org's API limit is used up: NOT a token problem. */
export const SALESFORCE_REQUEST_LIMIT = 'REQUEST_LIMIT_EXCEEDED';

export interface SalesforceOptions {
  /** The org's My Domain URL, `https://acme.my.salesforce.com`; the token URL is `${instanceUrl}/services/oauth2/token`. */
  instanceUrl: string;
  /** Consumer key of the connected (or external client) app. */
  clientId: string;
  /** Consumer secret of that app. */
  clientSecret: string;
  /**
   * Where the consumer key and secret go. Salesforce's own documentation of the client credentials
   * flow sends `client_id` and `client_secret` in the form body, and its examples do; it takes an
   * HTTP Basic header too (`'basic'`).
   * @default 'body'
   */
  authMethod?: 'body' | 'basic';
  /**
   * Lifetime of a session, in seconds. Salesforce's answers carry no `expires_in`: set this to
   * the org's (or the app's) session timeout.
   * @default 7_200 (two hours, Salesforce's default session timeout)
   */
  sessionLifetimeSeconds?: number;
  /** Upper bound of one token request; the lease also bounds it. @default 5_000 ms */
  timeoutMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Salesforce's OAuth 2.0 client credentials flow against the org's My Domain. */
export class SalesforceProvider implements TokenProvider {
  private readonly tokenUrl: string;
  private readonly clientId: string;
  private readonly clientSecret: string;
  private readonly authMethod: ClientAuthMethod;
  private readonly sessionLifetimeSeconds: number;
  /** The bound on one token request (the manager reads it to decide who may claim the lease). */
  readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly fetch: typeof fetch;

  constructor(options: SalesforceOptions) {
    checkOptionKeys(options, KNOWN_OPTIONS, LABEL);
    this.tokenUrl = `${readInstanceUrl(options.instanceUrl, LABEL)}/services/oauth2/token`;
    const settings = readSalesforceSettings(options, LABEL);
    this.authMethod = settings.authMethod;
    this.sessionLifetimeSeconds = settings.sessionLifetimeSeconds;
    this.timeoutMs = settings.timeoutMs;
    this.clock = settings.clock;
    this.fetch = settings.fetch;
    this.clientId = requireText(options.clientId, 'clientId', LABEL);
    this.clientSecret = requireText(options.clientSecret, 'clientSecret', LABEL);
  }

  async fetchToken(request: TokenRequest): Promise<ProviderToken> {
    const { tokenType } = request;
    let body: string;
    try {
      body = await postTokenForm({
        tokenType,
        url: this.tokenUrl,
        form: new URLSearchParams({ grant_type: 'client_credentials' }),
        client: { clientId: this.clientId, clientSecret: this.clientSecret, method: this.authMethod },
        timeoutMs: this.timeoutMs,
        signal: request.signal,
        fetch: this.fetch,
      });
    } catch (error) {
      throw withSalesforceHint(error);
    }
    const now = this.clock.now();
    const token = parseTokenResponse(body, {
      tokenType,
      now: sessionStart(body, now),
      defaultExpiresInSeconds: this.sessionLifetimeSeconds,
    });
    // Client credentials issue no refresh token; a stray one must not be stored.
    return { accessToken: token.accessToken, expiresAt: token.expiresAt };
  }
}

/** The options of `SALESFORCE_SETTINGS` but `instanceUrl`, validated and defaulted. */
function readSalesforceSettings(
  options: Record<string, unknown>,
  label: string,
): {
  authMethod: ClientAuthMethod;
  sessionLifetimeSeconds: number;
  timeoutMs: number;
  clock: Clock;
  fetch: typeof fetch;
} {
  return {
    // Not the OAuth2 default (Basic): the body is what Salesforce documents for this flow.
    authMethod: readAuthMethod(options.authMethod, label, 'body'),
    sessionLifetimeSeconds:
      readLifetimeSeconds(
        options.sessionLifetimeSeconds,
        'sessionLifetimeSeconds',
        label,
        MAX_SESSION_LIFETIME_SECONDS,
      ) ?? 7_200,
    timeoutMs: readTimeoutMs(options.timeoutMs, label),
    clock: readClock(options.clock, label),
    fetch: readFetch(options.fetch, label),
  };
}

/**
 * The instance URL without a trailing slash. A path is kept (an Experience Cloud site has its token
 * endpoint under its path); credentials are refused by `requireHttpUrl`, naming them, and a query
 * or fragment here rather than sent somewhere.
 */
function readInstanceUrl(value: unknown, label: string): string {
  const url = requireHttpUrl(value, 'instanceUrl', label);
  if (url.search !== '' || url.hash !== '') {
    throw new ConfigurationError(
      `${label} option "instanceUrl" must be a plain URL (no query, fragment or credentials)`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * When the session started, by our clock. `issued_at` is epoch MILLISECONDS as a string. It is
 * believed only within ±5 minutes of our clock (a value in seconds would otherwise give a 1970
 * expiry), and never later than now: a Salesforce clock ahead of ours must not lengthen the session.
 */
function sessionStart(body: string, now: number): number {
  let issuedAt: unknown;
  try {
    issuedAt = (JSON.parse(body) as { issued_at?: unknown }).issued_at;
  } catch {
    return now; // parseTokenResponse reports the broken answer.
  }
  const ms = typeof issuedAt === 'string' && /^\d{1,16}$/.test(issuedAt) ? Number(issuedAt) : Number.NaN;
  if (!(Math.abs(ms - now) <= ISSUED_AT_TOLERANCE_MS)) return now;
  return Math.min(ms, now);
}

/** Salesforce's two usual misconfigurations, named in the message; the status and code stay as they were. */
function withSalesforceHint(error: unknown): unknown {
  if (!isSharedTokenError(error, 'TokenRefreshError')) return error;
  const { oauthError, status, tokenType, message } = error as TokenRefreshError;
  const hint =
    oauthError === 'invalid_client'
      ? 'the consumer key or secret is wrong'
      : oauthError === 'invalid_grant'
        ? 'check that the app enables the client credentials flow with a Run As user, and that instanceUrl is the My Domain URL'
        : undefined;
  if (hint === undefined) return error;
  return new TokenRefreshError(`${message}: ${hint}`, tokenType, {
    cause: error,
    oauthError,
    ...(status !== undefined && { status }),
  });
}

/**
 * An error answer of the Salesforce REST API, for handlers to throw: the middleware reads
 * `statusCode` and `errorCode` (401 `INVALID_SESSION_ID` means refresh; 403
 * `REQUEST_LIMIT_EXCEEDED` does not). The message holds the status and the code, never the body.
 */
export class SalesforceApiError extends Error {
  override name = 'SalesforceApiError';
  readonly statusCode: number;
  readonly errorCode: string | undefined;

  constructor(statusCode: number, errorCode?: string, options?: ErrorOptions) {
    const code = errorCode !== undefined && SALESFORCE_ERROR_CODE.test(errorCode) ? errorCode : undefined;
    super(`Salesforce answered HTTP ${statusCode}${code ? ` (${code})` : ''}`, options);
    this.statusCode = statusCode;
    this.errorCode = code;
  }

  /**
   * Reads Salesforce's error body `[{"message":"...","errorCode":"INVALID_SESSION_ID"}]` (consumes
   * the body), at most `MAX_TOKEN_ANSWER_BYTES` of it: a longer one keeps the status alone.
   */
  static async from(response: Response): Promise<SalesforceApiError> {
    let errorCode: string | undefined;
    try {
      const text = await readBodyUpTo(response, MAX_TOKEN_ANSWER_BYTES);
      const parsed = JSON.parse(text ?? '') as unknown;
      const first = (Array.isArray(parsed) ? parsed[0] : parsed) as
        | { errorCode?: unknown }
        | null
        | undefined;
      if (typeof first?.errorCode === 'string') errorCode = first.errorCode;
    } catch {
      // Not JSON, or the body was already read: the status alone tells what happened.
    }
    return new SalesforceApiError(response.status, errorCode);
  }
}

// Salesforce error codes are upper-case identifiers; anything else could be an echo of a request.
const SALESFORCE_ERROR_CODE = /^[A-Z_]{1,64}$/;

export interface SalesforceFactoryOptions
  extends Omit<SalesforceOptions, 'clientId' | 'clientSecret' | 'instanceUrl'> {
  /** The org's My Domain URL. @default the secret's `instanceUrl` field */
  instanceUrl?: string;
  /**
   * Names of the secret's fields: `{ clientId: 'consumerKey', clientSecret: 'consumerSecret' }`.
   * @default { clientId: 'clientId', clientSecret: 'clientSecret', instanceUrl: 'instanceUrl' }
   */
  fields?: ClientCredentialFields & {
    /** Read only when the options have no `instanceUrl`. @default 'instanceUrl' */
    instanceUrl?: string;
  };
}

/** The secret fields the Salesforce provider reads (`instanceUrl` only when not configured). */
export const SALESFORCE_SECRET_FIELDS = [...CREDENTIAL_FIELDS, 'instanceUrl'] as const;

/** Salesforce client credentials; `clientId`, `clientSecret` (and `instanceUrl` unless configured) from the secret. */
export function salesforce(options: SalesforceFactoryOptions = {}): ProviderFactory {
  const shape = {
    label: LABEL,
    settings: SALESFORCE_SETTINGS,
    secretFields: SALESFORCE_SECRET_FIELDS,
    check: checkSettings,
  };
  return factoryFromSecret(options, shape, (settings, credentials, { instanceUrl, ...fields }) => {
    const secret = requireFields(credentials, fields);
    return new SalesforceProvider({
      ...settings,
      ...secret,
      instanceUrl:
        (settings.instanceUrl as string | undefined) ?? instanceUrlFromSecret(credentials, instanceUrl),
    } as SalesforceOptions);
  });
}

function checkSettings(settings: Record<string, unknown>): void {
  readSalesforceSettings(settings, LABEL);
  if (settings.instanceUrl !== undefined) readInstanceUrl(settings.instanceUrl, LABEL);
}

/** The secret's instance URL; a bad one is the secret's fault, so the error names the secret and the field. */
function instanceUrlFromSecret(credentials: ProviderCredentials, field: string): string {
  const value = credentials.require(field);
  try {
    readInstanceUrl(value, 'Salesforce provider');
  } catch (error) {
    if (!isSharedTokenError(error, 'ConfigurationError')) throw error;
    throw new SecretError(
      `Secret "${credentials.secretName}" field "${field}" is not a plain http(s) URL (the org's My Domain URL)`,
      credentials.secretName,
      { field },
    );
  }
  return value;
}
