/**
 * One item as `status` reads it (cli/status/token-status.ts, envelope-key.ts, status-render.ts):
 * each attribute in its own unit, against one fixed `now`; what is wrong with a hand-edited item
 * named, never thrown; nothing secret kept.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { renderStatus } from '../../cli/status/status-render.js';
import { tokenStatus } from '../../cli/status/token-status.js';
import { envelopeHeader } from '../../layer/crypto/kms-envelope.js';
import { SaltCipher } from '../../layer/crypto/salt-cipher.js';
import { testSecret } from '../support/test-secrets.js';

const NOW = Date.UTC(2030, 5, 1, 12, 0, 0);
const NOW_S = NOW / 1000;
const cipher = new SaltCipher({ keys: [testSecret('cli-token-status:key')] });

const n = (value: number): AttributeValue => ({ N: String(value) });
const s = (value: string): AttributeValue => ({ S: value });

async function soundItem(
  extra: Record<string, AttributeValue> = {},
): Promise<Record<string, AttributeValue>> {
  return {
    tokenType: s('salesforce'),
    accessToken: s(await cipher.encrypt(testSecret('cli-token-status:token'), 'salesforce')),
    expiresAt: n(NOW_S + 3_000),
    updatedAt: n(NOW_S - 600),
    updating: { BOOL: false },
    version: n(12),
    ...extra,
  };
}

/** A KmsCipher envelope's bytes: header with the encrypted data key, IV, ciphertext, tag. */
function kmsEnvelope(encryptedKey: Buffer): string {
  return Buffer.concat([
    envelopeHeader(encryptedKey),
    randomBytes(12),
    randomBytes(20),
    randomBytes(16),
  ]).toString('base64');
}

