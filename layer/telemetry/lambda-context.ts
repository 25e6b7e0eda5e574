/**
 * The Lambda context on the library's own log lines, as Powertools' `injectLambdaContext` puts it
 * on a user's: `function_request_id`, `cold_start`, `function_name`, `function_arn`,
 * `function_memory_size`. The Middy adapter calls {@link addLambdaContext} in
 * `before`; the core knows nothing of Middy, so the context is duck-typed.
 *
 * Only a logger the library created (the default of `createPowertoolsLogger`, hence of
 * `SharedToken`, `TenantTokens` and the middleware) is changed. A logger you pass is yours: the
 * library never adds keys to it; attach Powertools' `injectLambdaContext(logger)` yourself, as
 * for the rest of your function's lines (docs/telemetry.md).
 */
import type { TokenLogger } from './telemetry.js';

/** The loggers the library created itself; weak, so a dropped logger is forgotten. */
const libraryLoggers = new WeakSet<object>();

/** What the library needs of its own Powertools Logger here. */
interface ContextAwareLogger {
  addContext(context: unknown): void;
  refreshSampleRateCalculation?(): void;
}

/** Marks `logger` as created by the library, so {@link addLambdaContext} may change it. */
export function libraryOwned<T extends object>(logger: T): T {
  libraryLoggers.add(logger);
  return logger;
}

/**
 * Adds this invocation's Lambda context to the library's own logger, as Powertools'
 * `injectLambdaContext` does: the first call of a container on demand logs `cold_start: true`,
 * later calls `false`. Does nothing for a logger the caller injected, or for a context that is
 * not a Lambda context (no `awsRequestId`: a test's plain object), which would otherwise use up
 * the cold start.
 */
export function addLambdaContext(logger: TokenLogger, context: unknown): void {
  if (!libraryLoggers.has(logger) || !isLambdaContext(context)) return;
  const own = logger as TokenLogger & Partial<ContextAwareLogger>;
  if (typeof own.addContext !== 'function') return;
  own.addContext(context);
  // Powertools' middleware does this per invocation too: POWERTOOLS_LOGGER_SAMPLE_RATE samples invocations.
  own.refreshSampleRateCalculation?.();
}

function isLambdaContext(context: unknown): boolean {
  return (
    typeof context === 'object' &&
    context !== null &&
    typeof (context as { awsRequestId?: unknown }).awsRequestId === 'string'
  );
}
