import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { strToU8, zipSync } from 'fflate';
import {
  extractZip,
  readZip,
  UnsafeZipEntryError,
  writeZip,
  type ZipFileInput,
} from '../../scripts/layer/zip.js';

/** True when the binary runs (Info-ZIP's `-v` exits 0); the interoperability tests need it. */
function hasBinary(name: string): boolean {
  const probe = spawnSync(name, ['-v'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

const itWithUnzip = hasBinary('unzip') ? it : it.skip;
const itWithZipinfo = hasBinary('zipinfo') ? it : it.skip;
const itWithZip = hasBinary('zip') ? it : it.skip;

const text = (data: Uint8Array): string => Buffer.from(data).toString('utf8');
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

const FILES: ZipFileInput[] = [
  { path: 'nodejs/node_modules/pkg/package.json', data: JSON.stringify({ name: 'pkg', type: 'module' }) },
  { path: 'nodejs/node_modules/pkg/dist/index.js', data: 'export const answer = 42;\n'.repeat(40) },
  { path: 'nodejs/node_modules/pkg/empty.txt', data: '' },
];

let scratch: string;
const savedTimeZone = process.env.TZ;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'zip-test-'));
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

afterEach(() => {
  if (savedTimeZone === undefined) delete process.env.TZ;
  else process.env.TZ = savedTimeZone;
});

describe('writeZip and readZip', () => {
  it('reads back every file with its bytes, after an entry for each parent directory, in path order', () => {
    const entries = readZip(writeZip(FILES));

    expect(entries.map((entry) => entry.path)).toEqual([
      'nodejs/',
      'nodejs/node_modules/',
      'nodejs/node_modules/pkg/',
      'nodejs/node_modules/pkg/dist/',
      'nodejs/node_modules/pkg/dist/index.js',
      'nodejs/node_modules/pkg/empty.txt',
      'nodejs/node_modules/pkg/package.json',
    ]);
    const byPath = new Map(entries.map((entry) => [entry.path, entry]));
    for (const file of FILES) expect(text(byPath.get(file.path)!.data)).toBe(file.data);
    expect(byPath.get('nodejs/')).toMatchObject({ isDirectory: true, data: new Uint8Array(0) });
  });

  it('writes the same bytes for the same files, whatever their order and the time zone', () => {
    process.env.TZ = 'UTC';
    const once = writeZip(FILES);
    process.env.TZ = 'Pacific/Kiritimati';
    const again = writeZip([...FILES].reverse());

    expect(same(once, again)).toBe(true);
  });

  it('round-trips a file name outside ASCII', () => {
    const [entry] = readZip(writeZip([{ path: 'données/résumé.txt', data: 'é' }])).filter(
      (found) => !found.isDirectory,
    );

    expect(entry).toMatchObject({ path: 'données/résumé.txt' });
    expect(text(entry!.data)).toBe('é');
  });

  it('reads an archive with no entries as an empty list', () => {
    expect(readZip(writeZip([]))).toEqual([]);
  });

  it('refuses to write an unsafe path, naming it and what is wrong', () => {
    expect(() => writeZip([{ path: '../x', data: 'x' }])).toThrow(
      new TypeError('writeZip: path "../x" climbs out of its directory (..)'),
    );
    expect(() => writeZip([{ path: '/etc/passwd', data: 'x' }])).toThrow('"/etc/passwd" is absolute');
    expect(() => writeZip([{ path: 'a\\b', data: 'x' }])).toThrow('contains a backslash');
    expect(() => writeZip([{ path: 'dir/', data: 'x' }])).toThrow('"dir/" ends in /');
  });

  it('refuses a path given twice and a path of digits only (an object would reorder it)', () => {
    expect(() => writeZip([FILES[0]!, FILES[0]!])).toThrow(`writeZip: duplicate path "${FILES[0]!.path}"`);
    expect(() => writeZip([{ path: '2024', data: 'x' }])).toThrow('"2024" is all digits');
  });
});

describe('readZip and extractZip on a hostile archive', () => {
  // Written with fflate directly: writeZip would refuse these paths.
  const hostile = (path: string): Uint8Array =>
    zipSync({ 'ok/first.txt': strToU8('fine'), [path]: strToU8('owned') });
  let targets = 0;

  it.each([
    ['an absolute path', '/tmp/evil.txt', 'is absolute'],
    ['a path that climbs out with ..', '../evil.txt', 'climbs out of its directory (..)'],
    ['a .. inside the path', 'ok/../../evil.txt', 'climbs out of its directory (..)'],
    ['a backslash', '..\\evil.txt', 'contains a backslash (a separator on Windows)'],
    ['a drive letter', 'C:/evil.txt', 'starts with a drive letter'],
    ['an empty segment', 'ok//evil.txt', 'has an empty or "." segment'],
    ['a NUL byte', 'ok/evil.txt\0.js', 'contains a NUL byte'],
  ])('refuses %s, naming the entry, and extracts nothing', (_what, path, reason) => {
    targets += 1;
    const target = join(scratch, 'hostile', String(targets), 'inside');
    const archive = hostile(path);

    expect(() => readZip(archive)).toThrow(
      new UnsafeZipEntryError(`zip: entry "${path}" ${reason}: refused`),
    );
    expect(() => extractZip(archive, target)).toThrow(UnsafeZipEntryError);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(target, '..', 'evil.txt'))).toBe(false);
  });

  it('refuses bytes that are not a ZIP archive', () => {
    expect(() => readZip(strToU8('not a zip at all, not even close to one'))).toThrow();
  });
});

