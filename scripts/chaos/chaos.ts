/**
 * `make chaos`: every scenario of the chaos matrix (scenarios.ts) against the local stack, many
 * containers each, one after another on one DynamoDB Local. Prints the table; exits 1 when any
 * scenario fails, 2 on bad flags.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startDynamo } from '../local-stack/dynamodb-local.js';
import { UsageError } from '../simulator/cli-flags.js';
import { DEFAULT_INVOCATION_TIMEOUT_MS, runSimulation } from '../simulator/simulation.js';
import { type ChaosScenario, SCENARIOS } from './scenarios.js';
import { type ChaosRow, chaosSummary, chaosTable } from './table.js';
import { judge } from './verdict.js';

const USAGE = `Usage: make chaos [ARGS="flags"]

  --only NAME[,NAME...]  run only these scenarios
  --list                 print the scenarios' names and what each injects
  --readme FILE          write the table into FILE between the chaos-table markers
                         (only when every scenario ran)
  --json                 print the rows as one JSON line after the table
  --help                 this text`;

const README_START = '<!-- chaos-table:start -->';
const README_END = '<!-- chaos-table:end -->';
/** A scenario that has not ended by then is deadlocked: its containers are killed and it fails. */
const SCENARIO_TIMEOUT_MS = 90_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      list: { type: 'boolean' },
      readme: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return void console.log(USAGE);
  if (values.list) {
    for (const scenario of SCENARIOS) console.log(`${scenario.name.padEnd(28)} ${scenario.injected}`);
    return;
  }
  const scenarios = selected(values.only);
  const started = performance.now();
  const dynamo = await startDynamo({ engine: 'auto' });
  const rows: ChaosRow[] = [];
  try {
    for (const scenario of scenarios) {
      const row = await runScenario(scenario, dynamo.endpoint);
      rows.push(row);
      const mark = row.verdict.pass ? 'pass' : 'FAIL';
      console.error(`${mark} ${scenario.name} (${(row.elapsedMs / 1000).toFixed(1)} s)`);
    }
  } finally {
    await dynamo.stop();
  }
  const table = chaosTable(rows);
  const summary = `${chaosSummary(rows, performance.now() - started)} (${dynamo.engine})`;
  console.log(`${table}\n\n${summary}`);
  if (values.json) console.log(JSON.stringify(rows.map(({ report, ...row }) => ({ ...row, report }))));
  // docs/chaos.md shows whole runs only: a table of some rows would stand for the matrix.
  if (values.readme && scenarios.length === SCENARIOS.length) {
    await writeIntoReadme(values.readme, `${table}\n\n${summary}`);
  } else if (values.readme) {
    console.error(`${values.readme} left as it is: ${scenarios.length} of ${SCENARIOS.length} scenarios ran`);
  }
  if (rows.some((row) => !row.verdict.pass)) process.exitCode = 1;
}

function selected(only: string | undefined): ChaosScenario[] {
  if (only === undefined) return SCENARIOS;
  const names = only.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    throw new UsageError(`unknown scenario(s): ${unknown.join(', ')} (see --list)`);
  }
  return SCENARIOS.filter((scenario) => names.includes(scenario.name));
}

async function runScenario(scenario: ChaosScenario, endpoint: string): Promise<ChaosRow> {
  const started = performance.now();
  const invocationTimeoutMs = scenario.options.invocationTimeoutMs ?? DEFAULT_INVOCATION_TIMEOUT_MS;
  const base = { name: scenario.name, injected: scenario.injected, expectedFailed: scenario.expect.failed };
  try {
    const report = await runSimulation({
      ...scenario.options,
      endpoint,
      table: `chaos-${scenario.name}`,
      invocationTimeoutMs,
      timeoutMs: SCENARIO_TIMEOUT_MS,
    });
    // The longest deadline of a mixed fleet bounds everybody; each one's own is judged by maxPastDeadlineMs.
    const longest = Math.max(invocationTimeoutMs, ...(scenario.options.invocationTimeoutsMs ?? []));
    const verdict = judge(report, { ...scenario.expect, invocationTimeoutMs: longest });
    return { ...base, report, verdict, elapsedMs: performance.now() - started };
  } catch (error) {
    // A run that could not finish (containers killed at the timeout, a crash) is a failed row, not a crash of the matrix.
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
    return {
      ...base,
      report: undefined,
      verdict: { pass: false, reasons: [reason] },
      elapsedMs: performance.now() - started,
    };
  }
}

async function writeIntoReadme(path: string, text: string): Promise<void> {
  const readme = await readFile(path, 'utf8');
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) {
    throw new Error(`${path} has no ${README_START} ... ${README_END} section for the chaos table`);
  }
  await writeFile(path, `${readme.slice(0, start + README_START.length)}\n${text}\n${readme.slice(end)}`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
