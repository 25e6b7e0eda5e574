/**
 * The ZIP reader: reads an archive through its central directory and checks every entry, so a
 * test can unpack the layer exactly as built without an `unzip` binary.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import * as zlib from 'node:zlib';
import {
  CENTRAL_HEADER,
  checkEntryPath,
  crc32,
  END_OF_CENTRAL_DIRECTORY,
  FLAG_ENCRYPTED,
  FLAG_UTF8,
  LOCAL_HEADER,
  MAX_UINT16,
  MAX_UINT32,
  METHOD_DEFLATED,
  METHOD_STORED,
} from './zip-format.js';

/** One entry as read back. */
export interface ZipEntry {
  /** As stored: directories end in `/`. */
  path: string;
  isDirectory: boolean;
  /** Unix permission bits (and file type bits) when the archive was made on Unix, else 0. */
  mode: number;
  method: 'stored' | 'deflated';
  compressedSize: number;
  /** Decompressed and checked against the stored size and CRC-32. Empty for a directory. */
  data: Uint8Array;
}

/** Thrown for an archive this reader cannot or will not read; the message says why. */
export class ZipFormatError extends Error {
  override name = 'ZipFormatError';
}

/**
 * Reads every entry of a ZIP archive through its central directory, inflating and checking each
 * against its stored size and CRC-32. Refuses ZIP64, encryption, multi-disk archives, methods
 * other than stored and deflated, and unsafe paths (absolute, `..`).
 */
export function readZip(archive: Uint8Array): ZipEntry[] {
  const bytes = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const end = findEndOfCentralDirectory(bytes);
  const diskNumber = bytes.readUInt16LE(end + 4);
  const centralDisk = bytes.readUInt16LE(end + 6);
  const entriesOnDisk = bytes.readUInt16LE(end + 8);
  const count = bytes.readUInt16LE(end + 10);
  const centralSize = bytes.readUInt32LE(end + 12);
  const centralStart = bytes.readUInt32LE(end + 16);
  if (count === MAX_UINT16 || centralSize === MAX_UINT32 || centralStart === MAX_UINT32) {
    throw new ZipFormatError('zip: ZIP64 archives are not supported');
  }
  if (diskNumber !== 0 || centralDisk !== 0 || entriesOnDisk !== count) {
    throw new ZipFormatError('zip: multi-disk archives are not supported');
  }
  if (centralStart + centralSize > end) throw new ZipFormatError('zip: central directory out of bounds');

  const entries: ZipEntry[] = [];
  let at = centralStart;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || bytes.readUInt32LE(at) !== CENTRAL_HEADER) {
      throw new ZipFormatError(`zip: central directory entry ${i} is malformed`);
    }
    const madeBy = bytes.readUInt16LE(at + 4);
    const flags = bytes.readUInt16LE(at + 8);
    const method = bytes.readUInt16LE(at + 10);
    const crc = bytes.readUInt32LE(at + 16);
    const compressedSize = bytes.readUInt32LE(at + 20);
    const size = bytes.readUInt32LE(at + 24);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    const externalAttributes = bytes.readUInt32LE(at + 38);
    const localOffset = bytes.readUInt32LE(at + 42);
    const path = bytes.toString(flags & FLAG_UTF8 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;

    checkEntryPath(path);
    if (flags & FLAG_ENCRYPTED) throw new ZipFormatError(`zip: "${path}" is encrypted`);
    if (method !== METHOD_STORED && method !== METHOD_DEFLATED) {
      throw new ZipFormatError(`zip: "${path}" uses compression method ${method}`);
    }
    const body = localBody(bytes, localOffset, compressedSize, path);
    const data = method === METHOD_DEFLATED ? inflate(body, path) : body;
    if (data.length !== size) throw new ZipFormatError(`zip: "${path}" has the wrong size`);
    if (crc32(data) !== crc) throw new ZipFormatError(`zip: CRC-32 mismatch in "${path}"`);
    entries.push({
      path,
      isDirectory: path.endsWith('/'),
      mode: madeBy >> 8 === 3 ? externalAttributes >>> 16 : 0,
      method: method === METHOD_DEFLATED ? 'deflated' : 'stored',
      compressedSize,
      data: new Uint8Array(data),
    });
  }
  return entries;
}

function findEndOfCentralDirectory(bytes: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535: search backwards from the end.
  const lowest = Math.max(0, bytes.length - 22 - MAX_UINT16);
  for (let at = bytes.length - 22; at >= lowest; at--) {
    if (bytes.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) return at;
  }
  throw new ZipFormatError('zip: no end of central directory record (not a ZIP archive?)');
}

function localBody(bytes: Buffer, offset: number, compressedSize: number, path: string): Buffer {
  if (offset + 30 > bytes.length || bytes.readUInt32LE(offset) !== LOCAL_HEADER) {
    throw new ZipFormatError(`zip: local header of "${path}" is missing`);
  }
  // The local extra field may differ from the central one (zip writes different timestamps).
  const start = offset + 30 + bytes.readUInt16LE(offset + 26) + bytes.readUInt16LE(offset + 28);
  if (start + compressedSize > bytes.length) throw new ZipFormatError(`zip: "${path}" is truncated`);
  return bytes.subarray(start, start + compressedSize);
}

function inflate(body: Buffer, path: string): Buffer {
  try {
    return zlib.inflateRawSync(body);
  } catch (error) {
    throw new ZipFormatError(`zip: "${path}" does not inflate`, { cause: error });
  }
}

/**
 * Writes every entry of `archive` under `targetDir` (created if missing), as `unzip -d` would:
 * directories first, files with their stored permission bits (0644 when the archive has none).
 * Returns the paths of the files written, relative to `targetDir`.
 */
export function extractZip(archive: Uint8Array, targetDir: string): string[] {
  const root = resolve(targetDir);
  const written: string[] = [];
  for (const entry of readZip(archive)) {
    const target = join(root, entry.path);
    // readZip refused `..` and absolute paths already; this is the belt to those braces.
    if (target !== root && !target.startsWith(root + sep)) {
      throw new ZipFormatError(`zip: "${entry.path}" would land outside the target directory`);
    }
    if (entry.isDirectory) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, entry.data);
    const permissions = entry.mode & 0o777;
    chmodSync(target, permissions === 0 ? 0o644 : permissions);
    written.push(entry.path);
  }
  return written;
}
