/**
 * KmsCipher's two caches of plaintext data keys, both per container:
 * - encrypt: one data key per tokenType, replaced when it is `maxAgeMs` old or has sealed
 *   `maxUses` tokens. Concurrent callers share the GenerateDataKey in flight, so a burst of
 *   encrypts costs one KMS call, not one each.
 * - decrypt: data keys by their KMS ciphertext and tokenType (least recently used evicted past
 *   `decryptMaxEntries`, dropped at `maxAgeMs`), so reading a token again costs no KMS call.
 *   The tokenType is part of the entry's name: another tokenType (another encryption context)
 *   always goes to KMS, which checks the context itself. A data key this container generated
 *   enters it too: the writer of a token never asks KMS to decrypt it.
 * Keys are KeyObjects; the plaintext bytes KMS returned are zero-filled once copied into one.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { Clock } from '../time/clock.js';
import type { EncryptionContext, GeneratedDataKey } from './kms-data-keys.js';

/** A generated data key in use for encryption. */
export interface EncryptionDataKey {
  readonly key: KeyObject;
  /** What the envelope carries. */
  readonly encrypted: Uint8Array;
  readonly createdAt: number;
  uses: number;
}

export interface KmsDataKeyCacheOptions {
  clock: Clock;
  maxAgeMs: number;
  maxUses: number;
  /** 0: no decrypt cache (every decrypt asks KMS). */
  decryptMaxEntries: number;
  generate(context: EncryptionContext): Promise<GeneratedDataKey>;
  decrypt(encrypted: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
}

/** Encrypt keys kept at most, one per tokenType: a container serving many tenants stays bounded. */
const MAX_ENCRYPT_KEYS = 1000;

export class KmsDataKeyCache {
  readonly #options: KmsDataKeyCacheOptions;
  readonly #encryptKeys = new Map<string, EncryptionDataKey>();
  readonly #generating = new Map<string, Promise<EncryptionDataKey>>();
  readonly #decrypted = new Map<string, { key: KeyObject; at: number }>();
  readonly #decrypting = new Map<string, Promise<KeyObject>>();

  constructor(options: KmsDataKeyCacheOptions) {
    this.#options = options;
  }

  /** A data key for one more encryption for `tokenType`; counts the use. */
  async keyForEncrypt(tokenType: string, context: EncryptionContext): Promise<EncryptionDataKey> {
    const { clock, maxAgeMs, maxUses } = this.#options;
    const cached = this.#encryptKeys.get(tokenType);
    if (cached && clock.now() - cached.createdAt < maxAgeMs && cached.uses < maxUses) {
      cached.uses++;
      return cached;
    }
    for (;;) {
      const fresh = await (this.#generating.get(tokenType) ?? this.#generate(tokenType, context));
      // A key just generated is young by definition (the age is not checked again, or a KMS call
      // slower than maxAgeMs would loop forever); its uses can run out among the callers that
      // waited for it, and then the next ones generate another.
      if (fresh.uses < maxUses) {
        fresh.uses++;
        return fresh;
      }
    }
  }

  /** The data key an envelope carries, from the cache or from KMS Decrypt (concurrent callers share the call). */
  async keyForDecrypt(
    encrypted: Uint8Array,
    tokenType: string,
    context: EncryptionContext,
  ): Promise<KeyObject> {
    const name = decryptEntryName(encrypted, tokenType);
    const hit = this.#decrypted.get(name);
    if (hit) {
      if (this.#options.clock.now() - hit.at < this.#options.maxAgeMs) {
        this.#remember(name, hit.key, hit.at); // most recently used now
        return hit.key;
      }
      this.#decrypted.delete(name);
    }
    const inFlight = this.#decrypting.get(name);
    if (inFlight) return inFlight;
    const copy = Uint8Array.from(encrypted);
    // Started from a resolved promise, so the map entry is set before any callback can delete it.
    const pending = Promise.resolve()
      .then(() => this.#options.decrypt(copy, context))
      .then((plaintext) => {
        const key = keyObjectOf(plaintext);
        this.#remember(name, key, this.#options.clock.now());
        return key;
      })
      .finally(() => this.#decrypting.delete(name));
    this.#decrypting.set(name, pending);
    return pending;
  }

  #generate(tokenType: string, context: EncryptionContext): Promise<EncryptionDataKey> {
    const pending = Promise.resolve()
      .then(() => this.#options.generate(context))
      .then(({ plaintext, encrypted }) => {
        const entry: EncryptionDataKey = {
          key: keyObjectOf(plaintext),
          encrypted: Uint8Array.from(encrypted),
          createdAt: this.#options.clock.now(),
          uses: 0,
        };
        this.#encryptKeys.delete(tokenType);
        this.#encryptKeys.set(tokenType, entry);
        if (this.#encryptKeys.size > MAX_ENCRYPT_KEYS) this.#encryptKeys.delete(firstKey(this.#encryptKeys)!);
        this.#remember(decryptEntryName(entry.encrypted, tokenType), entry.key, entry.createdAt);
        return entry;
      })
      // Runs before `pending` settles: whoever awaited it finds the map free for the next call.
      .finally(() => this.#generating.delete(tokenType));
    this.#generating.set(tokenType, pending);
    return pending;
  }

  #remember(name: string, key: KeyObject, at: number): void {
    const max = this.#options.decryptMaxEntries;
    if (max === 0) return;
    this.#decrypted.delete(name);
    this.#decrypted.set(name, { key, at });
    while (this.#decrypted.size > max) this.#decrypted.delete(firstKey(this.#decrypted)!);
  }
}

/** createSecretKey copies the bytes; the caller's copy is zero-filled so only the KeyObject holds them. */
function keyObjectOf(bytes: Uint8Array): KeyObject {
  try {
    return createSecretKey(bytes);
  } finally {
    bytes.fill(0);
  }
}

// Base64 holds no space, so "<ciphertext> <tokenType>" names one pair only.
function decryptEntryName(encrypted: Uint8Array, tokenType: string): string {
  return `${Buffer.from(encrypted.buffer, encrypted.byteOffset, encrypted.length).toString('base64')} ${tokenType}`;
}

function firstKey<K>(map: Map<K, unknown>): K | undefined {
  return map.keys().next().value;
}