describe('tokenStatus', () => {
  it('reads a committed item: times from epoch seconds, the key id of its envelope, no problems', async () => {
    const item = await soundItem({ refreshMs: n(84.6), refreshDeviationMs: n(9.2) });

    const status = tokenStatus(item, NOW);

    expect(status).toEqual({
      tokenType: 'salesforce',
      version: 12,
      hasToken: true,
      expiresAt: new Date((NOW_S + 3_000) * 1000).toISOString(),
      expiresInSeconds: 3_000,
      updatedAt: new Date((NOW_S - 600) * 1000).toISOString(),
      updatedSecondsAgo: 600,
      lease: null,
      backoff: null,
      refreshMs: 84.6,
      refreshDeviationMs: 9.2,
      key: { cipher: 'salt', keyId: cipher.keyIds()[0] },
      refreshTokenStored: false,
      rejectedVersion: null,
      problems: [],
    });
    expect(JSON.stringify(status)).not.toContain(item.accessToken!.S!);
  });

  it('names a KMS envelope by the SHA-256 of its encrypted data key, and says a refresh token is stored', async () => {
    const encryptedKey = randomBytes(184);
    const item = await soundItem({
      accessToken: s(kmsEnvelope(encryptedKey)),
      refreshToken: s(kmsEnvelope(encryptedKey)),
    });

    const status = tokenStatus(item, NOW);

    expect(status.key).toEqual({
      cipher: 'kms',
      dataKeyFingerprint: createHash('sha256').update(encryptedKey).digest('hex').slice(0, 8),
    });
    expect(status.refreshTokenStored).toBe(true);
    expect(status.problems).toEqual([]);
  });

  it('tells a live lease from one that has ended, in epoch milliseconds', async () => {
    const live = tokenStatus(
      await soundItem({
        updating: { BOOL: true },
        lockOwner: s('fn:ab12cd34:3'),
        lockExpiresAt: n(NOW + 8_000),
        lockClaimedAt: n(NOW - 2_000),
      }),
      NOW,
    );
    const ended = tokenStatus(
      await soundItem({
        updating: { BOOL: true },
        lockOwner: s('fn:ab12cd34:3'),
        lockExpiresAt: n(NOW - 5_000),
      }),
      NOW,
    );

    expect(live.lease).toEqual({
      owner: 'fn:ab12cd34:3',
      claimedAt: new Date(NOW - 2_000).toISOString(),
      endsAt: new Date(NOW + 8_000).toISOString(),
      endsInMs: 8_000,
      live: true,
    });
    expect(ended.lease).toMatchObject({ live: false, endsInMs: -5_000 });
  });

  it('reads the shared back-off: on until retryAfter, off after it', async () => {
    const on = tokenStatus(await soundItem({ failures: n(3), retryAfter: n(NOW + 25_000) }), NOW);
    const off = tokenStatus(await soundItem({ failures: n(1), retryAfter: n(NOW - 1) }), NOW);

    expect(on.backoff).toEqual({
      failures: 3,
      retryAfter: new Date(NOW + 25_000).toISOString(),
      retryInMs: 25_000,
      active: true,
    });
    expect(off.backoff).toMatchObject({ failures: 1, active: false });
  });

  it('reads an item written before versions existed as version 0, as the store does', async () => {
    const { version: _version, ...item } = await soundItem();

    expect(tokenStatus(item, NOW)).toMatchObject({ version: 0, problems: [] });
  });

  it('names the unit trap in both directions instead of showing a date 1000 times off', async () => {
    const status = tokenStatus(
      await soundItem({
        expiresAt: n(NOW + 3_000_000),
        updating: { BOOL: true },
        lockExpiresAt: n(NOW_S + 10),
      }),
      NOW,
    );

    expect(status).toMatchObject({ expiresAt: null, expiresInSeconds: null });
    expect(status.lease).toMatchObject({ endsAt: null, live: false });
    expect(status.problems).toEqual([
      'expiresAt looks like epoch milliseconds, but the layer writes epoch seconds here (the table TTL reads seconds)',
      'lockExpiresAt looks like epoch seconds, but the layer writes epoch milliseconds here',
    ]);
  });

  it('names wrong types and unreadable envelopes, without a value', async () => {
    const salt = Buffer.from(await cipher.encrypt('x'.repeat(20), 'salesforce'), 'base64');
    const status = tokenStatus(
      {
        tokenType: s('edited'),
        version: n(-1),
        updating: s('yes'),
        failures: n(1.5),
        accessToken: s(Buffer.concat([Buffer.from([7]), salt.subarray(1)]).toString('base64')),
        refreshToken: s(salt.subarray(0, 10).toString('base64')),
        refreshMs: s('fast'),
      },
      NOW,
    );

    expect(status.problems).toEqual([
      'version is not a whole number of at least 0',
      'accessToken has envelope format 7; this code reads 1 (SaltCipher) and 2 (KmsCipher)',
      'refreshToken is truncated: too short for a SaltCipher envelope',
      'updating is of type S, but the layer writes a boolean (BOOL)',
      'failures is not a whole number of at least 0',
      'refreshMs is of type S, but the layer writes a number of milliseconds (N)',
    ]);
    expect(status.key).toBeNull();
  });
});

describe('renderStatus', () => {
  it('writes an expired token, an ended lease and a back-off that is over as an operator reads them', async () => {
    const status = tokenStatus(
      await soundItem({
        expiresAt: n(NOW_S - 120),
        updating: { BOOL: true },
        lockOwner: s('fn:ab12cd34:3'),
        lockExpiresAt: n(NOW - 5_000),
        failures: n(2),
        retryAfter: n(NOW - 1_000),
      }),
      NOW,
    );

    const text = renderStatus('t-access-tokens', [status], NOW);

    const row = text.split('\n').find((line) => line.startsWith('salesforce'));
    expect(row).toContain('expired 2m 0s ago');
    expect(row).toContain('10m 0s ago');
    expect(row).toContain('ended 5.0s ago (fn:ab12cd34:3): the next caller takes over');
    expect(row).toContain('2 failures, retry allowed');
    expect(text).toContain('0 valid, 1 expired, 0 live lease(s), 0 in back-off, 0 with problems.');
  });

  it('says so when the table is empty', () => {
    expect(renderStatus('t-access-tokens', [], NOW)).toBe(
      'Table t-access-tokens at 2030-06-01T12:00:00.000Z: no items. ' +
        'No tokenType has been refreshed yet (or TTL deleted the expired ones).\n',
    );
  });
});
