/**
 * In the layer, Middy is bundled with the middleware: a test's own `clearCache` from `@middy/util`
 * reaches another copy. `clearSharedTokenCaches` from `lambda-shared-token/testing` must clear the
 * bundled one: run in a container of the layer zip (scripts/layer/lambda-sandbox.ts), what it
 * clears is what the middleware reads.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildLayer } from '../../scripts/layer/build-layer.js';
import {
  createLambdaSandbox,
  type LambdaContainer,
  type LambdaSandbox,
  startLambdaContainer,
} from '../../scripts/layer/lambda-sandbox.js';

let sandbox: LambdaSandbox;
let container: LambdaContainer;

beforeAll(async () => {
  const layer = await buildLayer({ outFile: null });
  sandbox = createLambdaSandbox({ layerZip: layer.bytes, runtimePackages: layer.externalPackages });
  sandbox.addTaskFile(join(import.meta.dirname, 'layer-testing-handler.mjs'), 'index.mjs');
  // No AWS endpoint, region or credentials: the testing fakes need none.
  container = await startLambdaContainer(sandbox, {
    environment: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
}, 120_000);

afterAll(async () => {
  await container?.stop();
  sandbox?.remove();
});

describe('lambda-shared-token/testing from the layer', () => {
  it('clears the Middy cache bundled with the middleware: the next handler fetches its own secret', async () => {
    const result = await container.invoke({});

    expect(result).toEqual({ ok: true, value: { fetchesWithoutClearing: 0, fetchesAfterClearing: 1 } });
  });
});
