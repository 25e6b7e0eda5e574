/**
 * The key-rotation Lambda: Secrets Manager runs it on the schedule of
 * examples/terraform/rotation.tf to give a provider secret a new `keys: [new, current]`.
 * Rules and deployment: README.md beside this file.
 *
 * Environment: DYNAMODB_TABLE_ACCESS_TOKENS (the token table) and TOKEN_TYPES (the tokenTypes
 * sealed with the rotated secrets, comma-separated: testSecret checks that their stored tokens
 * still open under the new version).
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { keyRotationHandler } from './key-rotation.js';

export { KeyRotationError, keyRotationHandler } from './key-rotation.js';

const tableName = process.env.DYNAMODB_TABLE_ACCESS_TOKENS;
if (!tableName)
  throw new Error('DYNAMODB_TABLE_ACCESS_TOKENS is not set: set it to the name of the token table');
const tokenTypes = (process.env.TOKEN_TYPES ?? '')
  .split(',')
  .map((tokenType) => tokenType.trim())
  .filter((tokenType) => tokenType !== '');
if (tokenTypes.length === 0) {
  throw new Error(
    'TOKEN_TYPES is not set: list the tokenTypes sealed with the rotated secrets, comma-separated',
  );
}

export const handler = keyRotationHandler({
  secretsManager: new SecretsManagerClient({}),
  dynamo: new DynamoDBClient({}),
  tableName,
  tokenTypes,
  logger: new Logger({ serviceName: 'shared-token-key-rotation' }),
});
