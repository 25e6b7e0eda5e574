/**
 * One tokenType as `status` shows it, read from its raw item: the stable object of `--json`
 * (docs/operations.md, "status --json"). Times are ISO 8601 strings, converted from each
 * attribute's own unit (docs/how-it-works.md, Units: `expiresAt` and `updatedAt` epoch seconds,
 * `lockExpiresAt`, `lockClaimedAt` and `retryAfter` epoch milliseconds), and measured against one
 * `now` for the whole table. Nothing secret is kept: not the ciphertexts, only what their headers
 * name (envelope-key.ts) and whether a refresh token is stored.
 */
import { type EnvelopeKey, envelopeKey } from './envelope-key.js';
import { ItemReader, type RawItem } from './item-attributes.js';

/** The lease, when the item holds one (`updating`), live or not. */
export interface LeaseStatus {
  /** `lockOwner`: the container (and claim) holding it. */
  owner: string | null;
  /** `lockClaimedAt`, ISO. */
  claimedAt: string | null;
  /** `lockExpiresAt`, ISO. */
  endsAt: string | null;
  /** Milliseconds until it ends; negative once it has ended. */
  endsInMs: number | null;
  /** Held now: `updating` and `lockExpiresAt` ahead. A lease that ended is taken over by the next caller. */
  live: boolean;
}

/** The shared back-off after failed refreshes. */
export interface BackoffStatus {
  /** Failed refreshes in a row since the last commit. */
  failures: number | null;
  /** `retryAfter`, ISO: nobody calls the provider before it. */
  retryAfter: string | null;
  /** Milliseconds until then; negative once it has passed. */
  retryInMs: number | null;
  /** The back-off holds now. */
  active: boolean;
}

export interface TokenStatus {
  tokenType: string;
  /** Generation counter; 0 before the first commit (and for items written before versions existed). */
  version: number | null;
  /** Whether the item holds a token (`accessToken`): not while a refresh of an expired one is under way. */
  hasToken: boolean;
  /** `expiresAt`, ISO. */
  expiresAt: string | null;
  /** Seconds until the token expires; negative once it has expired. */
  expiresInSeconds: number | null;
  /** `updatedAt` (the last commit), ISO. */
  updatedAt: string | null;
  /** Seconds since the last commit. */
  updatedSecondsAgo: number | null;
  lease: LeaseStatus | null;
  backoff: BackoffStatus | null;
  /** Claim-to-commit time of recent refreshes, smoothed (ms), and its deviation; null before the first. */
  refreshMs: number | null;
  refreshDeviationMs: number | null;
  /** The key the token's envelope names; null without a token or when the envelope is unreadable. */
  key: EnvelopeKey | null;
  /** A rotated OAuth2 refresh token is stored in the item (yes/no only). */
  refreshTokenStored: boolean;
  /** The version whose rejection made this generation, while the rejection bound holds. */
  rejectedVersion: number | null;
  /** What is wrong with the item (hand-edited, wrong type or unit); empty for a sound one. */
  problems: string[];
}

/** Reads one raw item against `nowMs`. Never throws: what cannot be read is a problem. */
export function tokenStatus(item: RawItem, nowMs: number): TokenStatus {
  const read = new ItemReader(item);
  const tokenType = read.string('tokenType') ?? '(no tokenType)';
  // An item written before versions existed reads as version 0, as the store reads it.
  const version = read.has('version') ? (read.count('version') ?? null) : 0;
  const expiresAt = read.epochSeconds('expiresAt');
  const updatedAt = read.epochSeconds('updatedAt');
  const accessToken = read.string('accessToken');
  let key: EnvelopeKey | null = null;
  if (accessToken !== undefined) {
    const found = envelopeKey(accessToken);
    if ('key' in found) key = found.key;
    else read.problem(`accessToken ${found.problem}`);
  }
  const refreshToken = read.string('refreshToken');
  if (refreshToken !== undefined) {
    const found = envelopeKey(refreshToken);
    if ('problem' in found) read.problem(`refreshToken ${found.problem}`);
  }
  return {
    tokenType,
    version,
    hasToken: accessToken !== undefined,
    expiresAt: isoOf(expiresAt, 1_000),
    expiresInSeconds: expiresAt === undefined ? null : Math.round((expiresAt * 1_000 - nowMs) / 1_000),
    updatedAt: isoOf(updatedAt, 1_000),
    updatedSecondsAgo: updatedAt === undefined ? null : Math.round((nowMs - updatedAt * 1_000) / 1_000),
    lease: leaseOf(read, nowMs),
    backoff: backoffOf(read, nowMs),
    refreshMs: read.durationMs('refreshMs') ?? null,
    refreshDeviationMs: read.durationMs('refreshDeviationMs') ?? null,
    key,
    refreshTokenStored: refreshToken !== undefined,
    rejectedVersion: read.count('rejectedVersion') ?? null,
    problems: read.problems,
  };
}

function leaseOf(read: ItemReader, nowMs: number): LeaseStatus | null {
  const updating = read.boolean('updating') === true;
  const owner = read.string('lockOwner') ?? null;
  const endsAt = read.epochMs('lockExpiresAt');
  const claimedAt = read.epochMs('lockClaimedAt');
  // Commits and releases remove the lock attributes; `updating` alone is the seed's flag.
  if (!updating && owner === null && endsAt === undefined) return null;
  return {
    owner,
    claimedAt: isoOf(claimedAt, 1),
    endsAt: isoOf(endsAt, 1),
    endsInMs: endsAt === undefined ? null : endsAt - nowMs,
    // The store's own rule (TokenStore.claim): a lease is live while updating and not yet ended.
    live: updating && endsAt !== undefined && endsAt >= nowMs,
  };
}

function backoffOf(read: ItemReader, nowMs: number): BackoffStatus | null {
  const failures = read.count('failures');
  const retryAfter = read.epochMs('retryAfter');
  if (failures === undefined && retryAfter === undefined) return null;
  return {
    failures: failures ?? null,
    retryAfter: isoOf(retryAfter, 1),
    retryInMs: retryAfter === undefined ? null : retryAfter - nowMs,
    // The claim's condition: nobody claims while retryAfter > now.
    active: retryAfter !== undefined && retryAfter > nowMs,
  };
}

/** An epoch in `unitMs` milliseconds as ISO 8601; null when absent or out of Date's range. */
function isoOf(epoch: number | undefined, unitMs: number): string | null {
  if (epoch === undefined) return null;
  const date = new Date(epoch * unitMs);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
