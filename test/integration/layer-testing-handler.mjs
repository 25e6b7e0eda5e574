// The task of test/integration/testing-layer.test.ts: a "handler" that runs, inside a container of
// the layer, what a user's test does between two tests, and answers what each Secrets Manager saw.
import { withSharedToken } from 'lambda-shared-token/middleware';
import {
  clearSharedTokenCaches,
  inMemorySharedTokenOptions,
  staticTokenProvider,
} from 'lambda-shared-token/testing';

const options = {
  tokenType: 'layer-testing',
  secretName: '/test/layer/oauth/testing',
  provider: staticTokenProvider(),
};
const tokenVersion = async (_event, context) => context.sharedToken.version;
const invokeWith = (fakes) => withSharedToken(tokenVersion, { ...options, ...fakes })({}, {});

export const handler = async () => {
  await invokeWith(inMemorySharedTokenOptions());
  // Not cleared: Middy's cache, in the copy bundled with the middleware, still holds the first fetch.
  const uncleared = inMemorySharedTokenOptions();
  await invokeWith(uncleared);
  clearSharedTokenCaches();
  const cleared = inMemorySharedTokenOptions();
  await invokeWith(cleared);
  return {
    fetchesWithoutClearing: uncleared.awsClientOptions.requestHandler.getSecretValueCalls,
    fetchesAfterClearing: cleared.awsClientOptions.requestHandler.getSecretValueCalls,
  };
};
