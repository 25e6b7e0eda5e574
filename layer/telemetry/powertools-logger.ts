/**
 * The Powertools default for {@link TokenLogger}: JSON lines through a Powertools `Logger`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { ConfigurationError } from '../errors/error-classes.js';
import { aText, type OptionRules, validateOptions } from '../options/option-rules.js';
import { libraryOwned } from './lambda-context.js';
import type { TokenLogger } from './telemetry.js';

/** The service name when neither an option nor `POWERTOOLS_SERVICE_NAME` gives one. */
export const DEFAULT_SERVICE_NAME = 'lambda-shared-token';

/** A CloudWatch namespace or Powertools service name. */
export const aServiceName = {
  problem: (value: unknown) =>
    typeof value === 'string' && value.trim() !== '' && value.length <= 255
      ? undefined
      : 'must be a non-empty string of at most 255 characters',
};

/** Options of {@link createPowertoolsLogger}. */
export interface PowertoolsLoggerOptions {
  /**
   * Your own Powertools `Logger` (typed by the methods used: `debug`, `info`, `warn`, `error`),
   * used as it is: its service, level and keys; the library never adds the Lambda context to it.
   * Not allowed together with `serviceName` or `logLevel`.
   * @default a new Logger configured by the two options below
   */
  logger?: TokenLogger;
  /** The `service` key of every line. @default process.env.POWERTOOLS_SERVICE_NAME, else 'lambda-shared-token' */
  serviceName?: string;
  /**
   * Lowest level printed.
   * @default Powertools' own: POWERTOOLS_LOG_LEVEL / AWS_LAMBDA_LOG_LEVEL, else INFO
   */
  logLevel?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'CRITICAL' | 'SILENT';
}

/** Every option createPowertoolsLogger accepts, with what its value must be. */
const LOGGER_OPTIONS: OptionRules = {
  logger: {
    problem: (value) =>
      typeof (value as TokenLogger).info === 'function' ? undefined : 'must be a Powertools Logger instance',
  },
  serviceName: aServiceName,
  logLevel: aText,
};

/**
 * A {@link TokenLogger} writing through a Powertools `Logger`: JSON lines, DEBUG and INFO on
 * stdout, WARN and ERROR on stderr.
 *
 * TokenLogger has the shape of Powertools' methods, so the Logger itself is returned: a user's
 * own Logger (its service, level, persistent keys) works unchanged.
 *
 * @throws ConfigurationError for an unknown or mistyped option, or `logger` together with
 * `serviceName`/`logLevel`.
 */
export function createPowertoolsLogger(options: PowertoolsLoggerOptions = {}): TokenLogger {
  validateOptions('createPowertoolsLogger', options, LOGGER_OPTIONS);
  if (options.logger !== undefined) {
    if (options.serviceName !== undefined || options.logLevel !== undefined) {
      throw new ConfigurationError(
        'createPowertoolsLogger: "serviceName" and "logLevel" configure a new Logger; an injected "logger" keeps its own',
      );
    }
    return options.logger;
  }
  const serviceName = options.serviceName ?? defaultServiceName();
  return libraryOwned(
    new Logger({ serviceName, ...(options.logLevel !== undefined && { logLevel: options.logLevel }) }),
  );
}

/** `POWERTOOLS_SERVICE_NAME` when set, else {@link DEFAULT_SERVICE_NAME}. */
export function defaultServiceName(): string {
  const fromEnv = process.env.POWERTOOLS_SERVICE_NAME;
  return fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : DEFAULT_SERVICE_NAME;
}
