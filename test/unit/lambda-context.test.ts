/**
 * addLambdaContext: the Middy adapter's `before` puts the invocation's Lambda context on the
 * library's own log lines, as Powertools' `injectLambdaContext` does on a user's; a logger the
 * user passed is left as it is. Real Powertools Loggers, their JSON read from stdout.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from '@jest/globals';
import { createPowertoolsLogger } from 'lambda-shared-token';
import { addLambdaContext } from '../../layer/telemetry/lambda-context.js';
import {
  capturePrinted,
  isolateEnvironment,
  POWERTOOLS_ENVIRONMENT,
  parsed,
} from '../support/capture-output.js';

isolateEnvironment(['AWS_LAMBDA_INITIALIZATION_TYPE', ...POWERTOOLS_ENVIRONMENT]);

/** The fields of a Lambda context that Powertools reads, as the runtime hands them over. */
function lambdaContext(awsRequestId: string) {
  return {
    awsRequestId,
    functionName: 'orders-api',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-api',
    memoryLimitInMB: '256',
    getRemainingTimeInMillis: () => 3_000,
  };
}

const CONTEXT_KEYS = ['function_request_id', 'cold_start', 'function_name', 'function_arn'];

describe('addLambdaContext', () => {
  it("puts the invocation's context on the library's own logger, cold_start true only for the first", async () => {
    // Read by Powertools when the Logger is made: a container started on demand.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    const logger = createPowertoolsLogger();

    const { stdout } = await capturePrinted(() => {
      addLambdaContext(logger, lambdaContext('request-1'));
      logger.info('first invocation');
      addLambdaContext(logger, lambdaContext('request-2'));
      logger.info('second invocation');
    });

    const [first, second] = parsed(stdout);
    expect(first).toMatchObject({
      message: 'first invocation',
      function_request_id: 'request-1',
      cold_start: true,
      function_name: 'orders-api',
      function_arn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-api',
    });
    expect(first!.function_memory_size).toEqual(expect.anything());
    expect(second).toMatchObject({ function_request_id: 'request-2', cold_start: false });
  });

  it('leaves a logger the user passed as it is: theirs gets the context from their own injectLambdaContext', async () => {
    const users = new Logger({ serviceName: 'orders' });
    const logger = createPowertoolsLogger({ logger: users });

    const { stdout } = await capturePrinted(() => {
      addLambdaContext(logger, lambdaContext('request-1'));
      logger.info('a line');
    });

    const [line] = parsed(stdout);
    expect(line).toMatchObject({ message: 'a line', service: 'orders' });
    for (const key of CONTEXT_KEYS) expect(line).not.toHaveProperty(key);
  });

  it('ignores a context that is not a Lambda context, and keeps the cold start for the real one', async () => {
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    const logger = createPowertoolsLogger();

    const { stdout } = await capturePrinted(() => {
      addLambdaContext(logger, { getRemainingTimeInMillis: () => 3_000 });
      addLambdaContext(logger, undefined);
      logger.info('no context yet');
      addLambdaContext(logger, lambdaContext('request-1'));
      logger.info('the first real invocation');
    });

    const [before, after] = parsed(stdout);
    for (const key of CONTEXT_KEYS) expect(before).not.toHaveProperty(key);
    expect(after).toMatchObject({ function_request_id: 'request-1', cold_start: true });
  });

  it('does nothing to a logger the library did not make, even one with addContext', () => {
    const calls: unknown[] = [];
    const lookalike = {
      debug() {},
      info() {},
      warn() {},
      error() {},
      addContext: (context: unknown) => calls.push(context),
    };

    addLambdaContext(lookalike, lambdaContext('request-1'));

    expect(calls).toEqual([]);
  });
});
