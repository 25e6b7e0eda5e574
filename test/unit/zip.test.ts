import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  checkEntryPath,
  crc32,
  extractZip,
  readZip,
  writeZip,
  type ZipFileInput,
  ZipFormatError,
} from '../../scripts/layer/zip.js';
import { tableCrc32 } from '../../scripts/layer/zip-format.js';

/** True when `command -v`-style probing finds the binary (its `-v` exits 0). */
function hasBinary(name: string): boolean {
  const probe = spawnSync(name, ['-v'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

const HAS_UNZIP = hasBinary('unzip');
const HAS_ZIP = hasBinary('zip');
const itWithUnzip = HAS_UNZIP ? it : it.skip;
const itWithZip = HAS_ZIP ? it : it.skip;

const text = (data: Uint8Array): string => Buffer.from(data).toString('utf8');

const FILES: ZipFileInput[] = [
  { path: 'nodejs/node_modules/pkg/package.json', data: JSON.stringify({ name: 'pkg', type: 'module' }) },
  { path: 'nodejs/node_modules/pkg/dist/index.js', data: 'export const answer = 42;\n'.repeat(40) },
  { path: 'nodejs/node_modules/pkg/bin/run', data: '#!/bin/sh\necho hi\n', mode: 0o755 },
  { path: 'nodejs/node_modules/pkg/empty.txt', data: '' },
];

let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'zip-test-'));
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('writeZip and readZip', () => {
  it('reads back every file with its bytes, its mode, and an entry for each parent directory', () => {
    const entries = readZip(writeZip(FILES));

    expect(entries.map((entry) => entry.path)).toEqual([
      'nodejs/',
      'nodejs/node_modules/',
      'nodejs/node_modules/pkg/',
      'nodejs/node_modules/pkg/bin/',
      'nodejs/node_modules/pkg/bin/run',
      'nodejs/node_modules/pkg/dist/',
      'nodejs/node_modules/pkg/dist/index.js',
      'nodejs/node_modules/pkg/empty.txt',
      'nodejs/node_modules/pkg/package.json',
    ]);
    const byPath = new Map(entries.map((entry) => [entry.path, entry]));
    for (const file of FILES) expect(text(byPath.get(file.path)!.data)).toBe(file.data);
    expect(byPath.get('nodejs/node_modules/pkg/bin/run')!.mode).toBe(0o100755);
    expect(byPath.get('nodejs/node_modules/pkg/package.json')!.mode).toBe(0o100644);
    expect(byPath.get('nodejs/')).toMatchObject({ isDirectory: true, mode: 0o040755 });
  });

  it('writes no directory entries when told not to', () => {
    const entries = readZip(writeZip(FILES, { directories: false }));

    expect(entries.every((entry) => !entry.isDirectory)).toBe(true);
    expect(entries).toHaveLength(FILES.length);
  });

  it('writes the same bytes for the same files, whatever their order', () => {
    const once = writeZip(FILES);
    const again = writeZip([...FILES].reverse());

    expect(Buffer.compare(Buffer.from(once), Buffer.from(again))).toBe(0);
  });

  it('deflates what compresses and stores what does not', () => {
    const random = randomBytes(4096);
    const entries = readZip(
      writeZip(
        [
          { path: 'text.js', data: 'const x = 1;\n'.repeat(500) },
          { path: 'noise.bin', data: random },
        ],
        { directories: false },
      ),
    );
    const byPath = new Map(entries.map((entry) => [entry.path, entry]));

    expect(byPath.get('text.js')).toMatchObject({ method: 'deflated' });
    expect(byPath.get('text.js')!.compressedSize).toBeLessThan(500);
    expect(byPath.get('noise.bin')).toMatchObject({ method: 'stored', compressedSize: random.length });
    expect(Buffer.compare(Buffer.from(byPath.get('noise.bin')!.data), random)).toBe(0);
  });

  it('round-trips a file name outside ASCII', () => {
    const [entry] = readZip(writeZip([{ path: 'données/résumé.txt', data: 'é' }], { directories: false }));

    expect(entry).toMatchObject({ path: 'données/résumé.txt' });
    expect(text(entry!.data)).toBe('é');
  });

  it('reads an archive with no entries as an empty list', () => {
    expect(readZip(writeZip([]))).toEqual([]);
  });

  it('refuses unsafe paths, duplicates and unknown options when writing', () => {
    for (const path of ['../x', '/etc/passwd', 'a//b', 'a/./b', 'C:/x', 'a\\b', '']) {
      expect(() => writeZip([{ path, data: 'x' }])).toThrow(TypeError);
    }
    expect(() => writeZip([FILES[0]!, FILES[0]!])).toThrow(/duplicate path/);
    expect(() => writeZip(FILES, { levle: 9 } as never)).toThrow('writeZip: unknown option "levle"');
    expect(() => writeZip(FILES, { level: 11 })).toThrow(/level/);
  });
});

describe('readZip on damaged or hostile archives', () => {
  it('reports a CRC-32 mismatch when a stored body was altered', () => {
    const archive = Buffer.from(writeZip([{ path: 'a.txt', data: 'abc' }], { directories: false }));
    // Stored (too small to deflate): the body follows the 30-byte header and the 5-byte name.
    archive[30 + 'a.txt'.length] = 'x'.charCodeAt(0);

    expect(() => readZip(archive)).toThrow(new ZipFormatError('zip: CRC-32 mismatch in "a.txt"'));
  });

  it('reports an archive cut short as having no end record', () => {
    const archive = writeZip(FILES);

    expect(() => readZip(archive.subarray(0, archive.length - 10))).toThrow(ZipFormatError);
    expect(() => readZip(new Uint8Array(0))).toThrow(ZipFormatError);
  });

  it('refuses an entry whose path climbs out of the target directory, and extracts nothing', () => {
    const archive = Buffer.from(writeZip([{ path: 'xx/evil.txt', data: 'owned' }], { directories: false }));
    // Rename the entry to ../evil.txt in both the local and the central header (same length).
    let at = archive.indexOf('xx/evil.txt');
    while (at !== -1) {
      archive.write('..', at, 'latin1');
      at = archive.indexOf('xx/evil.txt', at + 1);
    }
    const target = join(scratch, 'slip', 'inside');

    expect(() => extractZip(archive, target)).toThrow('zip: unsafe entry path "../evil.txt"');
    expect(existsSync(join(scratch, 'slip', 'evil.txt'))).toBe(false);
  });
});

describe('extractZip', () => {
  it('writes each file with its permission bits and returns the file paths', () => {
    const target = join(scratch, 'extract');
    const written = extractZip(writeZip(FILES), target);

    expect(written.sort()).toEqual(FILES.map((file) => file.path).sort());
    expect(readFileSync(join(target, 'nodejs/node_modules/pkg/package.json'), 'utf8')).toBe(FILES[0]!.data);
    expect(statSync(join(target, 'nodejs/node_modules/pkg/bin/run')).mode & 0o777).toBe(0o755);
    expect(statSync(join(target, 'nodejs/node_modules/pkg/empty.txt')).size).toBe(0);
  });
});

describe('crc32', () => {
  it('gives the check value of CRC-32/ISO-HDLC for "123456789"', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(tableCrc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('computes the same value by table as zlib does', () => {
    const data = randomBytes(10_000);
    expect(tableCrc32(data)).toBe(zlib.crc32(data));
  });

  it('accepts the paths a layer holds', () => {
    expect(() => checkEntryPath('nodejs/node_modules/@scope/pkg/index.js')).not.toThrow();
    expect(() => checkEntryPath('nodejs/')).not.toThrow();
  });
});

describe('interoperability with Info-ZIP', () => {
  itWithUnzip('passes `unzip -t`, and `unzip` extracts the same bytes', () => {
    const archive = join(scratch, 'ours.zip');
    writeFileSync(archive, writeZip(FILES));
    const check = spawnSync('unzip', ['-t', archive], { encoding: 'utf8' });

    expect(check.status).toBe(0);
    expect(check.stdout).toContain('No errors detected');
    const out = join(scratch, 'unzipped');
    expect(spawnSync('unzip', ['-q', archive, '-d', out]).status).toBe(0);
    for (const file of FILES) expect(readFileSync(join(out, file.path), 'utf8')).toBe(file.data);
    expect(statSync(join(out, 'nodejs/node_modules/pkg/bin/run')).mode & 0o777).toBe(0o755);
  });

  itWithZip('reads an archive written by `zip -r`, extra fields and all', () => {
    const source = join(scratch, 'zip-source');
    mkdirSync(join(source, 'dir', 'sub'), { recursive: true });
    writeFileSync(join(source, 'dir', 'sub', 'a.js'), 'export default 1;\n'.repeat(100));
    writeFileSync(join(source, 'dir', 'b.bin'), randomBytes(300));
    const archive = join(scratch, 'theirs.zip');
    // Without -X, zip writes its extra fields (timestamps, uid/gid), different in local and central headers.
    expect(spawnSync('zip', ['-q', '-r', archive, 'dir'], { cwd: source }).status).toBe(0);

    const entries = readZip(readFileSync(archive));
    const byPath = new Map(entries.map((entry) => [entry.path, entry]));

    expect([...byPath.keys()].sort()).toEqual(['dir/', 'dir/b.bin', 'dir/sub/', 'dir/sub/a.js']);
    expect(text(byPath.get('dir/sub/a.js')!.data)).toBe('export default 1;\n'.repeat(100));
    expect(byPath.get('dir/sub/a.js')).toMatchObject({ method: 'deflated' });
    expect(
      Buffer.compare(Buffer.from(byPath.get('dir/b.bin')!.data), readFileSync(join(source, 'dir', 'b.bin'))),
    ).toBe(0);
  });
});
