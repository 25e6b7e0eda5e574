/**
 * Cold start: the layer's code exactly as `make layer` builds it (scripts/layer/layer-package.ts:
 * the same esbuild run, package.json and chunks), written to a folder shaped like /opt, and the
 * time a fresh Node process takes to import `lambda-shared-token/middleware` from there, as a
 * ratio to importing `@middy/core` and the two Powertools packages alone; every variant spawned
 * in turn, interleaved, so they share the machine's noise. Also checks that importing the layer
 * makes no network call and reads no environment of its own.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import {
  LAYER_ENTRY_POINTS,
  type LayerCode,
  type LayerEntryName,
  layerEsbuildOptions,
} from '../../layer/layer-code.js';
import { layerRuntimeFiles, PACKAGE_DIR, writeLayerFiles } from '../../layer/layer-package.js';
import { OWN_PACKAGE } from '../../layer/package-names.js';
import { findProjectRoot } from '../../layer/project-root.js';
import { percentile } from '../../simulator/report.js';
import { type BenchContext, type BenchSection, round } from '../section.js';
import { newVariant, type ProbeResult, probe, timeImport, type Variant } from './cold-start-imports.js';

/** What the issue compares against: Middy's core and the two Powertools packages, nothing else. */
const BASELINE_PACKAGES = ['@middy/core', '@aws-lambda-powertools/logger', '@aws-lambda-powertools/metrics'];

const LAYER = 'layer: lambda-shared-token/middleware (what make layer ships)';
const CORE = 'layer: lambda-shared-token (the core, without Middy)';
const BASELINE = 'Middy core + Powertools Logger + Metrics';
const FLOOR = 'Middy core + Powertools + the SDK clients the layer imports';
const UNBUNDLED = 'layer unbundled (its dependencies from node_modules)';

