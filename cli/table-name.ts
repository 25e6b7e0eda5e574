/**
 * The token table a command reads: `--table`, else the layer's own variable
 * (`DYNAMODB_TABLE_ACCESS_TOKENS`, read by the layer's `readEnvironment`), checked against
 * DynamoDB's naming rule. Neither is a usage error naming both.
 */
import { isSharedTokenError } from '../layer/errors/error-classes.js';
import { aTableName, ENV_TABLE_NAME, readEnvironment } from '../layer/store/table-environment.js';
import { UsageError } from './args.js';

/** The table's name, or `undefined` when neither is given and `required` is false. */
export function resolveTableName(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  command: string,
  required: boolean,
): string | undefined {
  if (option !== undefined) {
    const problem = aTableName.problem(option);
    if (problem !== undefined) throw new UsageError(`${command}: --table ${problem}`);
    return option;
  }
  if (env[ENV_TABLE_NAME] === undefined) {
    if (!required) return undefined;
    throw new UsageError(
      `${command}: no table: pass --table NAME or set ${ENV_TABLE_NAME} (the variable the functions read)`,
    );
  }
  try {
    return readEnvironment(env).tableName;
  } catch (error) {
    // The layer's messages name the variable and the rule, never the value.
    if (isSharedTokenError(error, 'ConfigurationError'))
      throw new UsageError(`${command}: ${(error as Error).message}`);
    throw error;
  }
}
