/**
 * A minimal ZIP writer and reader in pure Node (deflate from node:zlib), because the machine that
 * builds or tests the layer may have no `zip` or `unzip` binary. The reader is in zip-reader.ts.
 *
 * Written archives are deterministic: entries sorted by path, one fixed timestamp, fixed Unix
 * modes (files 0644, directories 0755: Lambda runs the code as a user that is not the owner, so
 * layer files must be world-readable). No ZIP64, no encryption, no multi-disk: a Lambda layer
 * is far below those limits, and the reader refuses what it does not support rather than guess.
 */
import * as zlib from 'node:zlib';
import {
  CENTRAL_HEADER,
  checkEntryPath,
  crc32,
  DOS_DATE,
  DOS_TIME,
  END_OF_CENTRAL_DIRECTORY,
  FLAG_UTF8,
  LOCAL_HEADER,
  MAX_UINT16,
  MAX_UINT32,
  METHOD_DEFLATED,
  METHOD_STORED,
  MSDOS_DIRECTORY,
  S_IFDIR,
  S_IFREG,
  VERSION_MADE_BY,
  VERSION_NEEDED,
} from './zip-format.js';

export { checkEntryPath, crc32 } from './zip-format.js';
export { extractZip, readZip, type ZipEntry, ZipFormatError } from './zip-reader.js';

/** One file to write. Parent directories get their own entries (see {@link ZipWriteOptions.directories}). */
export interface ZipFileInput {
  /** Relative path with `/` separators, e.g. `nodejs/node_modules/x/package.json`. */
  path: string;
  /** Contents; a string is written as UTF-8. */
  data: Uint8Array | string;
  /**
   * Unix permission bits.
   * @default 0o644
   */
  mode?: number;
}

export interface ZipWriteOptions {
  /**
   * Add an entry for every parent directory of every file, as `zip -r` does.
   * @default true
   */
  directories?: boolean;
  /**
   * zlib deflate level, 0 to 9. An entry whose deflated form is not smaller is stored.
   * @default 9
   */
  level?: number;
}

const WRITE_OPTION_NAMES = new Set(['directories', 'level']);

interface PreparedEntry {
  name: Buffer;
  utf8: boolean;
  method: number;
  crc: number;
  size: number;
  body: Uint8Array;
  externalAttributes: number;
}

/** Writes a ZIP archive holding `files`; see the module comment for what makes it deterministic. */
export function writeZip(files: readonly ZipFileInput[], options: ZipWriteOptions = {}): Uint8Array {
  for (const key of Object.keys(options)) {
    if (!WRITE_OPTION_NAMES.has(key)) throw new TypeError(`writeZip: unknown option "${key}"`);
  }
  const level = options.level ?? 9;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new TypeError('writeZip: `level` must be an integer from 0 to 9');
  }
  const byPath = new Map<string, ZipFileInput | 'directory'>();
  for (const file of files) {
    checkEntryPath(file.path);
    if (file.path.endsWith('/')) throw new TypeError(`writeZip: file path "${file.path}" ends in /`);
    if (byPath.has(file.path)) throw new TypeError(`writeZip: duplicate path "${file.path}"`);
    byPath.set(file.path, file);
  }
  if (options.directories ?? true) {
    for (const file of files) {
      const segments = file.path.split('/');
      for (let i = 1; i < segments.length; i++) byPath.set(`${segments.slice(0, i).join('/')}/`, 'directory');
    }
  }
  // Code-unit order is stable across machines and locales; a directory sorts before its contents.
  const paths = [...byPath.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const prepared = paths.map((path) => prepare(path, byPath.get(path)!, level));
  return assemble(prepared);
}

function prepare(path: string, input: ZipFileInput | 'directory', level: number): PreparedEntry {
  const name = Buffer.from(path, 'utf8');
  const utf8 = /[^\x20-\x7e]/.test(path);
  if (input === 'directory') {
    return {
      name,
      utf8,
      method: METHOD_STORED,
      crc: 0,
      size: 0,
      body: new Uint8Array(0),
      externalAttributes: (((S_IFDIR | 0o755) << 16) | MSDOS_DIRECTORY) >>> 0,
    };
  }
  const data = typeof input.data === 'string' ? Buffer.from(input.data, 'utf8') : input.data;
  if (data.length >= MAX_UINT32)
    throw new RangeError(`writeZip: "${path}" is too large for a ZIP without ZIP64`);
  const mode = input.mode ?? 0o644;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new TypeError(`writeZip: mode of "${path}" must be permission bits (0 to 0o7777)`);
  }
  const deflated = level === 0 ? data : zlib.deflateRawSync(data, { level });
  const stored = level === 0 || deflated.length >= data.length;
  return {
    name,
    utf8,
    method: stored ? METHOD_STORED : METHOD_DEFLATED,
    crc: crc32(data),
    size: data.length,
    body: stored ? data : deflated,
    externalAttributes: ((S_IFREG | mode) << 16) >>> 0,
  };
}

function assemble(entries: PreparedEntry[]): Uint8Array {
  if (entries.length > MAX_UINT16) throw new RangeError('writeZip: more than 65535 entries needs ZIP64');
  const chunks: Uint8Array[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const entry of entries) {
    const header = Buffer.alloc(30);
    header.writeUInt32LE(LOCAL_HEADER, 0);
    header.writeUInt16LE(VERSION_NEEDED, 4);
    header.writeUInt16LE(entry.utf8 ? FLAG_UTF8 : 0, 6);
    header.writeUInt16LE(entry.method, 8);
    header.writeUInt16LE(DOS_TIME, 10);
    header.writeUInt16LE(DOS_DATE, 12);
    header.writeUInt32LE(entry.crc, 14);
    header.writeUInt32LE(entry.body.length, 18);
    header.writeUInt32LE(entry.size, 22);
    header.writeUInt16LE(entry.name.length, 26);
    header.writeUInt16LE(0, 28);
    offsets.push(offset);
    chunks.push(header, entry.name, entry.body);
    offset += header.length + entry.name.length + entry.body.length;
  }
  const centralStart = offset;
  entries.forEach((entry, index) => {
    const header = Buffer.alloc(46);
    header.writeUInt32LE(CENTRAL_HEADER, 0);
    header.writeUInt16LE(VERSION_MADE_BY, 4);
    header.writeUInt16LE(VERSION_NEEDED, 6);
    header.writeUInt16LE(entry.utf8 ? FLAG_UTF8 : 0, 8);
    header.writeUInt16LE(entry.method, 10);
    header.writeUInt16LE(DOS_TIME, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(entry.crc, 16);
    header.writeUInt32LE(entry.body.length, 20);
    header.writeUInt32LE(entry.size, 24);
    header.writeUInt16LE(entry.name.length, 28);
    // Extra field, comment, disk number start and internal attributes stay 0.
    header.writeUInt32LE(entry.externalAttributes, 38);
    header.writeUInt32LE(offsets[index]!, 42);
    chunks.push(header, entry.name);
    offset += header.length + entry.name.length;
  });
  if (offset >= MAX_UINT32) throw new RangeError('writeZip: archive larger than 4 GiB needs ZIP64');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(offset - centralStart, 12);
  end.writeUInt32LE(centralStart, 16);
  chunks.push(end);
  return Buffer.concat(chunks);
}
