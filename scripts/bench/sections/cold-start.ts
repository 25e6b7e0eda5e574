/**
 * Item 6: cold start. The size of the layer bundle (what goes in the zip) and the time a fresh
 * Node process takes to import it, as a ratio to importing `@middy/core` and the two Powertools
 * packages alone; every variant spawned in turn, interleaved, so they share the machine's noise.
 * Also checks that importing the layer makes no network call and reads no environment of its own.
 */
import { execFile } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { percentile } from '../../simulator/report.js';
import { bundleLayer, findProjectRoot, layerBuildOptions, OWN_PACKAGE } from '../layer-bundle.js';
import { type BenchContext, type BenchSection, round } from '../section.js';

/** What the issue compares against: Middy's core and the two Powertools packages, nothing else. */
const BASELINE_PACKAGES = ['@middy/core', '@aws-lambda-powertools/logger', '@aws-lambda-powertools/metrics'];

const LAYER = 'layer bundle (what ships)';
const BASELINE = 'Middy core + Powertools Logger + Metrics';
const FLOOR = 'Middy core + Powertools + the SDK clients the layer imports';
const UNBUNDLED = 'layer unbundled (its dependencies from node_modules)';

interface Variant {
  name: string;
  /** file: URL the child imports. */
  url: string;
  importMs: number[];
  processMs: number[];
}

/** Runs in each fresh process: times the one dynamic import, nothing else. */
const TIMER = `const started = performance.now();
await import(process.argv[1]);
process.stdout.write(JSON.stringify({ importMs: performance.now() - started }));`;

/**
 * Runs in one extra process per probed variant: counts sockets, DNS lookups and fetches, and the
 * environment variables read or written while the module loads and for 100 ms after (a prefetch
 * or timer started at import would have fired by then).
 */
const PROBE = `import dns from 'node:dns';
import net from 'node:net';
const seen = { connects: 0, lookups: 0, fetches: 0, read: new Set(), written: new Set() };
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) { seen.connects++; return connect.apply(this, args); };
const lookup = dns.lookup;
dns.lookup = (...args) => { seen.lookups++; return lookup(...args); };
const lookupPromise = dns.promises.lookup;
dns.promises.lookup = (...args) => { seen.lookups++; return lookupPromise(...args); };
const fetch = globalThis.fetch;
globalThis.fetch = (...args) => { seen.fetches++; return fetch(...args); };
const note = (set, key) => { if (typeof key === 'string') set.add(key); };
process.env = new Proxy(process.env, {
  get(target, key) { note(seen.read, key); return Reflect.get(target, key); },
  has(target, key) { note(seen.read, key); return Reflect.has(target, key); },
  set(target, key, value) { note(seen.written, key); return Reflect.set(target, key, value); },
  ownKeys(target) { seen.read.add('(all keys enumerated)'); return Reflect.ownKeys(target); },
});
await import(process.argv[1]);
await new Promise((resolve) => setTimeout(resolve, 100));
process.stdout.write(JSON.stringify({ ...seen, read: [...seen.read].sort(), written: [...seen.written].sort() }));`;

interface ProbeResult {
  connects: number;
  lookups: number;
  fetches: number;
  read: string[];
  written: string[];
}

