/**
 * The IAM policies of examples/terraform grant exactly the AWS calls their users make: the actions
 * are read from the module's HCL, the calls from the `new XxxCommand(` of the code, and the two
 * sets must be equal. Three policies, three sets of code: the functions' (iam.tf) against layer/
 * and middleware/ (and the Middy middleware they use), the key-rotation function's (rotation.tf)
 * against examples/key-rotation/, the operator's (operator.tf) against cli/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MODULE_DIR = join(ROOT, 'examples', 'terraform');

// ---- A reader for the HCL subset the module is written in (no heredocs) ------------------------

interface HclBody {
  attributes: Map<string, string>;
  blocks: HclBlock[];
}
interface HclBlock extends HclBody {
  type: string;
  labels: string[];
}

/** Index just past the closing quote of the string opening at `start`; `${...}` may nest strings. */
function endOfString(src: string, start: number): number {
  for (let i = start + 1; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === '"') return i + 1;
    else if (src[i] === '$' && src[i + 1] === '{') i = endOfNesting(src, i + 1) - 1;
  }
  throw new Error(`unterminated string at ${start}`);
}

/** Index just past the bracket that closes the one at `start`, strings and comments skipped. */
function endOfNesting(src: string, start: number): number {
  let depth = 0;
  for (let i = start; i < src.length; i++) {
    const c = src[i];
    if (c === '"') i = endOfString(src, i) - 1;
    else if (c === '#' || (c === '/' && src[i + 1] === '/')) i = src.indexOf('\n', i) - 1;
    else if (c === '/' && src[i + 1] === '*') i = src.indexOf('*/', i) + 1;
    else if (c === '{' || c === '[' || c === '(') depth++;
    else if ((c === '}' || c === ']' || c === ')') && --depth === 0) return i + 1;
  }
  throw new Error(`unbalanced bracket at ${start}`);
}

