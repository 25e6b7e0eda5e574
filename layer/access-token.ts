const REDACTED = '[redacted]';

/**
 * A token handed to callers. The value is reachable only through `.value`: logging,
 * `JSON.stringify`, `String()` and `util.inspect` show the metadata and `[redacted]`,
 * so an accidental `logger.info({ token })` leaks nothing (invariant I4).
 */
export class AccessToken {
  readonly #value: string;

  constructor(
    readonly tokenType: string,
    value: string,
    /** Epoch milliseconds. */
    readonly expiresAt: number,
    /** The committed generation this token belongs to; pass it back to `refreshRejected`. */
    readonly version: number,
    /**
     * Epoch milliseconds when this generation was committed (the item's `updatedAt`), when known:
     * `expiresAt - issuedAt` is the token's own life, which bounds the refresh-ahead window.
     */
    readonly issuedAt?: number,
  ) {
    this.#value = value;
  }

  /** The secret: put it in the Authorization header, nowhere else. */
  get value(): string {
    return this.#value;
  }

  toJSON(): Record<string, unknown> {
    return { tokenType: this.tokenType, version: this.version, expiresAt: this.expiresAt, value: REDACTED };
  }

  toString(): string {
    return `AccessToken(${this.tokenType} v${this.version})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AccessToken { tokenType: '${this.tokenType}', version: ${this.version}, expiresAt: ${this.expiresAt}, value: '${REDACTED}' }`;
  }
}
