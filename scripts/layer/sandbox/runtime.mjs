/**
 * A Lambda container's runtime, reduced to what a layer test needs: at start (the init phase)
 * it imports the handler module `_HANDLER` names from LAMBDA_TASK_ROOT by file URL, as the
 * Node.js runtime does, after registering the NODE_PATH search for ES modules (unless
 * SANDBOX_ESM_NODE_PATH=off); then it runs one invocation per IPC message, one at a time, with a
 * Lambda-shaped context.
 *
 * Messages in: {id, type: 'invoke', event, remainingMs} | {id, type: 'resolve', specifier} |
 * {id, type: 'same-exports', specifiers: [a, b], names} | {id, type: 'export-types', specifier}.
 * Out: {id, ok: true, value} | {id, ok: false, error}.
 * `resolve`, `same-exports` and `export-types` run in a probe module inside the task directory, so bare
 * specifiers resolve from where the handler is, exactly as the handler's own imports do.
 */
import { randomUUID } from 'node:crypto';
import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

if (process.env.SANDBOX_ESM_NODE_PATH !== 'off') register('./node-path-hooks.mjs', import.meta.url);

const taskRoot = process.env.LAMBDA_TASK_ROOT;
const [moduleName, handlerName] = (process.env._HANDLER ?? '').split('.');
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'sandbox';

let handler;
let loadError;
const probe = await import(pathToFileURL(join(taskRoot, '.sandbox-probe.mjs')).href);

/** The init phase: a failure is kept and reported by every invocation, as Lambda reports Runtime.ImportModuleError. */
async function loadHandler() {
  try {
    const module = await import(pathToFileURL(join(taskRoot, `${moduleName}.mjs`)).href);
    handler = module[handlerName];
    if (typeof handler !== 'function') throw new Error(`${moduleName}.${handlerName} is not a function`);
  } catch (error) {
    loadError = error;
  }
}

function lambdaContext(remainingMs) {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'sandbox',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** What the Lambda service reports of a failed invocation (errorType, errorMessage), plus HTTP fields. */
function describeError(error) {
  const described = { errorType: error?.name ?? typeof error, errorMessage: String(error?.message ?? error) };
  for (const key of ['code', 'statusCode', 'errorCode']) {
    if (error?.[key] !== undefined) described[key] = error[key];
  }
  return described;
}

async function answer(message) {
  if (message.type === 'resolve') return probe.resolveFromTask(message.specifier);
  if (message.type === 'same-exports') return probe.sameExports(message.specifiers, message.names);
  if (message.type === 'export-types') return probe.exportTypes(message.specifier);
  if (message.type === 'invoke') {
    if (loadError) throw loadError;
    return handler(message.event, lambdaContext(message.remainingMs ?? 10_000));
  }
  throw new Error(`unknown message type ${message.type}`);
}

let queue = Promise.resolve();
process.on('message', (message) => {
  // One invocation at a time, as a Lambda container runs them.
  queue = queue.then(async () => {
    try {
      process.send({ id: message.id, ok: true, value: await answer(message) });
    } catch (error) {
      process.send({ id: message.id, ok: false, error: describeError(error) });
    }
  });
});
await loadHandler();
process.send({ ready: true });