export async function runColdStart(context: BenchContext): Promise<BenchSection> {
  const rounds = context.quick ? 5 : 15;
  const root = findProjectRoot();
  const work = mkdtempSync(join(tmpdir(), 'bench-cold-start-'));
  try {
    // The layer as in a Lambda runtime: only @aws-sdk resolvable beside it; anything else it
    // forgot to bundle would fail to import.
    const bundle = await bundleLayer({ outDir: join(work, 'layer'), projectRoot: root });
    linkInto(join(work, 'layer', 'node_modules', '@aws-sdk'), join(root, 'node_modules', '@aws-sdk'));
    // Everything else imports from a directory that sees the whole node_modules.
    const deps = join(work, 'deps');
    linkInto(join(deps, 'node_modules'), join(root, 'node_modules'));
    const floorPackages = [...BASELINE_PACKAGES, ...bundle.externalPackages];
    writeFileSync(join(deps, 'baseline.mjs'), importsOf(BASELINE_PACKAGES));
    writeFileSync(join(deps, 'floor.mjs'), importsOf(floorPackages));
    const paths: [string, string][] = [
      [LAYER, bundle.path],
      [BASELINE, join(deps, 'baseline.mjs')],
      [FLOOR, join(deps, 'floor.mjs')],
    ];
    // What bundling buys: context only, so QUICK (6 s budget) leaves it out.
    if (!context.quick) {
      const unbundled = join(deps, 'layer-unbundled.mjs');
      await build({ ...layerBuildOptions(root, unbundled), packages: 'external', minify: false });
      paths.push([UNBUNDLED, unbundled]);
    }
    const variants: Variant[] = paths.map(([name, path]) => ({
      name,
      url: pathToFileURL(path).href,
      importMs: [],
      processMs: [],
    }));

    // One untimed import each first: the first read of these files from disk is not the figure.
    for (const variant of variants) await timeImport(variant.url, work);
    for (let round = 0; round < rounds; round += 1) {
      // Rotate the order so no variant always runs right after the same neighbour.
      for (let i = 0; i < variants.length; i += 1) {
        const variant = variants[(i + round) % variants.length]!;
        const sample = await timeImport(variant.url, work);
        variant.importMs.push(sample.importMs);
        variant.processMs.push(sample.processMs);
      }
    }
    context.log(`cold-start: ${rounds} fresh processes per variant`);
    const layerProbe = await probe(pathToFileURL(bundle.path).href, work);
    const floorProbe = await probe(pathToFileURL(join(deps, 'floor.mjs')).href, work);

    return report({
      rounds,
      variants,
      bundleBytes: bundle.bytes.byteLength,
      gzipBytes: gzipSync(bundle.bytes, { level: 9 }).byteLength,
      bytesByPackage: bundle.bytesByPackage,
      externalPackages: bundle.externalPackages,
      installedBytes: Object.fromEntries(
        Object.keys(bundle.bytesByPackage)
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

interface Measured {
  rounds: number;
  variants: Variant[];
  bundleBytes: number;
  gzipBytes: number;
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
      ? `Behind the baseline: importing the layer takes ${round(layerToBaseline)}x as long as importing Middy core and the two Powertools packages alone (${round(layerMs)} ms against ${round(baselineMs)} ms). Why: the layer imports ${sdk} at load time. They are not in the bundle (they must not be: the Lambda runtime provides them), but loading them from the runtime still costs, and Middy core and Powertools import no SDK. Importing them lazily would only move that cost into the first invocation. ${floorSentence}`
      : `Importing the layer takes ${round(layerToBaseline)}x the time of Middy core and the two Powertools packages alone (${round(layerMs)} ms against ${round(baselineMs)} ms), SDK clients included. ${floorSentence}`,
    `The bundle (${measured.bundleBytes} bytes, ${measured.gzipBytes} gzip -9; a zip entry stores the same deflate stream without gzip's 18-byte header) holds Middy (core, util, secrets-manager), Powertools (commons, logger, metrics) and this project; it contains no @aws-sdk or @smithy code, only imports of ${sdk}. For context, @middy/core and the two Powertools packages alone are ${contextBytes} bytes installed.`,
    unbundledMs === undefined
      ? 'Bundling: the unbundled variant (dependencies from node_modules) runs in the full run only.'
      : `Bundling: the same code importing its dependencies from node_modules takes ${round(unbundledMs / layerMs)}x as long as the bundle (${round(unbundledMs)} ms).`,
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
  const totalInBundle = Object.values(measured.bytesByPackage).reduce((sum, bytes) => sum + bytes, 0);

  return {
    id: 'cold-start',
    title: 'Cold start: bundle size and import time',
    method: `The layer entry (middleware/index.ts) bundled with esbuild as the layer ships it (ESM, node20, minified, @aws-sdk/* external), then imported in ${measured.rounds} fresh Node processes per variant, interleaved with the baseline.`,
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
          ['layer bundle (index.mjs)', measured.bundleBytes, measured.gzipBytes],
          ['@middy/core + Powertools Logger + Metrics, installed (context)', contextBytes, '-'],
        ],
      },
      {
        columns: ['package', 'bytes in the bundle', 'share', 'installed bytes'],
        rows: Object.entries(measured.bytesByPackage)
          .sort(([, a], [, b]) => b - a)
          .map(([name, bytes]) => [
            name,
            bytes,
            `${round((100 * bytes) / totalInBundle)} %`,
            measured.installedBytes[name] ?? '-',
          ]),
      },
    ],
    notes,
    figures: {
      rounds: measured.rounds,
      bundleBytes: measured.bundleBytes,
      gzipBytes: measured.gzipBytes,
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
        name: 'cold start: the bundle contains no @aws-sdk code and imports nothing but @aws-sdk packages',
        ok:
          measured.externalPackages.every((name) => name.startsWith('@aws-sdk/')) &&
          Object.keys(measured.bytesByPackage).every((name) => !/^@(aws-sdk|smithy)\//.test(name)),
        detail: `imports ${measured.externalPackages.join(', ')}`,
      },
    ],
  };
}

/** Spawns a fresh `node` with an empty environment: importing the layer must need none. */
function runNode(script: string, url: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script, url],
      { cwd, env: {}, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`importing ${url} failed: ${stderr.trim() || error.message}`, { cause: error }));
        else resolve(stdout);
      },
    );
  });
}

async function timeImport(url: string, cwd: string): Promise<{ importMs: number; processMs: number }> {
  const started = performance.now();
  const { importMs } = JSON.parse(await runNode(TIMER, url, cwd)) as { importMs: number };
  return { importMs, processMs: performance.now() - started };
}

async function probe(url: string, cwd: string): Promise<ProbeResult> {
  return JSON.parse(await runNode(PROBE, url, cwd)) as ProbeResult;
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
