/**
 * The audit trail: the log lines a compliance reviewer queries. Each refresh, lease take-over,
 * rejection and decrypt failure logs ONE line carrying these fields, always the same names, so
 * a CloudWatch Logs Insights query can filter on them (`filter audit = "refresh"`). Powertools'
 * Logger puts them at the top level of its JSON. Nothing secret goes in: ids, versions and
 * outcomes only (I4).
 */

import { parseTokenType } from '../token-type.js';
import type { LogAttributes } from './telemetry.js';

/** What happened; the value of the `audit` field. */
export const AuditEvent = {
  /** A provider call by the lease holder: `committed`, `failed` or `lease-lost`. */
  Refresh: 'refresh',
  /** A lease claimed after its holder let it run out (crash, timeout): `claimed`. */
  Takeover: 'takeover',
  /** The caller's API answered 401/403 to a version: `refreshing`, or `already-newer`. */
  Rejection: 'rejection',
  /** The stored ciphertext did not decrypt (tampered, another tokenType's, unknown key): `refreshing`. */
  DecryptFailure: 'decrypt-failure',
} as const;
export type AuditEvent = (typeof AuditEvent)[keyof typeof AuditEvent];

export interface AuditDetails {
  /** The generation the event is about (the new one for a committed refresh). */
  version?: number;
  /** The lease owner: random per container and claim, never a secret. */
  lockOwner?: string;
  outcome: string;
}

/**
 * The fields of one audit line: `audit`, `tokenType`, `tenant` (when the tokenType has one),
 * `version`, `lockOwner`, `outcome`. Spread them into the log line's attributes.
 */
export function auditFields(event: AuditEvent, tokenType: string, details: AuditDetails): LogAttributes {
  const { tenant } = parseTokenType(tokenType);
  return {
    audit: event,
    tokenType,
    ...(tenant !== undefined && { tenant }),
    ...(details.version !== undefined && { version: details.version }),
    ...(details.lockOwner !== undefined && { lockOwner: details.lockOwner }),
    outcome: details.outcome,
  };
}
