import type { Context } from 'aws-lambda';
import type { AccessToken } from '../layer/access-token.js';
import { checkClientConfig, withCallTimeouts } from '../layer/aws/aws-client-config.js';
import {
  aBoolean,
  anObject,
  aText,
  type OptionRules,
  omitOptions,
  validateOptions,
} from '../layer/options/option-rules.js';
import { aSecretCacheExpiry, secretCacheExpiryMs } from '../layer/secret/secret-cache-expiry.js';
import { validateSecretName } from '../layer/secret/secret-name.js';
import { SHARED_TOKEN_OPTIONS, SharedToken, type SharedTokenOptions } from '../layer/shared-token.js';
import { addLambdaContext } from '../layer/telemetry/lambda-context.js';
import { createPowertoolsLogger } from '../layer/telemetry/powertools-logger.js';
import { type Clock, systemClock } from '../layer/time/clock.js';
import { MiddySecretSource } from './middy-secret-source.js';

/** Options of {@link sharedToken}: the core's options, minus where the secret comes from, plus Middy's. */
export interface SharedTokenMiddlewareOptions extends Omit<SharedTokenOptions, 'secrets'> {
  /**
   * Property of the Lambda context that receives the token (an `AccessToken`: `.value`,
   * `.expiresAt` in epoch ms, `.version`; logging it shows no value).
   * @default 'sharedToken'
   */
  contextKey?: string;
  /**
   * Milliseconds a fetched secret is reused before Secrets Manager is asked again, as for
   * SharedToken: `0` fetches every invocation, `-1` (or `Infinity`) keeps it for the container's
   * life, 1 to 999 is refused as probably seconds. A finite value is at most 86_400_000 (a day):
   * the middleware refreshes the secret on a timer, which cannot wait more than 24.8 days.
   * A rotation is also picked up at once on `invalid_client` or an unknown key id.
   * @default 300_000
   */
  secretCacheExpiry?: number;
  /** Options of the SecretsManagerClient (region, credentials, endpoint). @default {} */
  awsClientOptions?: Record<string, unknown>;
  /** Skip Middy's cold-start fetch of the secret; it is then fetched by the first invocation. @default false */
  disablePrefetch?: boolean;
}

type Handler<TEvent, TResult> = (
  event: TEvent,
  context: Context,
  options: { signal: AbortSignal },
) => Promise<TResult> | TResult;

interface MiddyRequest {
  event: unknown;
  /** A plain `Context`, so `middy(handler).use(sharedToken(...))` keeps the handler's own type. */
  context: Context;
  internal: Record<string, unknown>;
  response?: unknown;
  error?: unknown;
}

/** A Middy middleware that also wraps the handler for the one retry (see `withSharedToken`). */
export interface SharedTokenMiddleware {
  before: (request: MiddyRequest) => Promise<void>;
  after: (request: MiddyRequest) => Promise<void>;
  onError: (request: MiddyRequest) => Promise<void>;
  /** Wraps a handler so a rejection of its token refreshes once and runs it once more. */
  retrying<TEvent, TResult>(handler: Handler<TEvent, TResult>): Handler<TEvent, TResult>;
  /** The core this middleware adapts (for `clearCache`, or to get the token outside a handler). */
  readonly sharedToken: SharedToken;
}

/** Every option sharedToken accepts: the core's (the secret always comes through Middy) and its own. */
const MIDDLEWARE_OPTIONS: OptionRules = {
  ...omitOptions(SHARED_TOKEN_OPTIONS, 'secrets'),
  contextKey: aText,
  // The core's rule, with the cap of a day its refresh timer needs.
  secretCacheExpiry: aSecretCacheExpiry({ timed: true }),
  awsClientOptions: anObject,
  disablePrefetch: aBoolean,
};

/** What `before` leaves for the retrying handler; a symbol keeps it off the handler's view of the context. */
const INVOCATION = Symbol('lambda-shared-token.invocation');
interface Invocation {
  token: AccessToken;
  deadline: number | undefined;
  /** The handler runs inside `retrying`, which deals with a rejection itself. */
  retrying: boolean;
}

/**
 * The Middy adapter. `before` loads the provider secret (cached, into `request.internal`),
 * gets the shared token and puts it on the context; `after` and `onError` publish the
 * metrics. The retry after a 401/403 needs the handler, which Middy's `onError` never sees:
 * `retrying(handler)` supplies it, and `withSharedToken` attaches both in one line.
 *
 * Attached with `middy(handler).use(sharedToken(options))` alone, a rejection (thrown, or a
 * response `isRejectedResponse` recognises) still refreshes the rejected version for every
 * container in `onError` / `after`, so the next invocation gets a new token; the invocation that
 * saw it is not run again, and one warning per container says so.
 */
