/**
 * The parts of the ZIP format that the writer (zip.ts) and the reader (zip-reader.ts) share:
 * record signatures, flags, the fixed timestamp, CRC-32, and which entry paths are safe.
 */
import * as zlib from 'node:zlib';

/** 1980-01-01 00:00:00, the earliest MS-DOS date: a fixed timestamp makes the archive reproducible. */
export const DOS_TIME = 0;
export const DOS_DATE = (0 << 9) | (1 << 5) | 1;
export const LOCAL_HEADER = 0x04034b50;
export const CENTRAL_HEADER = 0x02014b50;
export const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
export const VERSION_NEEDED = 20;
/** High byte 3 = Unix (the external attributes carry a Unix mode), low byte 30 = spec 3.0. */
export const VERSION_MADE_BY = (3 << 8) | 30;
export const FLAG_ENCRYPTED = 0x0001;
export const FLAG_UTF8 = 0x0800;
export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const MSDOS_DIRECTORY = 0x10;
export const MAX_UINT16 = 0xffff;
export const MAX_UINT32 = 0xffffffff;

/** CRC-32 (IEEE), as ZIP stores it: zlib's when this Node has it (>= 20.15), else a table. */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  return native === undefined ? tableCrc32(data) : native(data);
}

let crcTable: Uint32Array | undefined;

/** The table-driven CRC-32, for a Node without zlib.crc32; exported so a test can compare the two. */
export function tableCrc32(data: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = MAX_UINT32;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ MAX_UINT32) >>> 0;
}

/**
 * A path as it may appear in an archive: relative, `/`-separated, no `.`, `..` or empty segment.
 * Throws a TypeError naming the path otherwise; the reader uses it to refuse "zip slip" entries.
 */
export function checkEntryPath(path: string): void {
  const bare = path.endsWith('/') ? path.slice(0, -1) : path;
  const bad =
    bare === '' ||
    bare.startsWith('/') ||
    bare.includes('\\') ||
    bare.includes('\0') ||
    /^[A-Za-z]:/.test(bare) ||
    bare.split('/').some((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad) throw new TypeError(`zip: unsafe entry path "${path}"`);
}
