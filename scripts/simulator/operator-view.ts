/**
 * What an operator sees of a run's table: `lambda-shared-token status` and `doctor` (cli/, built
 * into .build/cli/main.js), run as child processes against the run's stack before it stops, the
 * way a person runs them against a deployment. The demo prints both after its summary.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { countFound } from '../local-stack/secret-index.js';
import { runNodeCollected } from './collected-process.js';
import { keysHeld, type SimulationStack } from './simulation-stack.js';

/** Built beside the demo: .build/scripts/simulator/demo.js and .build/cli/main.js. */
const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

export interface CommandRun {
  /** The command line as an operator types it (names only, no value of a secret). */
  command: string;
  exitCode: number | null;
  output: string;
}

export interface OperatorView {
  status: CommandRun;
  doctor: CommandRun;
  /** Secret values (keys, client secret, every token the provider issued) found in either output. */
  secretsInOutput: number;
}

/** Runs both commands on the stack; `kmsKeyId`: the key the containers sealed with, when they used KMS. */
export async function operatorView(stack: SimulationStack, kmsKeyId?: string): Promise<OperatorView> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run node scripts/build.mjs first`);
  const env = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: stack.dynamo.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: stack.secretsManager.endpoint,
    ...(stack.kms && { AWS_ENDPOINT_URL_KMS: stack.kms.endpoint }),
    DYNAMODB_TABLE_ACCESS_TOKENS: stack.tableName,
  };
  const status = await run(['status'], env);
  const doctorArgs = ['doctor', '--secret', stack.secretName, '--token-type', stack.tokenType];
  // The example handler takes the org's URL from its environment, not the secret: doctor is told it
  // the same way. Its endpoint check asks the local Salesforce for one token (dropped).
  if (stack.provider)
    doctorArgs.push('--provider', 'salesforce', '--instance-url', stack.provider.instanceUrl);
  if (kmsKeyId !== undefined) doctorArgs.push('--kms-key', kmsKeyId);
  const doctor = await run(doctorArgs, env);
  const secrets = [...keysHeld(stack), stack.secret.clientSecret!, ...(stack.provider?.issuedTokens() ?? [])];
  const secretsInOutput = countFound(`${status.output}\n${doctor.output}`, secrets);
  return { status, doctor, secretsInOutput };
}

async function run(args: string[], env: Record<string, string>): Promise<CommandRun> {
  const { exitCode, stdout, stderr } = await runNodeCollected([CLI, ...args], { env });
  return { command: `npx lambda-shared-token ${args.join(' ')}`, exitCode, output: `${stdout}${stderr}` };
}
