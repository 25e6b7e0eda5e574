/**
 * The layer zip, written and read with fflate: pure JavaScript, so the same deflate bytes on any
 * machine and Node version (node:zlib's output depends on the zlib that Node ships), and no `zip`
 * or `unzip` binary needed where the layer is built or tested.
 *
 * What makes the archive deterministic is decided here: entries in code-unit order of their
 * paths, an entry for every parent directory (as `zip -r` writes them), one fixed timestamp, and
 * fixed Unix modes (files 0644, directories 0755: Lambda runs the code as a user that is not the
 * owner, so the layer's files must be world-readable).
 *
 * Reading (the layer tests, the Lambda sandbox) refuses an entry whose path could land outside
 * the target directory, before anything is written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { strToU8, unzipSync, type ZipOptions, type Zippable, zipSync } from 'fflate';

/** One file to write; its parent directories get their own entries. */
export interface ZipFileInput {
  /** Relative path with `/` separators, e.g. `nodejs/node_modules/x/package.json`. */
  path: string;
  /** Contents; a string is written as UTF-8. */
  data: Uint8Array | string;
}

/** One entry as read back. */
export interface ZipEntry {
  /** As stored: directories end in `/`. */
  path: string;
  isDirectory: boolean;
  /** Inflated contents; empty for a directory. */
  data: Uint8Array;
}

/** Thrown when an archive holds an entry that must not be extracted; the message names it and why. */
export class UnsafeZipEntryError extends Error {
  override name = 'UnsafeZipEntryError';
}

/** "Version made by" Unix: the external attributes then carry a Unix mode. */
const UNIX = 3;
/** S_IFREG | 0644, in the high 16 bits of the external attributes. */
const FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;
/** S_IFDIR | 0755, plus the MS-DOS directory bit in the low byte. */
const DIRECTORY_ATTRIBUTES = ((0o040755 << 16) | 0x10) >>> 0;
const EMPTY = new Uint8Array(0);

/**
 * 1980-01-01 00:00, the earliest time a ZIP can hold. fflate writes the DOS date and time from
 * the Date's local fields, so the Date is made from local fields too (and when called, for
 * `TZ` may change): the same bytes in every time zone.
 */
const fixedTime = (): Date => new Date(1980, 0, 1, 0, 0, 0);

/** Writes a ZIP archive holding `files`; see the module comment for what makes it deterministic. */
export function writeZip(files: readonly ZipFileInput[]): Uint8Array {
  const entries = new Map<string, [Uint8Array, ZipOptions]>();
  for (const file of files) {
    const reason = unsafePathReason(file.path) ?? (file.path.endsWith('/') ? 'ends in /' : undefined);
    if (reason !== undefined) throw new TypeError(`writeZip: path "${file.path}" ${reason}`);
    // All digits: an array index, which an object enumerates first, out of the sorted order.
    if (/^\d+$/.test(file.path)) throw new TypeError(`writeZip: path "${file.path}" is all digits`);
    if (entries.has(file.path)) throw new TypeError(`writeZip: duplicate path "${file.path}"`);
    const data = typeof file.data === 'string' ? strToU8(file.data) : file.data;
    entries.set(file.path, [data, { attrs: FILE_ATTRIBUTES }]);
    const segments = file.path.split('/');
    for (let i = 1; i < segments.length; i++) {
      entries.set(`${segments.slice(0, i).join('/')}/`, [EMPTY, { attrs: DIRECTORY_ATTRIBUTES, level: 0 }]);
    }
  }
  // fflate writes the entries in the object's order; a null prototype keeps `__proto__` a plain key.
  const zippable: Zippable = Object.create(null);
  for (const path of [...entries.keys()].sort()) zippable[path] = entries.get(path)!;
  return zipSync(zippable, { level: 9, mtime: fixedTime(), os: UNIX });
}

/**
 * Every entry of a ZIP archive, in archive order, inflated. Throws {@link UnsafeZipEntryError}
 * for an unsafe path (absolute, `..`, a backslash...) or one that appears twice, before that
 * entry is inflated.
 */
export function readZip(archive: Uint8Array): ZipEntry[] {
  const paths = new Set<string>();
  const contents = unzipSync(archive, {
    filter: ({ name }) => {
      const reason = unsafePathReason(name) ?? (paths.has(name) ? 'appears twice' : undefined);
      if (reason !== undefined) throw new UnsafeZipEntryError(`zip: entry "${name}" ${reason}: refused`);
      paths.add(name);
      return true;
    },
  });
  return [...paths].map((path) => ({ path, isDirectory: path.endsWith('/'), data: contents[path] ?? EMPTY }));
}

/**
 * Writes every entry of `archive` under `targetDir` (created if missing), as `unzip -d` would,
 * and returns the paths of the files written, relative to `targetDir`. Nothing is written when
 * any entry is refused. Files get the default mode (0644 under the usual umask): fflate does not
 * report the stored modes, and the layer's are all 0644.
 */
export function extractZip(archive: Uint8Array, targetDir: string): string[] {
  const root = resolve(targetDir);
  const entries = readZip(archive);
  for (const entry of entries) {
    const target = join(root, entry.path);
    // readZip refused `..` and absolute paths already; this is the belt to those braces.
    if (target !== root && !target.startsWith(root + sep)) {
      throw new UnsafeZipEntryError(`zip: entry "${entry.path}" would land outside the target directory`);
    }
  }
  const written: string[] = [];
  for (const entry of entries) {
    const target = join(root, entry.path);
    if (entry.isDirectory) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, entry.data);
    written.push(entry.path);
  }
  return written;
}

/**
 * Why `path` may not appear in an archive, or undefined when it may: relative, `/`-separated,
 * no `.`, `..` or empty segment, nothing another system reads as a root or a separator.
 */
function unsafePathReason(path: string): string | undefined {
  const bare = path.endsWith('/') ? path.slice(0, -1) : path;
  if (bare === '') return 'is empty';
  if (bare.startsWith('/')) return 'is absolute';
  if (/^[A-Za-z]:/.test(bare)) return 'starts with a drive letter';
  if (bare.includes('\\')) return 'contains a backslash (a separator on Windows)';
  if (bare.includes('\0')) return 'contains a NUL byte';
  const segments = bare.split('/');
  if (segments.includes('..')) return 'climbs out of its directory (..)';
  if (segments.some((segment) => segment === '' || segment === '.')) return 'has an empty or "." segment';
  return undefined;
}
