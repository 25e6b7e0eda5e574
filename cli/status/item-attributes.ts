/**
 * Reads the attributes of a token item as DynamoDB returns them (`{ N: "12" }`), one by one, with
 * the type and the unit each must have (docs/how-it-works.md, Units). A hand-edited item is read as
 * far as it goes: each attribute that is not what the layer writes adds a problem saying which and
 * why, naming the attribute and its type, never its value.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type RawItem = Record<string, AttributeValue>;

/**
 * The smallest epoch in milliseconds this reads (1973); epoch seconds stay below it until the year
 * 5138. So a value is in the wrong unit when it is on the wrong side of it: the known trap.
 */
export const SMALLEST_EPOCH_MS = 1e11;

/** The DynamoDB type of an attribute value: `S`, `N`, `BOOL`, ... */
export function attributeType(value: AttributeValue): string {
  const type = Object.keys(value).find(
    (key) => (value as unknown as Record<string, unknown>)[key] !== undefined,
  );
  return type ?? '?';
}

/** Reads the attributes of one item, collecting what is wrong with them. */
export class ItemReader {
  readonly problems: string[] = [];

  constructor(private readonly item: RawItem) {}

  has(name: string): boolean {
    return this.item[name] !== undefined;
  }

  string(name: string): string | undefined {
    const value = this.item[name];
    if (value === undefined) return undefined;
    if (value.S !== undefined) return value.S;
    return this.wrongType(name, value, 'a string (S)');
  }

  boolean(name: string): boolean | undefined {
    const value = this.item[name];
    if (value === undefined) return undefined;
    if (value.BOOL !== undefined) return value.BOOL;
    return this.wrongType(name, value, 'a boolean (BOOL)');
  }

  /** A whole number of at least 0: version, failures. */
  count(name: string): number | undefined {
    const value = this.number(name, 'a whole number (N)');
    if (value === undefined) return undefined;
    if (!Number.isSafeInteger(value) || value < 0)
      return this.problem(`${name} is not a whole number of at least 0`);
    return value;
  }

  /** A duration in milliseconds, at least 0: refreshMs, refreshDeviationMs. */
  durationMs(name: string): number | undefined {
    const value = this.number(name, 'a number of milliseconds (N)');
    if (value === undefined) return undefined;
    if (value < 0) return this.problem(`${name} is negative, but it is a duration in milliseconds`);
    return value;
  }

  /** Epoch SECONDS (expiresAt, updatedAt): a value that looks like milliseconds is the known trap. */
  epochSeconds(name: string): number | undefined {
    const value = this.number(name, 'a number (N) of epoch seconds');
    if (value === undefined) return undefined;
    if (value >= SMALLEST_EPOCH_MS) {
      return this.problem(
        `${name} looks like epoch milliseconds, but the layer writes epoch seconds here${name === 'expiresAt' ? ' (the table TTL reads seconds)' : ''}`,
      );
    }
    if (value <= 0) return this.problem(`${name} is not a positive epoch in seconds`);
    return value;
  }

  /** Epoch MILLISECONDS (lockExpiresAt, lockClaimedAt, retryAfter): a value that looks like seconds is the trap. */
  epochMs(name: string): number | undefined {
    const value = this.number(name, 'a number (N) of epoch milliseconds');
    if (value === undefined) return undefined;
    if (value < SMALLEST_EPOCH_MS) {
      return this.problem(`${name} looks like epoch seconds, but the layer writes epoch milliseconds here`);
    }
    return value;
  }

  problem(text: string): undefined {
    this.problems.push(text);
    return undefined;
  }

  private number(name: string, what: string): number | undefined {
    const value = this.item[name];
    if (value === undefined) return undefined;
    if (value.N === undefined) return this.wrongType(name, value, what);
    const number = Number(value.N);
    if (!Number.isFinite(number)) return this.problem(`${name} is not a finite number`);
    return number;
  }

  private wrongType(name: string, value: AttributeValue, what: string): undefined {
    return this.problem(`${name} is of type ${attributeType(value)}, but the layer writes ${what}`);
  }
}
