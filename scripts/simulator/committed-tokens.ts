/**
 * Which tokens were ever committed to the table, seen from the DynamoDB proxy: so the run can count
 * the tokens shown to the data API that never were (served without a commit; must be 0).
 */
import { SaltCipher } from '../../layer/advanced.js';
import type { DynamoAnswer } from '../local-stack/dynamo-proxy.js';

/** The `accessToken` attribute of an item in DynamoDB's JSON. */
type StoredItem = { accessToken?: { S?: string } };

export class CommittedTokens {
  private readonly ciphertexts = new Set<string>();

  /**
   * For the proxy's `onAnswer`: every ciphertext an answer of the engine shows was in the table,
   * a committed token. Answers dropped on the way to the client count (the write applied), and so
   * do failed conditions, whose ALL_OLD item is the table as it was.
   */
  readonly record = ({ body }: DynamoAnswer): void => {
    if (!body.includes('"accessToken"')) return;
    const answer = JSON.parse(body) as { Item?: StoredItem; Attributes?: StoredItem };
    const ciphertext = (answer.Item ?? answer.Attributes)?.accessToken?.S;
    if (ciphertext) this.ciphertexts.add(ciphertext);
  };

  /**
   * Presented tokens that are not the plaintext of any ciphertext the table held (salt cipher
   * only), opened with every key the secret held during the run (a rotation adds keys).
   */
  async countUncommitted(presented: string[], keys: readonly string[], tokenType: string): Promise<number> {
    const cipher = new SaltCipher({ keys: [...new Set(keys)] });
    const committed = new Set<string>();
    for (const ciphertext of this.ciphertexts) {
      // A seeded bad item (tampered, swapped) decrypts to nothing: it was never a token.
      const plaintext = await cipher.decrypt(ciphertext, tokenType).catch(() => undefined);
      if (plaintext !== undefined) committed.add(plaintext);
    }
    return presented.filter((token) => !committed.has(token)).length;
  }
}
