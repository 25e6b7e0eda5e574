/**
 * What KMS envelope encryption costs in KMS calls, with KmsCipher's data-key caches
 * (defaults: 5 min, 1,000 uses, 100 decrypted keys) against no cache at all (a data key per
 * encryption, a KMS Decrypt per decryption), side by side in one run, through the local KMS
 * server and the real SDK KMSClient. A token operation is what a refresh costs the fleet: one
 * container seals the new token (encrypt) and another reads it from the store (decrypt).
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { KmsCipher } from '../../../layer/advanced.js';
import type { KmsCipherOptions } from '../../../layer/index.js';
import { startKms } from '../../local-stack/kms-server.js';
import { type BenchContext, type BenchSection, round } from '../section.js';

const ALIAS = 'alias/bench-kms-calls';
/** AWS KMS list price for symmetric requests: USD 0.03 per 10,000 (us-east-1, 2025). */
const USD_PER_REQUEST = 0.03 / 10_000;
const NO_CACHE: Partial<KmsCipherOptions> = { dataKeyMaxUses: 1, decryptCacheMaxEntries: 0 };

interface Variant {
  name: string;
  readers: number;
  options: Partial<KmsCipherOptions>;
}

const VARIANTS: Variant[] = [
  { name: 'cache (defaults), 1 reading container', readers: 1, options: {} },
  { name: 'cache (defaults), 10 reading containers', readers: 10, options: {} },
  { name: 'no cache, 10 reading containers', readers: 10, options: NO_CACHE },
];

interface Measured {
  generateDataKey: number;
  decrypt: number;
  msPerOperation: number;
}

export async function runKmsCalls(context: BenchContext): Promise<BenchSection> {
  const operations = context.quick ? 1_000 : 5_000;
  const kms = await startKms({ aliases: [ALIAS] });
  const clients: KMSClient[] = [];
  const cipher = (options: Partial<KmsCipherOptions>): KmsCipher => {
    const client = new KMSClient({
      endpoint: kms.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    clients.push(client);
    return new KmsCipher({ keyId: ALIAS, client, ...options });
  };
  try {
    const measured = new Map<string, Measured>();
    for (const variant of VARIANTS) {
      context.log(`  kms-calls: ${variant.name}, ${operations} operations`);
      const writer = cipher(variant.options);
      const readers = Array.from({ length: variant.readers }, () => cipher(variant.options));
      // Each cipher's first call loads the SDK and opens a connection: not what is counted.
      await writer.encrypt('warm-up', 'bench-warm-up');
      kms.resetStats();
      const started = performance.now();
      for (let i = 0; i < operations; i++) {
        const token = `token-${i}`;
        const envelope = await writer.encrypt(token, 'salesforce');
        const read = await readers[i % readers.length]!.decrypt(envelope, 'salesforce');
        if (read !== token) throw new Error('kms-calls: a round trip returned another token');
      }
      const elapsed = performance.now() - started;
      const { byOperation } = kms.stats();
      measured.set(variant.name, {
        generateDataKey: byOperation.GenerateDataKey ?? 0,
        decrypt: byOperation.Decrypt ?? 0,
        msPerOperation: elapsed / operations,
      });
    }

    const per1000 = (count: number): number => round((count * 1000) / operations);
    const rows = VARIANTS.map(({ name }) => {
      const m = measured.get(name)!;
      const calls = per1000(m.generateDataKey + m.decrypt);
      return [
        name,
        per1000(m.generateDataKey),
        per1000(m.decrypt),
        calls,
        round(calls * 1000 * USD_PER_REQUEST),
        round(m.msPerOperation),
      ];
    });
    const cached = measured.get(VARIANTS[1]!.name)!;
    const uncached = measured.get(VARIANTS[2]!.name)!;
    const saved =
      (uncached.generateDataKey + uncached.decrypt) / Math.max(1, cached.generateDataKey + cached.decrypt);
    return {
      id: 'kms-calls',
      title: 'KMS envelope encryption: KMS calls per 1,000 token operations',
      method: `${operations} token operations per configuration (one container encrypts a token, a reading container decrypts it, readers taken in turn), through the local KMS server and the real KMSClient; calls counted by the server, shown per 1,000 operations; cost at the KMS list price of USD 0.03 per 10,000 requests.`,
      tables: [
        {
          columns: [
            'configuration',
            'GenerateDataKey / 1,000',
            'Decrypt / 1,000',
            'KMS calls / 1,000',
            'USD per 1M operations',
            'ms per operation (local)',
          ],
          rows,
        },
      ],
      notes: [
        `The cache saves ${round(saved)}x the KMS calls with 10 reading containers. In a fleet, a refresh costs one GenerateDataKey in the refreshing container (none at all within its cache period) and one Decrypt in each container that reads the new token from the table; warm invocations cost none.`,
        'The local times exclude KMS network latency (a few ms per call on AWS): without the cache every store read and every commit pays it.',
      ],
      figures: { operations, measured: Object.fromEntries(measured) },
      checks: [
        {
          name: 'kms-calls: with the cache, at most one GenerateDataKey per dataKeyMaxUses (1,000) encrypts',
          ok: VARIANTS.slice(0, 2).every(
            ({ name }) => measured.get(name)!.generateDataKey <= Math.ceil(operations / 1000),
          ),
          detail: VARIANTS.map(({ name }) => `${name}: ${measured.get(name)!.generateDataKey}`).join('; '),
        },
        {
          name: 'kms-calls: with the cache, one Decrypt per reading container and data key',
          ok: cached.decrypt <= 10 * Math.ceil(operations / 1000),
          detail: `${cached.decrypt} Decrypt calls`,
        },
        {
          name: 'kms-calls: without the cache, one KMS call per encrypt and per decrypt',
          ok: uncached.generateDataKey === operations && uncached.decrypt === operations,
          detail: `${uncached.generateDataKey} GenerateDataKey, ${uncached.decrypt} Decrypt`,
        },
      ],
    };
  } finally {
    for (const client of clients) client.destroy();
    await kms.stop();
  }
}
