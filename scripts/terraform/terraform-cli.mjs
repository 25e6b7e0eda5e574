// Finding terraform and a provider mirror, the CLI config and environment every terraform
// process of the check gets, and a runner that keeps each command's output for the error report.
import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export const AWS_PROVIDER = 'registry.terraform.io/hashicorp/aws';
const MIRROR_CANDIDATES = [
  '/opt/tf-plugins',
  join(homedir(), '.terraform.d', 'plugins'),
  '/usr/share/terraform/plugins',
];
const STEP_TIMEOUT_MS = 120_000;

/** A failed step; its message is what the check prints. */
export class CheckFailure extends Error {}

export function say(line) {
  console.log(`terraform-check: ${line}`);
}

/** $TERRAFORM, else `terraform` on the PATH; undefined when there is none. */
export function findTerraform() {
  const explicit = process.env.TERRAFORM;
  if (explicit) return isExecutable(explicit) ? explicit : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'terraform'))) return join(dir, 'terraform');
  }
  return undefined;
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first mirror holding the AWS provider. TF_PLUGIN_MIRROR, when set, is the only candidate,
 * and a wrong one is an error rather than a silent skip.
 */
export function findMirror() {
  const explicit = process.env.TF_PLUGIN_MIRROR;
  if (explicit) {
    if (!holdsAwsProvider(explicit))
      throw new CheckFailure(`TF_PLUGIN_MIRROR=${explicit} holds no ${AWS_PROVIDER}`);
    return explicit;
  }
  return MIRROR_CANDIDATES.find(holdsAwsProvider);
}

function holdsAwsProvider(mirror) {
  try {
    // Unpacked (<version>/<os_arch>/) or packed (terraform-provider-aws_<version>_<os_arch>.zip).
    return readdirSync(join(mirror, AWS_PROVIDER)).length > 0;
  } catch {
    return false;
  }
}

/** Providers from the mirror only: the registry is never asked (none is reachable here). */
export function cliConfig(mirror, pluginCacheDir) {
  return `# Written by scripts/terraform/check.mjs.
provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirror)}
    include = ["${AWS_PROVIDER}"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
# A packed mirror is unzipped once, not on every run.
plugin_cache_dir = ${JSON.stringify(pluginCacheDir)}
`;
}

/**
 * The environment of every terraform process: our CLI config, no prompts, no version check, and
 * no AWS_* variable at all, so a real key or profile of the machine never reaches a provider here.
 */
export function terraformEnv(cliConfigFile) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return {
    ...env,
    TF_CLI_CONFIG_FILE: cliConfigFile,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    // The AWS provider builds the schema of ~1,500 resources each time it starts (three times per
    // apply): less garbage collection saves about a second per start for ~100 MB more memory.
    GOGC: process.env.GOGC ?? '400',
  };
}

/**
 * Runs a command and resolves with its output (stdout and stderr); rejects with a CheckFailure
 * holding that output when it exits non-zero or outlives its timeout.
 */
export function run(file, args, { cwd, env, label, timeoutMs = STEP_TIMEOUT_MS }) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk) => {
      output += chunk;
    };
    child.stdout.setEncoding('utf8').on('data', collect);
    child.stderr.setEncoding('utf8').on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new CheckFailure(`${label}: could not run ${file}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new CheckFailure(`${label} failed (${signal ?? `exit ${code}`}):\n${output.trimEnd()}`));
    });
  });
}

/** `work()`'s result and how long it took, in seconds with one decimal. */
export async function timed(work) {
  const start = Date.now();
  const result = await work();
  return { result, seconds: ((Date.now() - start) / 1000).toFixed(1) };
}