function parseHcl(src: string): HclBody {
  const body: HclBody = { attributes: new Map(), blocks: [] };
  let i = 0;
  while (i < src.length) {
    const rest = src.slice(i);
    const skip = /^(\s+|#[^\n]*|\/\/[^\n]*|\/\*[\s\S]*?\*\/)/.exec(rest);
    if (skip) {
      i += skip[0].length;
      continue;
    }
    const attribute = /^([A-Za-z_][\w-]*)\s*=(?!=)\s*/.exec(rest);
    if (attribute) {
      let end = i + attribute[0].length;
      while (end < src.length && src[end] !== '\n') {
        const c = src[end];
        if (c === '"') end = endOfString(src, end);
        else if (c === '{' || c === '[' || c === '(') end = endOfNesting(src, end);
        else if (c === '#' || (c === '/' && src[end + 1] === '/')) break;
        else end++;
      }
      body.attributes.set(attribute[1]!, src.slice(i + attribute[0].length, end).trim());
      i = end;
      continue;
    }
    const header = /^([A-Za-z_][\w-]*)((?:\s*"[^"]*")*)\s*\{/.exec(rest);
    if (!header) throw new Error(`unexpected HCL at: ${rest.slice(0, 40)}`);
    const open = i + header[0].length - 1;
    const close = endOfNesting(src, open);
    const labels = [...header[2]!.matchAll(/"([^"]*)"/g)].map((match) => match[1]!);
    body.blocks.push({ type: header[1]!, labels, ...parseHcl(src.slice(open + 1, close - 1)) });
    i = close;
  }
  return body;
}

/** A list of string literals, e.g. `["a", "b"]`; undefined for any other expression. */
function stringList(expression: string | undefined): string[] | undefined {
  if (expression === undefined || !/^\[\s*("(?:[^"\\$]|\\.)*"\s*,?\s*)*\]$/.test(expression))
    return undefined;
  return [...expression.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map(
    (match) => JSON.parse(`"${match[1]}"`) as string,
  );
}

function tfFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return entry.name.startsWith('.') ? [] : tfFiles(join(dir, entry.name));
    return entry.name.endsWith('.tf') ? [join(dir, entry.name)] : [];
  });
}

/** Every top-level block of the module's .tf files (local/ included), with the file it is in. */
function moduleBlocks(override: { file: string; text: string } | undefined = undefined) {
  return tfFiles(MODULE_DIR).flatMap((file) => {
    const text = override && file.endsWith(override.file) ? override.text : readFileSync(file, 'utf8');
    return parseHcl(text).blocks.map((block) => ({ file: relative(MODULE_DIR, file), ...block }));
  });
}

interface Statement {
  sid: string | undefined;
  effect: string | undefined;
  actions: string[];
  resources: string;
  conditions: Array<{ test: string; variable: string; values: string }>;
  /** `for_each` of a `dynamic "statement"`: the statement exists only when it is non-empty. */
  forEach: string | undefined;
}

/** The statements of the aws_iam_policy_document named `name`, dynamic ones included. */
function policyStatements(blocks: ReturnType<typeof moduleBlocks>, name: string): Statement[] {
  const documents = blocks.filter(
    (b) => b.type === 'data' && b.labels[0] === 'aws_iam_policy_document' && b.labels[1] === name,
  );
  if (documents.length !== 1) throw new Error(`${documents.length} policy documents named ${name}`);
  return documents.flatMap((document) =>
    document.blocks.map((block) => {
      const dynamic = block.type === 'dynamic' && block.labels[0] === 'statement';
      if (!dynamic && block.type !== 'statement') throw new Error(`unexpected block ${block.type} in policy`);
      const body = dynamic ? block.blocks.find((b) => b.type === 'content') : block;
      if (!body) throw new Error('dynamic statement without content');
      const forbidden = ['not_actions', 'not_resources', 'principals', 'not_principals'].filter((name) =>
        body.attributes.has(name),
      );
      if (forbidden.length > 0) throw new Error(`statement uses ${forbidden.join(', ')}`);
      const actions = stringList(body.attributes.get('actions'));
      if (!actions) throw new Error(`statement ${body.attributes.get('sid')} has no literal actions list`);
      return {
        sid: stringList(`[${body.attributes.get('sid')}]`)?.[0],
        effect: stringList(`[${body.attributes.get('effect') ?? '"Allow"'}]`)?.[0],
        actions,
        resources: body.attributes.get('resources') ?? '',
        conditions: body.blocks
          .filter((b) => b.type === 'condition')
          .map((b) => ({
            test: b.attributes.get('test') ?? '',
            variable: b.attributes.get('variable') ?? '',
            values: b.attributes.get('values') ?? '',
          })),
        forEach: dynamic ? block.attributes.get('for_each') : undefined,
      };
    }),
  );
}

// ---- The AWS calls the code makes ----------------------------------------------------------------

/** IAM service prefix of each SDK client package the code may use. */
const IAM_PREFIX: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-kms': 'kms',
};
/** Commands a Middy middleware sends only when an option is set: the option, which we never set. */
const ONLY_WITH_OPTION: Record<string, string> = { DescribeSecretCommand: 'fetchRotationDate' };

/** The code's .ts, .js and .mjs files under `dir`; type declarations and tests send nothing. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return sourceFiles(join(dir, entry.name));
    return /\.(ts|js|mjs)$/.test(entry.name) && !/\.(d|test)\.ts$/.test(entry.name)
      ? [join(dir, entry.name)]
      : [];
  });
}

/**
 * `service:Action` for each SDK command a source constructs (`new GetItemCommand(`, an alias of one,
 * or `new sdk.GetItemCommand(`); throws for a command whose client package it cannot tell.
 */
