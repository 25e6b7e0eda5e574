import { MIN_SECRET_LENGTH } from './secret-registry.js';

/** A registered secret found in some text: its label and where it was printed, never its value. */
export interface SecretHit {
  label: string;
  /** The stream or console method: 'stdout', 'console.error', 'demo stderr'… */
  origin: string;
}

interface Entry {
  value: string;
  label: string;
}

/** Every secret's first MIN_SECRET_LENGTH characters are hashed; the scan rolls the same hash over the text. */
const WINDOW = MIN_SECRET_LENGTH;
const BASE = 0x01000193;
/** BASE ** (WINDOW - 1) modulo 2^32: the weight of the character that leaves the window. */
const LEAVING_WEIGHT = Array.from({ length: WINDOW - 1 }).reduce<number>((w) => Math.imul(w, BASE), 1);

function windowHash(text: string, start: number): number {
  let hash = 0;
  for (let i = start; i < start + WINDOW; i++) hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) | 0;
  return hash;
}

/**
 * The registered secrets, indexed for a scan linear in the text's length whatever their number
 * (a big simulation issues thousands of tokens; `includes` per secret would be output × secrets).
 * A polynomial hash of each secret's first 12 characters keys a Map; the scan rolls that hash
 * over the text, one multiply per character, and compares whole values only where a hash matches.
 */
export class SecretIndex {
  private readonly byPrefixHash = new Map<number, Entry[]>();
  private readonly labels = new Map<string, string>();
  /** The longest registered value: how much of a stream's previous text a scan must look back on. */
  longest = 0;

  get size(): number {
    return this.labels.size;
  }

  /** The first label a value was registered under wins; shorter values are ignored. */
  add(value: string, label: string): void {
    if (value.length < WINDOW || this.labels.has(value)) return;
    this.labels.set(value, label);
    const hash = windowHash(value, 0);
    const entries = this.byPrefixHash.get(hash);
    if (entries) entries.push({ value, label });
    else this.byPrefixHash.set(hash, [{ value, label }]);
    this.longest = Math.max(this.longest, value.length);
  }

  has(value: string): boolean {
    return this.labels.has(value);
  }

  /**
   * Labels of the secrets found in `text` that end at or after `from` (a scan of a stream's
   * look-back plus its new chunk reports only what the new chunk completes).
   */
  find(text: string, from = 0): string[] {
    const found: string[] = [];
    if (this.byPrefixHash.size === 0 || text.length < WINDOW) return found;
    let hash = windowHash(text, 0);
    for (let start = 0; ; start++) {
      const entries = this.byPrefixHash.get(hash);
      if (entries) {
        for (const { value, label } of entries) {
          if (start + value.length > from && text.startsWith(value, start)) found.push(label);
        }
      }
      const next = start + WINDOW;
      if (next >= text.length) return found;
      const leaving = Math.imul(text.charCodeAt(start), LEAVING_WEIGHT);
      hash = (Math.imul((hash - leaving) | 0, BASE) + text.charCodeAt(next)) | 0;
    }
  }
}

/**
 * How many of `values` occur in `text`, in one scan however many there are (values shorter than
 * the index's window, which it cannot hold, are looked for one by one).
 */
export function countFound(text: string, values: readonly string[]): number {
  const index = new SecretIndex();
  let short = 0;
  values.forEach((value, position) => {
    if (value.length >= WINDOW) index.add(value, String(position));
    else if (text.includes(value)) short++;
  });
  return short + new Set(index.find(text)).size;
}
