/**
 * `make bench` / `make bench QUICK=1`: this project side by side with what users would pick
 * instead, measured in one run on the embedded local stack. Prints a Markdown table, writes
 * the same figures as JSON and the chart as SVG to scripts/bench/results/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchToMarkdown, readmeSummary, replaceReadmeSummary } from './markdown.js';
import type { BenchContext, BenchSection, BenchSectionRunner } from './section.js';
import { SECTIONS } from './sections/index.js';

const RESULTS = fileURLToPath(new URL('../../../scripts/bench/results/', import.meta.url));
/** The page the latest full run's summary is written into, between the bench markers. */
const BENCH_PAGE = fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      out: { type: 'string' },
      'readme-only': { type: 'boolean' },
    },
  });
  if (values['readme-only']) {
    // Re-renders docs/benchmarks.md's copy from the last full run's JSON, without measuring anything.
    const { meta, sections } = JSON.parse(readFileSync(`${RESULTS}/bench.json`, 'utf8'));
    writeFileSync(
      BENCH_PAGE,
      replaceReadmeSummary(readFileSync(BENCH_PAGE, 'utf8'), readmeSummary(sections, meta)),
    );
    return;
  }
  const quick = values.quick === true;
  const outDir = values.out ?? RESULTS;
  const context: BenchContext = { quick, log: (line) => process.stderr.write(`${line}\n`) };
  const started = performance.now();
  const sections: BenchSection[] = [];
  const selected = Object.entries(SECTIONS).filter(
    ([id]) => values.only === undefined || values.only.split(',').includes(id),
  );
  for (const [id, run] of selected as [string, BenchSectionRunner][]) {
    context.log(`bench: ${id}...`);
    const sectionStarted = performance.now();
    sections.push(await run(context));
    context.log(`bench: ${id} took ${((performance.now() - sectionStarted) / 1000).toFixed(1)} s`);
  }
  const meta = {
    mode: quick ? 'QUICK=1' : 'full',
    machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`,
    elapsedS: Math.round((performance.now() - started) / 1000),
    date: new Date().toISOString(),
  };
  const markdown = benchToMarkdown(sections, meta);
  mkdirSync(outDir, { recursive: true });
  const suffix = quick ? '-quick' : '';
  // The pictures go to their own files, not into the JSON.
  const figuresOnly = sections.map(({ files: _files, ...section }) => section);
  writeFileSync(
    `${outDir}/bench${suffix}.json`,
    `${JSON.stringify({ meta, sections: figuresOnly }, null, 2)}\n`,
  );
  writeFileSync(`${outDir}/bench${suffix}.md`, markdown);
  const chart = sections.find((section) => section.figures.chartSvg !== undefined)?.figures.chartSvg;
  if (typeof chart === 'string') writeFileSync(`${outDir}/provider-calls${suffix}.svg`, chart);
  for (const [name, content] of sections.flatMap((section) => Object.entries(section.files ?? {}))) {
    writeFileSync(`${outDir}/${name.replace(/\.svg$/, `${suffix}.svg`)}`, content);
  }
  // A full run of every section is what docs/benchmarks.md shows; QUICK and partial runs leave it alone.
  if (!quick && values.only === undefined && values.out === undefined) {
    const readme = readFileSync(BENCH_PAGE, 'utf8');
    writeFileSync(BENCH_PAGE, replaceReadmeSummary(readme, readmeSummary(sections, meta)));
  }
  console.log(markdown);
  const failed = sections.flatMap((section) => section.checks.filter((check) => !check.ok));
  for (const check of failed) console.error(`MUST-HOLD FAILED: ${check.name}: ${check.detail}`);
  for (const goal of sections.flatMap((section) => section.goals ?? []).filter((g) => !g.met)) {
    console.error(`goal not reached: ${goal.name}: ${goal.target}, measured ${goal.measured}`);
  }
  console.error(`bench: ${meta.elapsedS} s; results in ${outDir}`);
  if (failed.length > 0) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