export async function runColdStart(context: BenchContext): Promise<BenchSection> {
  const rounds = context.quick ? 5 : 15;
  const root = findProjectRoot();
  const work = mkdtempSync(join(tmpdir(), 'bench-cold-start-'));
  try {
    // The layer's files as Lambda extracts them into /opt. The Lambda runtime resolves a
    // handler's `import 'lambda-shared-token/middleware'` through NODE_PATH as if from a file in
    // /opt/nodejs; a child started in <work>/opt/nodejs resolves it the same way, through the
    // package's own `exports`. Only @aws-sdk is reachable beyond it (in <work>/node_modules,
    // standing for the runtime's): anything the layer forgot to bundle would fail to import.
    const { files, code } = await layerRuntimeFiles(root);
    const optNodejs = join(work, 'opt', 'nodejs');
    writeLayerFiles(files, join(work, 'opt'));
    linkInto(join(work, 'node_modules', '@aws-sdk'), join(root, 'node_modules', '@aws-sdk'));
    // The baselines import from a directory that sees the whole node_modules.
    const deps = join(work, 'deps');
    linkInto(join(deps, 'node_modules'), join(root, 'node_modules'));
    const floorPackages = [...BASELINE_PACKAGES, ...code.externalPackages];
    writeFileSync(join(deps, 'baseline.mjs'), importsOf(BASELINE_PACKAGES));
    writeFileSync(join(deps, 'floor.mjs'), importsOf(floorPackages));
    const fileVariant = (name: string, path: string) => newVariant(name, pathToFileURL(path).href, work);
    const layer = newVariant(LAYER, 'lambda-shared-token/middleware', optNodejs);
    const floor = fileVariant(FLOOR, join(deps, 'floor.mjs'));
    const variants = [layer, fileVariant(BASELINE, join(deps, 'baseline.mjs')), floor];
    // Context only (the core alone; what bundling buys), so QUICK (a 6 s budget) leaves them out.
    if (!context.quick) {
      variants.push(newVariant(CORE, 'lambda-shared-token', optNodejs));
      const unbundled = join(deps, 'layer-unbundled.mjs');
      await build({
        ...layerEsbuildOptions(root),
        entryPoints: [LAYER_ENTRY_POINTS.middleware],
        outfile: unbundled,
        packages: 'external',
        minify: false,
      });
      variants.push(fileVariant(UNBUNDLED, unbundled));
    }

    // One untimed import each first: the first read of these files from disk is not the figure.
    for (const variant of variants) await timeImport(variant);
    for (let round = 0; round < rounds; round += 1) {
      // Rotate the order so no variant always runs right after the same neighbour.
      for (let i = 0; i < variants.length; i += 1) {
        const variant = variants[(i + round) % variants.length]!;
        const sample = await timeImport(variant);
        variant.importMs.push(sample.importMs);
        variant.processMs.push(sample.processMs);
      }
    }
    context.log(`cold-start: ${rounds} fresh processes per variant`);
    const layerProbe = await probe(layer);
    const floorProbe = await probe(floor);

    return report({
      rounds,
      variants,
      ...codeSizes(code),
      bytesByPackage: code.bytesByPackage,
      externalPackages: code.externalPackages,
      installedBytes: Object.fromEntries(
        Object.keys(code.bytesByPackage)
          .filter((name) => name !== OWN_PACKAGE)
          .map((name) => [name, installedBytes(join(root, 'node_modules', name))]),
      ),
      layerProbe,
      floorProbe,
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Bytes (and gzip -9 bytes, file by file as a zip deflates them) of the JavaScript each entry point loads. */
function codeSizes(code: LayerCode): Pick<Measured, 'entries' | 'codeBytes' | 'codeGzipBytes'> {
  const sizeOf = (paths: readonly string[]): { bytes: number; gzipBytes: number } => {
    let bytes = 0;
    let gzipBytes = 0;
    for (const path of paths) {
      const data = code.files.get(path)!;
      bytes += data.byteLength;
      gzipBytes += gzipSync(data, { level: 9 }).byteLength;
    }
    return { bytes, gzipBytes };
  };
  const all = sizeOf([...code.files.keys()]);
  return {
    entries: (Object.keys(LAYER_ENTRY_POINTS) as LayerEntryName[]).map((entry) => ({
      entry,
      files: code.filesByEntry[entry],
      ...sizeOf(code.filesByEntry[entry]),
    })),
    codeBytes: all.bytes,
    codeGzipBytes: all.gzipBytes,
  };
}

interface EntrySize {
  entry: LayerEntryName;
  /** The files it loads, package-relative. */
  files: string[];
  bytes: number;
  gzipBytes: number;
}

interface Measured {
  rounds: number;
  variants: Variant[];
  entries: EntrySize[];
  /** All the layer's JavaScript (dist/). */
  codeBytes: number;
  codeGzipBytes: number;
  bytesByPackage: Record<string, number>;
  externalPackages: string[];
  installedBytes: Record<string, number>;
  layerProbe: ProbeResult;
  floorProbe: ProbeResult;
}

function report(measured: Measured): BenchSection {
  const { variants, layerProbe, floorProbe } = measured;
  const median = (values: number[]): number => percentile(values, 50);
  const find = (name: string): Variant | undefined => variants.find((variant) => variant.name === name);
  const byName = (name: string): Variant => find(name)!;
  const baselineMs = median(byName(BASELINE).importMs);
  const floorMs = median(byName(FLOOR).importMs);
  const layerMs = median(byName(LAYER).importMs);
  const unbundled = find(UNBUNDLED);
  const unbundledMs = unbundled === undefined ? undefined : median(unbundled.importMs);
  const core = find(CORE);
  const coreMs = core === undefined ? undefined : median(core.importMs);
  const middleware = measured.entries.find((entry) => entry.entry === 'middleware')!;
  const layerToBaseline = layerMs / baselineMs;
  const baselineMinMs = Math.min(...byName(BASELINE).importMs);
  // Round i of each variant ran within the same few hundred ms, so their ratio shares that moment's load.
  const pairedRatio = median(byName(LAYER).importMs.map((ms, i) => ms / byName(BASELINE).importMs[i]!));
  const layerToFloor = layerMs / floorMs;
  const contextBytes = BASELINE_PACKAGES.reduce((sum, name) => sum + (measured.installedBytes[name] ?? 0), 0);
  // Keys the layer's own code reads or writes at import: those its dependencies do not.
  const ownReads = layerProbe.read.filter((key) => !floorProbe.read.includes(key));
  const ownWrites = layerProbe.written.filter((key) => !floorProbe.written.includes(key));
  const layerNetwork = layerProbe.connects + layerProbe.lookups + layerProbe.fetches;
  const sdk = measured.externalPackages.join(', ');

  const minOf = (name: string): number => Math.min(...byName(name).importMs);
  const layerToFloorMin = minOf(LAYER) / minOf(FLOOR);
  const floorRatios = `${round(layerToFloor)} (medians), ${round(layerToFloorMin)} (minimums)`;
  const floorSentence =
    layerToFloor > 1 && layerToFloorMin > 1
      ? `Against the same packages plus those SDK clients the ratio is ${floorRatios}: the layer's own code adds ${round(layerMs - floorMs)} ms (medians).`
      : layerToFloor <= 1 && layerToFloorMin <= 1
        ? `Against the same packages plus those SDK clients the ratio is ${floorRatios}: counting the SDK, the layer costs no more than importing its dependencies would.`
        : `Against the same packages plus those SDK clients the ratio is ${floorRatios}: within this run's noise of its dependencies alone.`;
  const notes = [
    layerToBaseline > 1
      ? `Behind the baseline: importing the layer takes ${round(layerToBaseline)}x as long as importing Middy core and the two Powertools packages alone (${round(layerMs)} ms against ${round(baselineMs)} ms). Why: the layer imports ${sdk} at load time. They are not in the layer (they must not be: the Lambda runtime provides them), but loading them from the runtime still costs, and Middy core and Powertools import no SDK. Importing them lazily would only move that cost into the first invocation. ${floorSentence}`
      : `Importing the layer takes ${round(layerToBaseline)}x the time of Middy core and the two Powertools packages alone (${round(layerMs)} ms against ${round(baselineMs)} ms), SDK clients included. ${floorSentence}`,
    `What is imported is the layer's own files: ${PACKAGE_DIR}/ as \`make layer\` builds it (one esbuild run, code split over three entry points), resolved through its package.json as the Lambda runtime resolves a layer's package. \`lambda-shared-token/middleware\` loads ${middleware.files.join(', ')}: ${middleware.bytes} bytes, ${middleware.gzipBytes} gzip -9 (file by file, as a zip deflates them). The layer's code holds Middy (core, util, secrets-manager), Powertools (commons, logger, metrics) and this project; it contains no @aws-sdk or @smithy code, only imports of ${sdk}. For context, @middy/core and the two Powertools packages alone are ${contextBytes} bytes installed.`,
    coreMs === undefined
      ? 'The core alone (`lambda-shared-token`, no Middy) and the unbundled variant (dependencies from node_modules) run in the full run only.'
      : `The core alone (\`lambda-shared-token\`, which never loads Middy) takes ${round(coreMs)} ms, ${round(coreMs / layerMs)}x the middleware entry point.`,
    ...(unbundledMs === undefined
      ? []
      : [
          `Bundling: the same code (the middleware entry point in one file) importing its dependencies from node_modules takes ${round(unbundledMs / layerMs)}x as long as the layer (${round(unbundledMs)} ms).`,
        ]),
    `Each figure is the median of ${measured.rounds} fresh \`node\` processes per variant with an empty environment, run interleaved after one untimed warm-up each (files in the OS cache: a real Lambda cold start may also read them from disk). "import ms" is timed inside the child around \`await import()\`; "process ms" is spawn to exit. The median of the per-round ratios layer / baseline (both from the same round) is ${round(pairedRatio)}; far from the ratio of medians, it means the machine's load moved during the run. Load only adds time, so the ratio of the minimums (last column) is the steadier estimate on a busy machine.`,
    layerNetwork === 0 && ownReads.length === 0 && ownWrites.length === 0
      ? `Importing the layer makes no network call and its own code reads no environment variable (configuration is read when a SharedToken is built). At import, Node's loader and the bundled dependencies read ${listOrNone(layerProbe.read)} and Powertools writes ${listOrNone(layerProbe.written)} (its SDK user-agent suffix); importing Middy + Powertools + the SDK alone does the same.`
      : `FINDING: importing the layer is not inert: ${layerNetwork} network call(s); environment read only by the layer: ${listOrNone(ownReads)}; written only by the layer: ${listOrNone(ownWrites)}.`,
  ];

  const variantRow = (variant: Variant): (string | number)[] => [
    variant.name,
    round(median(variant.importMs)),
    `${round(Math.min(...variant.importMs))} / ${round(Math.max(...variant.importMs))}`,
    round(median(variant.processMs)),
    round(median(variant.importMs) / baselineMs),
    round(Math.min(...variant.importMs) / baselineMinMs),
  ];
  const totalInCode = Object.values(measured.bytesByPackage).reduce((sum, bytes) => sum + bytes, 0);

  return {
    id: 'cold-start',
    title: 'Cold start: layer size and import time',
    method: `The layer's code and package.json built as \`make layer\` builds them (scripts/layer/layer-package.ts: esbuild, ESM, node20, minified, split over three entry points, @aws-sdk/* external), written to a folder shaped like /opt, and \`lambda-shared-token/middleware\` imported from its nodejs/ folder in ${measured.rounds} fresh Node processes per variant, interleaved with the baseline.`,
    tables: [
      {
        columns: [
          'import in a fresh process',
          'import ms (median)',
          'min / max ms',
          'process ms (median)',
          'ratio to Middy + Powertools (medians)',
          'ratio (minimums)',
        ],
        rows: variants.map(variantRow),
      },
      {
        columns: ['artefact', 'bytes', 'gzip bytes'],
        rows: [
          ...measured.entries.map((entry) => [
            `\`${entry.entry === 'index' ? OWN_PACKAGE : `${OWN_PACKAGE}/${entry.entry}`}\` loads (${entry.files.length} files)`,
            entry.bytes,
            entry.gzipBytes,
          ]),
          ["all the layer's JavaScript (dist/)", measured.codeBytes, measured.codeGzipBytes],
          ['@middy/core + Powertools Logger + Metrics, installed (context)', contextBytes, '-'],
        ],
      },
      {
        columns: ['package', "bytes in the layer's code", 'share', 'installed bytes'],
        rows: Object.entries(measured.bytesByPackage)
          .sort(([, a], [, b]) => b - a)
          .map(([name, bytes]) => [
            name,
            bytes,
            `${round((100 * bytes) / totalInCode)} %`,
            measured.installedBytes[name] ?? '-',
          ]),
      },
    ],
    notes,
    figures: {
      rounds: measured.rounds,
      bytesByEntry: Object.fromEntries(measured.entries.map((entry) => [entry.entry, entry.bytes])),
      gzipBytesByEntry: Object.fromEntries(measured.entries.map((entry) => [entry.entry, entry.gzipBytes])),
      filesByEntry: Object.fromEntries(measured.entries.map((entry) => [entry.entry, entry.files])),
      codeBytes: measured.codeBytes,
      codeGzipBytes: measured.codeGzipBytes,
      baselineInstalledBytes: contextBytes,
      bytesByPackage: measured.bytesByPackage,
      installedBytes: measured.installedBytes,
      externalPackages: measured.externalPackages,
      importMsMedian: Object.fromEntries(
        variants.map((variant) => [variant.name, round(median(variant.importMs))]),
      ),
      processMsMedian: Object.fromEntries(
        variants.map((variant) => [variant.name, round(median(variant.processMs))]),
      ),
      importMs: Object.fromEntries(variants.map((variant) => [variant.name, variant.importMs.map(round)])),
      layerToBaselineRatio: round(layerToBaseline),
      layerToBaselinePairedRatio: round(pairedRatio),
      layerToBaselineMinRatio: round(Math.min(...byName(LAYER).importMs) / baselineMinMs),
      layerToBaselineWithSdkRatio: round(layerToFloor),
      layerToBaselineWithSdkMinRatio: round(layerToFloorMin),
      unbundledToLayerRatio: unbundledMs === undefined ? null : round(unbundledMs / layerMs),
      coreToLayerRatio: coreMs === undefined ? null : round(coreMs / layerMs),
      importSideEffects: { layer: layerProbe, baselineWithSdk: floorProbe },
    },
    checks: [
      {
        name: 'cold start: importing the layer makes no network call',
        ok: layerNetwork === 0,
        detail: `${layerProbe.connects} socket connects, ${layerProbe.lookups} DNS lookups, ${layerProbe.fetches} fetches`,
      },
      {
        name: 'cold start: the layer reads and writes no environment variable of its own at import',
        ok: ownReads.length === 0 && ownWrites.length === 0,
        detail: `read: ${listOrNone(ownReads)}; written: ${listOrNone(ownWrites)}`,
      },
      {
        name: "cold start: the layer's code contains no @aws-sdk code and imports nothing but @aws-sdk packages",
        ok:
          measured.externalPackages.every((name) => name.startsWith('@aws-sdk/')) &&
          Object.keys(measured.bytesByPackage).every((name) => !/^@(aws-sdk|smithy)\//.test(name)),
        detail: `imports ${measured.externalPackages.join(', ')}`,
      },
    ],
  };
}

function importsOf(packages: string[]): string {
  return `${packages.map((name) => `import '${name}';`).join('\n')}\n`;
}

function linkInto(link: string, target: string): void {
  mkdirSync(join(link, '..'), { recursive: true });
  symlinkSync(target, link, 'dir');
}

/** Apparent size of every file under `dir` (symlinks not followed), as the zip would hold them. */
function installedBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += installedBytes(path);
    else if (entry.isFile()) total += lstatSync(path).size;
  }
  return total;
}

function listOrNone(keys: string[]): string {
  return keys.length === 0 ? 'none' : keys.join(', ');
}
