import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { countFound, SecretIndex } from '../../scripts/local-stack/secret-index.js';
import { MIN_SECRET_LENGTH, registerSecret } from '../../scripts/local-stack/secret-registry.js';
import { scanText, takeSecretHits } from '../support/secret-scan.js';
import { testSecret } from '../support/test-secrets.js';

/** Each test prints a registered value on purpose, then takes the hits so the setup file's afterEach passes. */
describe('the secret scan', () => {
  it('records a hit with the right label for console.log, process.stdout.write and process.stderr.write', () => {
    const value = testSecret('scan-demo');
    takeSecretHits();

    console.log('value:', value);
    process.stdout.write(`stdout ${value}\n`);
    process.stderr.write(Buffer.from(`stderr ${value}\n`));

    const hits = takeSecretHits();
    expect(hits).toContainEqual({ label: 'test:scan-demo', origin: 'console.log' });
    expect(hits).toContainEqual({ label: 'test:scan-demo', origin: 'stdout' });
    expect(hits).toContainEqual({ label: 'test:scan-demo', origin: 'stderr' });
    // Jest's verbose console also writes the line to stdout: no origin but these three.
    expect(hits.filter((hit) => !['console.log', 'stdout', 'stderr'].includes(hit.origin))).toEqual([]);
  });

  it('catches console.error and a value printed inside an object', () => {
    const value = testSecret('in-object');

    console.error({ nested: { token: value } });

    expect(takeSecretHits()).toContainEqual({ label: 'test:in-object', origin: 'console.error' });
  });

  it('catches a value split across two writes of the same stream', () => {
    const value = testSecret('split');
    const cut = Math.floor(value.length / 2);

    process.stdout.write(`first half ${value.slice(0, cut)}`);
    expect(takeSecretHits()).toEqual([]);
    process.stdout.write(`${value.slice(cut)} second half\n`);

    expect(takeSecretHits()).toEqual([{ label: 'test:split', origin: 'stdout' }]);
  });

  it('does not join the halves of a value written to two different streams', () => {
    const value = testSecret('two-streams');
    const cut = Math.floor(value.length / 2);

    process.stdout.write(`${value.slice(0, cut)}\n`);
    process.stderr.write(`${value.slice(cut)}\n`);

    expect(takeSecretHits()).toEqual([]);
  });

  it('finds a value with text around it, and names only the label in what it records', () => {
    const value = testSecret('surrounded');

    scanText(`{"level":"INFO","message":"fetched","token":"${value}","more":1}`, 'child stdout');

    const hits = takeSecretHits();
    expect(hits).toEqual([{ label: 'test:surrounded', origin: 'child stdout' }]);
    expect(JSON.stringify(hits)).not.toContain(value);
  });

  it('does not register values shorter than MIN_SECRET_LENGTH', () => {
    const short = randomBytes(16)
      .toString('hex')
      .slice(0, MIN_SECRET_LENGTH - 1);
    registerSecret(short, 'test:short');

    scanText(`short value: ${short}`, 'child stdout');

    expect(takeSecretHits()).toEqual([]);
  });

  it('reports nothing for output that holds no registered value', () => {
    testSecret('unprinted');

    console.log('an ordinary line with a token-looking string', randomBytes(24).toString('base64url'));

    expect(takeSecretHits()).toEqual([]);
  });
});

describe('SecretIndex', () => {
  it('finds every one of thousands of values, each at its place, and nothing else', () => {
    const index = new SecretIndex();
    const values = Array.from({ length: 5000 }, () => randomBytes(32).toString('base64url'));
    for (const [i, value] of values.entries()) index.add(value, `token-${i}`);
    const printed = [values[0], values[2500], values[4999]];

    const found = index.find(`a ${printed[0]} b ${printed[1]}, c:${printed[2]}.`);

    expect(found).toEqual(['token-0', 'token-2500', 'token-4999']);
  });

  it('tells apart values that share their first twelve characters', () => {
    const index = new SecretIndex();
    const stem = randomBytes(9).toString('base64url');
    index.add(`${stem}-first-value`, 'first');
    index.add(`${stem}-second-value`, 'second');

    expect(index.find(`x ${stem}-second-value y`)).toEqual(['second']);
    expect(index.find(`x ${stem}-third-value y`)).toEqual([]);
  });

  it('reports from a look-back only the values that end in the new text', () => {
    const index = new SecretIndex();
    const value = randomBytes(20).toString('hex');
    index.add(value, 'v');
    const lookBack = `old ${value} `;

    expect(index.find(`${lookBack}new text`, lookBack.length)).toEqual([]);
    expect(index.find(`old ${value}`, 5)).toEqual(['v']);
  });
});

describe('countFound', () => {
  it('counts each value found once, however often it is printed, short values included', () => {
    const long = randomBytes(20).toString('hex');
    const other = randomBytes(20).toString('hex');
    const short = 'short-one';
    const text = `a ${long} b ${long} c ${short}`;

    expect(countFound(text, [long, other, short])).toBe(2);
    expect(countFound(text, [other])).toBe(0);
  });
});