function commandsSent(file: string, source: string): string[] {
  const bindings = new Map<string, { pkg: string; imported: string }>();
  // `[^{}]`: a destructuring inside a function must not start at the function's own `{`.
  const named =
    /(?:import\s*\{([^{}]*)\}\s*from|\{([^{}]*)\}\s*=\s*await\s+import\()\s*['"](@aws-sdk\/[\w-]+)['"]/g;
  for (const match of source.matchAll(named)) {
    for (const specifier of (match[1] ?? match[2] ?? '').split(',')) {
      const name = /^\s*(?!type\s)(\w+)(?:\s+as\s+(\w+)|\s*:\s*(\w+))?\s*$/.exec(specifier);
      if (name) bindings.set(name[2] ?? name[3] ?? name[1]!, { pkg: match[3]!, imported: name[1]! });
    }
  }
  const namespaces = new Map<string, string>();
  const star =
    /(?:import\s+\*\s+as\s+(\w+)\s+from\s*|(\w+)\s*=\s*await\s+import\()\s*['"](@aws-sdk\/[\w-]+)['"]/g;
  for (const match of source.matchAll(star)) namespaces.set(match[1] ?? match[2]!, match[3]!);
  for (const { imported } of bindings.values()) {
    if (['DynamoDB', 'SecretsManager', 'KMS'].includes(imported))
      throw new Error(`${file} uses the aggregated ${imported} client: send XxxCommand`);
  }
  return [...source.matchAll(/new\s+(?:(\w+)\.)?(\w+)\s*\(/g)].flatMap((match) => {
    const [, namespace, name] = match as unknown as [string, string | undefined, string];
    const binding = namespace === undefined ? bindings.get(name) : undefined;
    const pkg = namespace === undefined ? binding?.pkg : namespaces.get(namespace);
    const command = binding?.imported ?? name;
    if (!command.endsWith('Command')) return [];
    const prefix = pkg === undefined ? undefined : IAM_PREFIX[pkg];
    if (!prefix)
      throw new Error(`${file}: cannot tell the IAM action of ${command} (package ${pkg ?? 'unknown'})`);
    return [`${prefix}:${command.replace(/Command$/, '')}`];
  });
}

function codeActions(): { actions: Set<string>; optionsSet: string[] } {
  const files = [...sourceFiles(join(ROOT, 'layer')), ...sourceFiles(join(ROOT, 'middleware'))];
  const sources = files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  const actions = new Set(sources.flatMap(({ file, text }) => commandsSent(relative(ROOT, file), text)));
  const middy = new Set(
    sources.flatMap(({ text }) => [...text.matchAll(/from\s+'(@middy\/[\w-]+)'/g)].map((m) => m[1]!)),
  );
  for (const pkg of middy) {
    const file = join(ROOT, 'node_modules', pkg, 'index.js');
    const text = readFileSync(file, 'utf8');
    for (const action of commandsSent(relative(ROOT, file), text)) {
      const option = ONLY_WITH_OPTION[`${action.split(':')[1]}Command`];
      if (option === undefined || !text.includes(option)) actions.add(action);
    }
  }
  const optionsSet = Object.values(ONLY_WITH_OPTION).filter((option) =>
    sources.some(({ text }) => text.includes(option)),
  );
  return { actions, optionsSet };
}

// ---- The tests ------------------------------------------------------------------------------------

const GATED_BY_KMS_KEY = /^var\.kms_key_arn\s*==\s*null\s*\?\s*\[\]\s*:/;

function grantedWithoutKmsKey(statements: Statement[]): Set<string> {
  return new Set(statements.filter((s) => s.forEach === undefined).flatMap((s) => s.actions));
}

function differences(granted: Set<string>, sent: Set<string>) {
  return {
    grantedNotSent: [...granted].filter((action) => !sent.has(action)).sort(),
    sentNotGranted: [...sent].filter((action) => !granted.has(action)).sort(),
  };
}

/**
 * The actions sent by the code under `folder` (relative to the repository), or undefined while the
 * folder does not exist: the key-rotation example and the CLI are written beside this module.
 */
function folderActions(folder: string): Set<string> | undefined {
  const dir = join(ROOT, folder);
  if (!existsSync(dir)) return undefined;
  return new Set(
    sourceFiles(dir).flatMap((file) => commandsSent(relative(ROOT, file), readFileSync(file, 'utf8'))),
  );
}

const code = codeActions();
const blocks = moduleBlocks();
const statements = policyStatements(blocks, 'shared_token_access');
const kmsSent = new Set([...code.actions].filter((action) => action.startsWith('kms:')));
const nonKmsSent = new Set([...code.actions].filter((action) => !action.startsWith('kms:')));

describe('the IAM policy of examples/terraform', () => {
  it('finds the commands the code sends: item reads and conditional updates, and the secret', () => {
    // A floor, so that a reader that finds nothing cannot make the comparison below pass.
    expect([...nonKmsSent].sort()).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'secretsmanager:GetSecretValue']),
    );
    expect(code.optionsSet).toEqual([]);
  });

  it('attributes commands of a dynamically imported client, and refuses one it cannot attribute', () => {
    const kmsCipher = [
      "const { GenerateDataKeyCommand, DecryptCommand: Decrypt } = await import('@aws-sdk/client-kms');",
      'await kms.send(new GenerateDataKeyCommand({ KeyId }));',
      'await kms.send(new Decrypt({ CiphertextBlob }));',
    ].join('\n');
    expect(commandsSent('kms-cipher.ts', kmsCipher)).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
    const inFunction = [
      'export async function check(client) {',
      "  const { DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');",
      '  return client.send(new DescribeTableCommand({}));',
      '}',
    ].join('\n');
    expect(commandsSent('check.ts', inFunction)).toEqual(['dynamodb:DescribeTable']);
    const documentClient = "import { GetCommand } from '@aws-sdk/lib-dynamodb';\nnew GetCommand({});";
    expect(() => commandsSent('store.ts', documentClient)).toThrow(
      /cannot tell the IAM action of GetCommand/,
    );
  });

  it('grants, without a KMS key, exactly the actions the code sends', () => {
    expect(differences(grantedWithoutKmsKey(statements), nonKmsSent)).toEqual({
      grantedNotSent: [],
      sentNotGranted: [],
    });
  });

  it('reports an action granted beyond the code, and one the code sends but the policy misses', () => {
    const iam = readFileSync(join(MODULE_DIR, 'iam.tf'), 'utf8');
    const widened = iam.replace('"dynamodb:GetItem", ', '"dynamodb:GetItem", "dynamodb:Query", ');
    const narrowed = iam.replace('"dynamodb:GetItem", ', '');
    expect(widened).not.toBe(iam);
    expect(narrowed).not.toBe(iam);

    const wide = policyStatements(moduleBlocks({ file: 'iam.tf', text: widened }), 'shared_token_access');
    const narrow = policyStatements(moduleBlocks({ file: 'iam.tf', text: narrowed }), 'shared_token_access');
    expect(differences(grantedWithoutKmsKey(wide), nonKmsSent).grantedNotSent).toEqual(['dynamodb:Query']);
    expect(differences(grantedWithoutKmsKey(narrow), nonKmsSent).sentNotGranted).toEqual([
      'dynamodb:GetItem',
    ]);
  });

  it('is one of three grants (the functions, the key rotation, the operator), each its own policy', () => {
    const documents = blocks.filter((b) => b.type === 'data' && b.labels[0] === 'aws_iam_policy_document');
    const grants = blocks.filter((b) => b.type === 'resource' && /^aws_iam_/.test(b.labels[0] ?? ''));
    expect(documents.map((b) => `${b.file}: ${b.labels[1]}`).sort()).toEqual([
      'iam.tf: shared_token_access',
      'operator.tf: operator',
      'rotation.tf: key_rotation',
    ]);
    expect(Object.fromEntries(grants.map((b) => [b.labels.join('.'), b.attributes.get('policy')]))).toEqual({
      'aws_iam_policy.shared_token_access': 'data.aws_iam_policy_document.shared_token_access.json',
      'aws_iam_policy.key_rotation': 'data.aws_iam_policy_document.key_rotation[0].json',
      'aws_iam_policy.operator': 'data.aws_iam_policy_document.operator.json',
    });
    const all = ['shared_token_access', 'key_rotation', 'operator'].flatMap((name) =>
      policyStatements(blocks, name),
    );
    expect(all.every((s) => s.effect === 'Allow')).toBe(true);
  });

  it('grants the item actions on the table ARN only, for the listed tokenTypes', () => {
    const items = statements.filter((s) => s.actions.some((action) => action.startsWith('dynamodb:')));
    expect(items).toHaveLength(1);
    expect(items[0]?.actions.every((action) => action.startsWith('dynamodb:'))).toBe(true);
    expect(items[0]?.resources).toBe('[module.table.arn]');
    expect(items[0]?.conditions).toEqual([
      { test: '"ForAllValues:StringEquals"', variable: '"dynamodb:LeadingKeys"', values: 'var.token_types' },
    ]);
    // module.table.arn is the table itself: no index, no stream, no wildcard.
    const table = blocks.find((b) => b.file === 'table.tf' && b.type === 'module' && b.labels[0] === 'table');
    expect(table?.attributes.get('source')).toBe('"./modules/access-token-table"');
    const arn = blocks.find(
      (b) => b.type === 'output' && b.labels[0] === 'arn' && /access-token-table/.test(b.file),
    );
    expect(arn?.attributes.get('value')).toBe('aws_dynamodb_table.access_tokens.arn');
  });

  it('grants GetSecretValue on the named secret ARNs only, which may not hold a wildcard', () => {
    const secrets = statements.filter((s) =>
      s.actions.some((action) => action.startsWith('secretsmanager:')),
    );
    expect(secrets.map((s) => [s.actions, s.resources, s.conditions])).toEqual([
      [['secretsmanager:GetSecretValue'], 'var.secret_arns', []],
    ]);
    const variable = blocks.find((b) => b.type === 'variable' && b.labels[0] === 'secret_arns');
    expect(variable?.attributes.has('default')).toBe(false);
    const conditions = variable?.blocks.map((b) => b.attributes.get('condition') ?? '') ?? [];
    expect(conditions.some((condition) => condition.includes(':secret:[^*]+$'))).toBe(true);
  });

  it('grants KMS actions only when kms_key_arn is set, on that key, for the listed tokenTypes', () => {
    const kms = statements.filter((s) => s.actions.some((action) => action.startsWith('kms:')));
    expect(kms).toHaveLength(1);
    expect(kms[0]?.forEach).toMatch(GATED_BY_KMS_KEY);
    expect(kms[0]?.actions.every((action) => action.startsWith('kms:'))).toBe(true);
    expect(kms[0]?.resources).toBe('[statement.value]');
    expect(kms[0]?.conditions).toEqual([
      { test: '"StringEquals"', variable: '"kms:EncryptionContext:tokenType"', values: 'var.token_types' },
    ]);
  });

  // Without a KMS command sent by the code (KmsCipher's), there is nothing to compare the KMS
  // statement with, and this test stays skipped (visibly) rather than passing.
  (kmsSent.size > 0 ? it : it.skip)('grants, with a KMS key, exactly the KMS commands the code sends', () => {
    const kms = new Set(statements.filter((s) => s.forEach !== undefined).flatMap((s) => s.actions));
    expect(differences(kms, kmsSent)).toEqual({ grantedNotSent: [], sentNotGranted: [] });
  });
});

// ---- The key-rotation function's policy (rotation.tf) --------------------------------------------

const rotationStatements = policyStatements(blocks, 'key_rotation');
const rotationSent = folderActions('examples/key-rotation');

describe('the key-rotation policy of examples/terraform', () => {
  // Until examples/key-rotation exists there is nothing to compare with: skipped, visibly.
  (rotationSent ? it : it.skip)('grants exactly the commands examples/key-rotation sends', () => {
    const sent = rotationSent ?? new Set<string>();
    // A floor, so that a reader that finds nothing cannot make the comparison pass.
    expect([...sent]).toEqual(
      expect.arrayContaining(['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']),
    );
    const granted = new Set(rotationStatements.flatMap((s) => s.actions));
    expect(differences(granted, sent)).toEqual({ grantedNotSent: [], sentNotGranted: [] });
  });

  it('exists only with rotation_function_arn, with no statement that depends on another option', () => {
    const rotation = blocks.filter(
      (b) => b.file === 'rotation.tf' && /key_rotation$/.test(b.labels[1] ?? ''),
    );
    expect(rotation.map((b) => [b.labels.join('.'), b.attributes.get('count')])).toEqual([
      ['aws_lambda_permission.key_rotation', 'length(local.rotated_secret_arns)'],
      ['aws_iam_policy_document.key_rotation', 'local.rotation_enabled ? 1 : 0'],
      ['aws_iam_policy.key_rotation', 'local.rotation_enabled ? 1 : 0'],
    ]);
    expect(rotationStatements.every((s) => s.forEach === undefined)).toBe(true);
  });

  it('grants the secret actions on the rotated secrets only, and the item read under LeadingKeys', () => {
    const bySid = Object.fromEntries(rotationStatements.map((s) => [s.sid, [s.resources, s.conditions]]));
    expect(bySid).toEqual({
      RotatedSecrets: ['local.rotated_secret_arns', []],
      StoredTokens: [
        '[module.table.arn]',
        [
          {
            test: '"ForAllValues:StringEquals"',
            variable: '"dynamodb:LeadingKeys"',
            values: 'var.token_types',
          },
        ],
      ],
    });
    expect(rotationStatements.find((s) => s.sid === 'RotatedSecrets')?.actions).toEqual(
      expect.arrayContaining(['secretsmanager:GetSecretValue']),
    );
    expect(rotationStatements.find((s) => s.sid === 'StoredTokens')?.actions).toEqual(['dynamodb:GetItem']);
    // The same secrets are rotated and granted.
    const schedule = blocks.find((b) => b.labels.join('.') === 'aws_secretsmanager_secret_rotation.key');
    expect(schedule?.attributes.get('secret_id')).toBe('local.rotated_secret_arns[count.index]');
  });
});

// ---- The operator's policy (operator.tf) ---------------------------------------------------------

const operatorStatements = policyStatements(blocks, 'operator');
const operatorSent = folderActions('cli');

describe('the operator policy of examples/terraform', () => {
  // Until cli/ exists there is nothing to compare with: skipped, visibly.
  (operatorSent ? it : it.skip)('grants, with a KMS key, exactly the commands cli/ sends', () => {
    const sent = operatorSent ?? new Set<string>();
    expect([...sent]).toEqual(expect.arrayContaining(['dynamodb:Scan', 'secretsmanager:GetSecretValue']));
    const granted = new Set(operatorStatements.flatMap((s) => s.actions));
    expect(differences(granted, sent)).toEqual({ grantedNotSent: [], sentNotGranted: [] });
  });

  it('reads the table and the secrets, and writes nothing', () => {
    const actions = operatorStatements.flatMap((s) => s.actions);
    expect(
      actions.filter((action) => !/^[a-z]+:(Describe|Get|Scan|Decrypt|GenerateDataKey$)/.test(action)),
    ).toEqual([]);
    const bySid = Object.fromEntries(operatorStatements.map((s) => [s.sid, s.resources]));
    expect(bySid).toEqual({
      TokenTable: '[module.table.arn]',
      ProviderSecrets: 'var.secret_arns',
      TokenEnvelopeKey: '[statement.value]',
    });
  });

  it('uses the KMS key only when kms_key_arn is set, under the same condition as the functions', () => {
    const kms = operatorStatements.filter((s) => s.actions.some((action) => action.startsWith('kms:')));
    const functionsKms = statements.filter((s) => s.actions.some((action) => action.startsWith('kms:')));
    expect(kms).toHaveLength(1);
    expect(kms[0]?.forEach).toMatch(GATED_BY_KMS_KEY);
    expect(kms[0]?.actions.every((action) => action.startsWith('kms:'))).toBe(true);
    expect(kms[0]?.conditions).toEqual(functionsKms[0]?.conditions);
    expect(operatorStatements.filter((s) => s.forEach !== undefined)).toEqual(kms);
  });
});
