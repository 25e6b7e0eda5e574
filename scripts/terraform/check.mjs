// `make terraform-check`: the Terraform module in examples/terraform, checked with no provider
// registry and no AWS account:
//   1. `terraform fmt -check -recursive examples/terraform`;
//   2. `init -backend=false`, `validate` and `test` (variable validations, mocked provider) of the
//      module, and a plan of it with sample values and the real provider;
//   3. `init` + `apply` of examples/terraform/local (the table part only) on DynamoDB Local, the
//      simulator against the table it made, then `destroy`.
// The AWS provider comes from a filesystem mirror through a CLI config written by this script.
// Terraform works on a copy of the module under .build/terraform/<pid>, with TF_DATA_DIR there
// too, so nothing (lock file, .terraform/) is ever written into examples/. Without a terraform
// binary or a mirror it prints ONE line saying it was skipped and exits 0.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLocalApply, startDynamoDbLocal } from './local-apply.mjs';
import { checkSamplePlan, writeSample } from './sample-plan.mjs';
import {
  AWS_PROVIDER,
  cliConfig,
  findMirror,
  findTerraform,
  run,
  say,
  terraformEnv,
  timed,
} from './terraform-cli.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MODULE_DIR = join(ROOT, 'examples', 'terraform');
const BUILD_DIR = join(ROOT, '.build', 'terraform');
// Before any SDK is loaded: its Node 20 notice says nothing about Terraform.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main() {
  const started = Date.now();
  const terraform = findTerraform();
  if (!terraform) {
    say('skipped (no terraform binary on PATH; set TERRAFORM=<path> to use one elsewhere)');
    return;
  }
  const mirror = findMirror();
  if (!mirror) {
    say(`skipped (terraform found, but no provider mirror holding ${AWS_PROVIDER}; set TF_PLUGIN_MIRROR)`);
    return;
  }

  // One directory per run, so two checks at once (two `make test`) do not share state.
  const workDir = join(BUILD_DIR, String(process.pid));
  rmSync(workDir, { recursive: true, force: true });
  const pluginCache = join(BUILD_DIR, 'plugin-cache');
  mkdirSync(pluginCache, { recursive: true });
  // The copy keeps the relative module sources (./modules/..., ../modules/...) working.
  cpSync(MODULE_DIR, join(workDir, 'src'), {
    recursive: true,
    filter: (source) => !/(^|\/)(\.terraform(\.lock\.hcl)?|terraform\.tfstate(\.backup)?)$/.test(source),
  });
  // tests/*.tftest.hcl plan with layer_zip_path = "tests/layer.zip": the plan only hashes it.
  writeFileSync(join(workDir, 'src', 'tests', 'layer.zip'), 'placeholder: terraform test only hashes it');
  const sampleDir = writeSample(workDir);
  writeFileSync(join(workDir, 'terraformrc'), cliConfig(mirror, pluginCache));
  const env = terraformEnv(join(workDir, 'terraformrc'));
  const runIn = (cwd, dataDir) => (label) => ({
    cwd,
    env: { ...env, TF_DATA_DIR: join(workDir, dataDir) },
    label,
  });
  const inModule = runIn(join(workDir, 'src'), 'data-module');
  const inLocal = runIn(join(workDir, 'src', 'local'), 'data-local');
  const inSample = runIn(sampleDir, 'data-sample');

  let dynamoStarting;
  try {
    const version = await run(terraform, ['version'], { cwd: ROOT, env, label: 'terraform version' });
    say(`${version.split('\n')[0]} at ${terraform}; provider ${AWS_PROVIDER} from ${mirror}`);
    // The JVM starts while terraform works.
    dynamoStarting = startDynamoDbLocal(ROOT, workDir);

    const fmt = await timed(() =>
      run(terraform, ['fmt', '-check', '-recursive', '-diff', '-no-color', MODULE_DIR], {
        cwd: ROOT,
        env,
        label: 'fmt -check (fix: terraform fmt -recursive examples/terraform)',
      }),
    );
    say(`fmt -check -recursive examples/terraform: ok (${fmt.seconds} s)`);

    // One after the other: concurrent inits race on the plugin cache.
    const init = await timed(async () => {
      await run(terraform, ['init', '-backend=false', '-no-color'], inModule('init (module)'));
      await run(terraform, ['init', '-no-color'], inLocal('init (local)'));
      await run(terraform, ['init', '-no-color'], inSample('init (sample)'));
    });
    say(
      `init of the module, examples/terraform/local and the sample from the mirror: ok (${init.seconds} s)`,
    );

    const results = await Promise.allSettled([
      (async () => {
        const validate = await timed(() =>
          run(terraform, ['validate', '-no-color'], inModule('validate (module)')),
        );
        say(`validate examples/terraform: ok (${validate.seconds} s)`);
        const test = await timed(() => run(terraform, ['test', '-no-color'], inModule('test (module)')));
        const passed = /Success! (\d+) passed/.exec(test.result)?.[1] ?? '?';
        say(
          `test examples/terraform (tests/*.tftest.hcl, mocked provider): ${passed} passed (${test.seconds} s)`,
        );
        await checkSamplePlan({ terraform, runIn: inSample });
      })(),
      checkLocalApply({ terraform, root: ROOT, runIn: inLocal, dynamoStarting }),
    ]);
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
    say(`passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    // Also when a step failed before the apply got to DynamoDB Local (stop is idempotent).
    const { dynamo } = (await dynamoStarting) ?? {};
    await dynamo?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`terraform-check: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