export function sharedToken(options: SharedTokenMiddlewareOptions): SharedTokenMiddleware {
  validateOptions('sharedToken', options, MIDDLEWARE_OPTIONS);
  const {
    contextKey = 'sharedToken',
    secretCacheExpiry,
    awsClientOptions = {},
    disablePrefetch = false,
    ...core
  } = options;
  checkClientConfig(awsClientOptions, 'sharedToken awsClientOptions');
  // Checked before Middy prefetches anything under that name.
  validateSecretName(core.secretName);
  // One logger for the token and the secret's background refresh.
  const logger = core.logger ?? createPowertoolsLogger();
  const secrets = new MiddySecretSource({
    secretName: core.secretName,
    cacheExpiry: secretCacheExpiryMs(secretCacheExpiry),
    // Middy's client, with the layer's connection and request timeouts unless the options bring a handler.
    awsClientOptions: withCallTimeouts(awsClientOptions),
    disablePrefetch,
    logger,
  });
  const shared = new SharedToken({ ...core, logger, secrets });
  const clock: Clock = core.clock ?? systemClock;
  let warnedNotRetried = false;

  /**
   * Attached with `.use()` alone, nothing runs the handler again after a rejection; the rejected
   * version is still refreshed for every container, so the next invocation gets a new token.
   */
  const refreshWithoutRetry = async (
    request: MiddyRequest,
    outcome: { error: unknown } | { response: unknown },
  ): Promise<void> => {
    const invocation = invocationOf(request.context);
    if (!invocation || invocation.retrying) return;
    const { token, deadline } = invocation;
    const fresh = await shared.refreshIfRejected(outcome, token, deadline === undefined ? {} : { deadline });
    if (fresh && !warnedNotRetried) {
      warnedNotRetried = true;
      logger.warn(
        'token rejected: refreshed for the next invocation, but this one is not retried; attach the middleware with withSharedToken(handler, options) or wrap the handler in .retrying()',
        { tokenType: shared.tokenType, version: token.version },
      );
    }
  };

  const sharedTokenMiddlewareBefore = async (request: MiddyRequest): Promise<void> => {
    // The library's own logger carries this invocation's context, as injectLambdaContext gives a user's.
    addLambdaContext(logger, request.context);
    const deadline = deadlineOf(request.context, clock);
    // The secret is awaited inside getToken, bounded by the invocation's deadline.
    await secrets.prime(request);
    const token = await shared.getToken(deadline === undefined ? {} : { deadline });
    (request.context as unknown as Record<string, unknown>)[contextKey] = token;
    Object.defineProperty(request.context, INVOCATION, {
      value: { token, deadline, retrying: false } satisfies Invocation,
      configurable: true,
      enumerable: false,
    });
  };
  const sharedTokenMiddlewareAfter = async (request: MiddyRequest): Promise<void> => {
    try {
      await refreshWithoutRetry(request, { response: request.response });
    } finally {
      shared.flushMetrics();
    }
  };
  const sharedTokenMiddlewareOnError = async (request: MiddyRequest): Promise<void> => {
    try {
      await refreshWithoutRetry(request, { error: request.error });
    } finally {
      shared.flushMetrics();
    }
  };

  function retrying<TEvent, TResult>(handler: Handler<TEvent, TResult>): Handler<TEvent, TResult> {
    if (typeof handler !== 'function') throw new TypeError('retrying(handler): handler must be a function');
    return async function sharedTokenRetryingHandler(event, context, handlerOptions) {
      const invocation = invocationOf(context);
      if (!invocation) {
        throw new TypeError(
          'The sharedToken middleware did not run before this handler: attach it with withSharedToken(handler, options)',
        );
      }
      invocation.retrying = true;
      const { token, deadline } = invocation;
      return shared.runWith(
        token,
        (current) => {
          (context as unknown as Record<string, unknown>)[contextKey] = current;
          return handler(event, context, handlerOptions);
        },
        deadline === undefined ? {} : { deadline },
      );
    };
  }

  return {
    before: sharedTokenMiddlewareBefore,
    after: sharedTokenMiddlewareAfter,
    onError: sharedTokenMiddlewareOnError,
    retrying,
    sharedToken: shared,
  };
}

function invocationOf(context: unknown): Invocation | undefined {
  return (context as Record<symbol, Invocation | undefined> | undefined)?.[INVOCATION];
}

/** Epoch ms when this invocation ends, when the context can tell (a real Lambda context can). */
function deadlineOf(context: Partial<Context> | undefined, clock: Clock): number | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  return typeof remaining === 'number' && Number.isFinite(remaining) ? clock.now() + remaining : undefined;
}
