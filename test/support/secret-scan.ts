/**
 * The secret scan (docs/development.md, "Secret scan"): everything a Jest worker prints (process.stdout / stderr writes and
 * console calls) is scanned for the secret values registered through
 * scripts/local-stack/secret-registry.ts; test/support/secret-scan-setup.ts fails the test that
 * printed one. Tests that collect a child process's output call `scanText` on it.
 */

import { type SecretHit, SecretIndex } from '../../scripts/local-stack/secret-index.js';
import { installSecretSink, type SecretSink } from '../../scripts/local-stack/secret-registry.js';

export type { SecretHit } from '../../scripts/local-stack/secret-index.js';

/**
 * How much of a stream's earlier text each scan looks back on, at most: enough for any secret
 * split across writes (the longest registered is a JSON secret string of a few hundred characters).
 */
const MAX_LOOK_BACK = 8192;

type Write = typeof process.stdout.write;

/** One installation of the scan in one test file's worker. */
class SecretScan {
  readonly index = new SecretIndex();
  private readonly hits = new Map<string, SecretHit>();
  /** Per origin, the tail of what it printed before: a secret split across two writes is still found. */
  private readonly lookBack = new Map<string, string>();
  private readonly restores: (() => void)[] = [];
  /** How many entries of Jest's console buffer were scanned. */
  private consoleSeen = 0;

  /** Scans text that was printed as one piece (a child's whole output); no look-back. */
  scanText(text: string, origin: string): void {
    for (const label of this.index.find(text)) this.record(label, origin);
  }

  /** Scans the next chunk of a stream, with the end of its previous chunks in front of it. */
  scanChunk(chunk: string, origin: string): void {
    if (this.index.size === 0) return;
    const before = this.lookBack.get(origin) ?? '';
    const text = before + chunk;
    for (const label of this.index.find(text, before.length)) this.record(label, origin);
    const keep = Math.min(this.index.longest - 1, MAX_LOOK_BACK);
    this.lookBack.set(origin, keep > 0 ? text.slice(-keep) : '');
  }

  /** The hits since the last call, and forgets them. */
  takeHits(): SecretHit[] {
    this.scanConsoleBuffer();
    const hits = [...this.hits.values()];
    this.hits.clear();
    return hits;
  }

  install(): void {
    const sink: SecretSink = (value, label) => this.index.add(value, label);
    const previousSink = installSecretSink(sink);
    this.restores.push(() => installSecretSink(previousSink));
    this.wrapStream(process.stdout, 'stdout');
    this.wrapStream(process.stderr, 'stderr');
    // What Jest's console printed before the scan started is not this file's.
    const buffer = (console as { _buffer?: unknown })._buffer;
    this.consoleSeen = Array.isArray(buffer) ? buffer.length : 0;
  }

  uninstall(): void {
    for (const restore of this.restores.reverse()) restore();
    this.restores.length = 0;
  }

  private record(label: string, origin: string): void {
    this.hits.set(`${label}\u0000${origin}`, { label, origin });
  }

  private wrapStream(stream: NodeJS.WriteStream, origin: string): void {
    const original = stream.write;
    const scan = this;
    stream.write = function scannedWrite(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      scan.scanChunk(
        typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'),
        origin,
      );
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Write;
    this.restores.push(() => {
      stream.write = original;
    });
  }

  /**
   * Jest's console (BufferedConsole, or CustomConsole in verbose runs) keeps every call, formatted,
   * in `_buffer`; reading it after the fact scans console output without wrapping `console.log`,
   * whose extra stack frame would make Jest print this file as the origin of every console line.
   * (CustomConsole also writes to process.stdout, so there a line is found twice: on stdout too.)
   */
  private scanConsoleBuffer(): void {
    const buffer = (console as { _buffer?: unknown })._buffer;
    if (!Array.isArray(buffer)) return; // A plain Node console writes to the wrapped streams.
    if (buffer.length < this.consoleSeen) this.consoleSeen = 0;
    for (const entry of buffer.slice(this.consoleSeen) as { type?: unknown; message?: unknown }[]) {
      if (typeof entry.message === 'string') this.scanChunk(`${entry.message}\n`, `console.${entry.type}`);
    }
    this.consoleSeen = buffer.length;
  }
}

const ACTIVE = Symbol.for('lambda-shared-token.secret-scan');
type WithScan = typeof globalThis & { [ACTIVE]?: SecretScan };

/** Installs the scan in this worker (the setup file does, once per test file). */
export function installSecretScan(): void {
  const global = globalThis as WithScan;
  global[ACTIVE]?.uninstall();
  const scan = new SecretScan();
  scan.install();
  global[ACTIVE] = scan;
}

/** Restores the streams, the console and the previous sink. */
export function uninstallSecretScan(): void {
  const global = globalThis as WithScan;
  global[ACTIVE]?.uninstall();
  delete global[ACTIVE];
}

/**
 * Scans output a test collected itself (a child process's stdout, a captured stream): a hit fails
 * the current test like a line printed by the worker. `origin` names it ('demo stderr').
 * Without the setup file (another runner), nothing happens.
 */
export function scanText(text: string, origin: string): void {
  (globalThis as WithScan)[ACTIVE]?.scanText(text, origin);
}

/** The hits since the last call, forgotten by this call (the setup file's afterEach takes them). */
export function takeSecretHits(): SecretHit[] {
  return (globalThis as WithScan)[ACTIVE]?.takeHits() ?? [];
}

/** The message that fails a test: labels and origins, never a value. */
export function describeHits(hits: SecretHit[]): string {
  const lines = hits.map(({ label, origin }) => `  - '${label}' on ${origin}`);
  return `secret scan: ${hits.length} registered secret(s) printed:\n${lines.join('\n')}`;
}
