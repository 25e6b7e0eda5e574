import { ConfigurationError } from '../errors/error-classes.js';
import type { OptionRule } from '../options/option-rules.js';

/** Environment variables the layer reads. */
export const ENV_TABLE_NAME = 'DYNAMODB_TABLE_ACCESS_TOKENS';

export interface SharedTokenEnvironment {
  /** The DynamoDB table holding one item per tokenType. */
  tableName: string;
}

// DynamoDB's own rule for table names; checked here so a typo fails at cold start, not at the first read.
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

/**
 * Reads and validates the environment once. Fails with a message that names the
 * variable and the rule it breaks, without echoing the value.
 */
export function readEnvironment(
  env: Record<string, string | undefined> = process.env,
): SharedTokenEnvironment {
  const tableName = env[ENV_TABLE_NAME];
  if (tableName === undefined) {
    throw new ConfigurationError(
      `${ENV_TABLE_NAME} is not set: set it to the name of the access-token table ({prefix}-{env}-access-tokens)`,
    );
  }
  if (tableName.trim() === '') {
    throw new ConfigurationError(`${ENV_TABLE_NAME} is empty: set it to the name of the access-token table`);
  }
  if (!TABLE_NAME.test(tableName)) {
    throw new ConfigurationError(
      `${ENV_TABLE_NAME} is not a valid DynamoDB table name (3 to 255 characters of a-z, A-Z, 0-9, _ . -)`,
    );
  }
  return { tableName };
}

/** The `tableName` option: DynamoDB's rule, checked at construction like the variable. */
export const aTableName: OptionRule = {
  problem: (value) =>
    typeof value === 'string' && TABLE_NAME.test(value)
      ? undefined
      : 'must be a DynamoDB table name (3 to 255 characters of a-z, A-Z, 0-9, _ . -)',
};
