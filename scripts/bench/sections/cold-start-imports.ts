/**
 * The cold-start section's child processes: each variant imported in a fresh `node` with an
 * empty environment, timed around the one `await import()`, or probed for the network calls
 * and environment variables the import makes.
 */
import { execFile } from 'node:child_process';

/** One thing to import, with the timings of every round. */
export interface Variant {
  name: string;
  /** What the child imports: a file: URL, or a package specifier resolved from `cwd`. */
  specifier: string;
  /** The child's working directory. */
  cwd: string;
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

/** What one probed import did: network calls, environment variables read and written. */
export interface ProbeResult {
  connects: number;
  lookups: number;
  fetches: number;
  read: string[];
  written: string[];
}

/** A variant with no timings yet. */
export function newVariant(name: string, specifier: string, cwd: string): Variant {
  return { name, specifier, cwd, importMs: [], processMs: [] };
}

/**
 * Spawns a fresh `node` with an empty environment (importing the layer must need none) in the
 * variant's directory: a bare specifier resolves from there, as from a module in that directory.
 */
function runNode(script: string, { specifier, cwd }: Variant): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script, specifier],
      { cwd, env: {}, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(`importing ${specifier} failed: ${stderr.trim() || error.message}`, { cause: error }),
          );
        else resolve(stdout);
      },
    );
  });
}

/** One fresh process: the import's own time, measured inside the child, and spawn to exit. */
export async function timeImport(variant: Variant): Promise<{ importMs: number; processMs: number }> {
  const started = performance.now();
  const { importMs } = JSON.parse(await runNode(TIMER, variant)) as { importMs: number };
  return { importMs, processMs: performance.now() - started };
}

/** One fresh process that imports the variant under watch; see PROBE. */
export async function probe(variant: Variant): Promise<ProbeResult> {
  return JSON.parse(await runNode(PROBE, variant)) as ProbeResult;
}