describe('extractZip', () => {
  it('writes each file and returns the file paths', () => {
    const target = join(scratch, 'extract');
    const written = extractZip(writeZip(FILES), target);

    expect(written.sort()).toEqual(FILES.map((file) => file.path).sort());
    expect(readFileSync(join(target, 'nodejs/node_modules/pkg/package.json'), 'utf8')).toBe(FILES[0]!.data);
    expect(readFileSync(join(target, 'nodejs/node_modules/pkg/empty.txt'), 'utf8')).toBe('');
    expect(readdirSync(join(target, 'nodejs/node_modules/pkg')).sort()).toEqual([
      'dist',
      'empty.txt',
      'package.json',
    ]);
  });
});

describe('interoperability with Info-ZIP', () => {
  itWithZipinfo('stores Unix modes 0644 and 0755 and the fixed time, as zipinfo lists them', () => {
    const archive = join(scratch, 'listed.zip');
    writeFileSync(archive, writeZip(FILES));

    const listing = spawnSync('zipinfo', [archive], { encoding: 'utf8' });
    const lines = listing.stdout.split('\n').filter((line) => / unx /.test(line));

    expect(lines).toHaveLength(7);
    for (const line of lines) {
      const mode = line.endsWith('/') ? 'drwxr-xr-x' : '-rw-r--r--';
      expect(line).toMatch(new RegExp(`^${mode} .* 80-Jan-01 00:00 `));
    }
  });

  itWithUnzip('passes `unzip -t`, and `unzip` extracts the same bytes', () => {
    const archive = join(scratch, 'ours.zip');
    writeFileSync(archive, writeZip(FILES));
    const check = spawnSync('unzip', ['-t', archive], { encoding: 'utf8' });

    expect(check.status).toBe(0);
    expect(check.stdout).toContain('No errors detected');
    const out = join(scratch, 'unzipped');
    expect(spawnSync('unzip', ['-q', archive, '-d', out]).status).toBe(0);
    for (const file of FILES) expect(readFileSync(join(out, file.path), 'utf8')).toBe(file.data);
  });

  itWithZip('reads an archive written by `zip -r`, extra fields and all', () => {
    const source = join(scratch, 'zip-source');
    mkdirSync(join(source, 'dir', 'sub'), { recursive: true });
    writeFileSync(join(source, 'dir', 'sub', 'a.js'), 'export default 1;\n'.repeat(100));
    const archive = join(scratch, 'theirs.zip');
    expect(spawnSync('zip', ['-q', '-r', archive, 'dir'], { cwd: source }).status).toBe(0);

    const entries = readZip(readFileSync(archive));

    expect(entries.map((entry) => entry.path).sort()).toEqual(['dir/', 'dir/sub/', 'dir/sub/a.js']);
    expect(text(entries.find((entry) => entry.path === 'dir/sub/a.js')!.data)).toBe(
      'export default 1;\n'.repeat(100),
    );
  });
});
