/**
 * The warm-path contenders, measured in one child process so that Powertools' EMF lines go
 * to a pipe (as in Lambda, where stdout is the runtime's pipe) and not into the bench's
 * own output. Every contender serves from a warm cache; the parent counts network calls.
 * Two levels: a whole Middy invocation (bare, with @middy/secrets-manager, with our middleware),
 * and one call for a cached credential (Parameters' getSecret, our core getToken).
 */
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import middy from '@middy/core';
import secretsManager from '@middy/secrets-manager';
import type { Context } from 'aws-lambda';
import { type AccessToken, SharedToken, salesforce, withSharedToken } from '../../middleware/index.js';

export interface WarmPathConfig {
  secretName: string;
  instanceUrl: string;
  /** Invocations per block; blocks of the contenders are interleaved. */
  blockSize: number;
  blocks: number;
}

export interface WarmPathResult {
  /** Contender -> ns per invocation, one figure per block. */
  nsPerInvocation: Record<string, number[]>;
}

type Invocation = () => Promise<unknown>;

const context = {
  getRemainingTimeInMillis: () => 10_000,
  functionName: 'warm-path',
  awsRequestId: 'warm',
} as unknown as Context;

async function contenders(config: WarmPathConfig): Promise<Record<string, Invocation>> {
  const bare = middy(async () => 'ok');
  const middySecret = middy(
    async (_event: unknown, ctx: Context) =>
      typeof (ctx as Context & { providerSecret?: unknown }).providerSecret,
  ).use(
    secretsManager({
      fetchData: { providerSecret: config.secretName },
      cacheKey: 'warm-path-bench',
      cacheExpiry: 300_000,
      setToContext: true,
    }),
  );
  const parameters = async () => (await getSecret(config.secretName, { maxAge: 300 }))?.length;
  const sharedToken = withSharedToken(
    async (_event: unknown, ctx: Context) =>
      (ctx as Context & { sharedToken: AccessToken }).sharedToken.version,
    {
      tokenType: 'warm-path',
      secretName: config.secretName,
      provider: salesforce({ instanceUrl: config.instanceUrl }),
    },
  );
  const core = new SharedToken({
    tokenType: 'warm-path-core',
    secretName: config.secretName,
    provider: salesforce({ instanceUrl: config.instanceUrl }),
  });
  return {
    'bare Middy handler': () => bare({}, context),
    // setToContext types the context as already holding the secret; Middy puts it there.
    'Middy + @middy/secrets-manager (cached)': () => middySecret({}, context as never),
    'lambda-shared-token middleware (warm)': () => sharedToken({}, context),
    'Powertools Parameters getSecret (cached)': parameters,
    'lambda-shared-token getToken() (warm)': () => core.getToken(),
  };
}

async function measure(config: WarmPathConfig): Promise<WarmPathResult> {
  const runs = await contenders(config);
  // Cold invocation of each: fetch the secret, get the token; then everything is warm.
  for (const invoke of Object.values(runs)) await invoke();
  for (const invoke of Object.values(runs)) for (let i = 0; i < 200; i++) await invoke();
  process.send?.({ type: 'warm' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const nsPerInvocation: Record<string, number[]> = Object.fromEntries(
    Object.keys(runs).map((name) => [name, []]),
  );
  for (let block = 0; block < config.blocks; block++) {
    for (const [name, invoke] of Object.entries(runs)) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < config.blockSize; i++) await invoke();
      nsPerInvocation[name]!.push(Number(process.hrtime.bigint() - started) / config.blockSize);
    }
  }
  return { nsPerInvocation };
}

process.once('message', (config: WarmPathConfig) => {
  measure(config).then(
    (result) => process.send?.({ type: 'result', result }, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
