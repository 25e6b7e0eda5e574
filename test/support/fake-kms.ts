import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { expect } from '@jest/globals';

type Context = Record<string, string>;

/**
 * A KMS in one process (the real SDK commands, a fake `send`): wraps data keys with AES-GCM under
 * a master key, the encryption context (sorted) as AAD, as KMS binds them. Checks every call names
 * `keyId`; counts calls and records their contexts; can hold GenerateDataKey answers and fail calls.
 */
export class FakeKms {
  readonly master = randomBytes(32);
  readonly calls = { GenerateDataKey: 0, Decrypt: 0 };
  readonly contexts: Context[] = [];
  /** Every plaintext data key handed out, as returned (the cipher must zero-fill these). */
  readonly issued: Uint8Array[] = [];
  /** Their bytes, copied before the cipher saw them: what must never leak. */
  readonly issuedHex: string[] = [];
  /** Error names the next calls fail with, one per call, in order. */
  readonly failures: string[] = [];
  private held: (() => void)[] | undefined;

  /** @param keyId the key id every command must name: the cipher's `keyId`. */
  constructor(readonly keyId: string) {}

  /** Holds every GenerateDataKey answer until `release`. */
  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const go of held) go();
  }

  async send(command: unknown): Promise<unknown> {
    if (command instanceof GenerateDataKeyCommand) {
      this.calls.GenerateDataKey++;
      const input = command.input;
      this.contexts.push({ ...input.EncryptionContext });
      expect(input).toMatchObject({ KeyId: this.keyId, KeySpec: 'AES_256' });
      if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
      this.failIfAsked();
      const plaintext = new Uint8Array(randomBytes(32));
      this.issued.push(plaintext);
      this.issuedHex.push(Buffer.from(plaintext).toString('hex'));
      return { Plaintext: plaintext, CiphertextBlob: this.wrap(plaintext, input.EncryptionContext ?? {}) };
    }
    if (command instanceof DecryptCommand) {
      this.calls.Decrypt++;
      const input = command.input;
      this.contexts.push({ ...input.EncryptionContext });
      expect(input.KeyId).toBe(this.keyId);
      this.failIfAsked();
      return { Plaintext: this.unwrap(input.CiphertextBlob!, input.EncryptionContext ?? {}) };
    }
    throw new Error('unexpected command');
  }

  private failIfAsked(): void {
    const name = this.failures.shift();
    if (name !== undefined) throw Object.assign(new Error(`injected ${name}`), { name });
  }

  private wrap(plaintext: Uint8Array, context: Context): Uint8Array {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.master, iv);
    cipher.setAAD(canonical(context));
    return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }

  private unwrap(blob: Uint8Array, context: Context): Uint8Array {
    try {
      const bytes = Buffer.from(blob);
      const decipher = createDecipheriv('aes-256-gcm', this.master, bytes.subarray(0, 12));
      decipher.setAAD(canonical(context));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(12, -16)), decipher.final()]));
    } catch {
      // What KMS answers for a blob that is not its own under this context.
      throw Object.assign(new Error('fake KMS refused the blob'), { name: 'InvalidCiphertextException' });
    }
  }
}

/** The encryption context as AAD: its entries sorted by key (code units), as JSON. */
const canonical = (context: Context): Buffer =>
  Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
