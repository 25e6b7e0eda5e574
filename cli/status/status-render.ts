/** `status` for a human: one row per tokenType, then the items' problems and what the KEY column means. */
import { formatDuration, plural, relative, renderTable } from '../text-format.js';
import type { TokenStatus } from './token-status.js';

const HEADER = [
  'TOKEN TYPE',
  'VERSION',
  'EXPIRES',
  'LAST REFRESH',
  'REFRESH TAKES',
  'LEASE',
  'BACK-OFF',
  'KEY',
  'REFRESH TOKEN',
];

export function renderStatus(tableName: string, statuses: readonly TokenStatus[], nowMs: number): string {
  const at = new Date(nowMs).toISOString();
  if (statuses.length === 0) {
    return `Table ${tableName} at ${at}: no items. No tokenType has been refreshed yet (or TTL deleted the expired ones).\n`;
  }
  const lines = [`Table ${tableName} at ${at}: ${plural(statuses.length, 'tokenType')}`, ''];
  lines.push(
    renderTable(
      HEADER,
      statuses.map((status) => row(status, nowMs)),
    ),
  );
  const withProblems = statuses.filter((status) => status.problems.length > 0);
  if (withProblems.length > 0) {
    lines.push('', 'Problems (an item not as the layer writes it: hand-edited?):');
    for (const status of withProblems) {
      lines.push(`  ${status.tokenType}:`, ...status.problems.map((problem) => `    - ${problem}`));
    }
  }
  lines.push('', summary(statuses));
  lines.push(
    'KEY: "salt <id>" is the 8-hex id of the secret key that sealed the token (doctor --secret lists the',
    'secret\'s key ids); "kms <fp>" is the first 8 hex of SHA-256 of the envelope\'s encrypted data key: a',
    'KMS envelope names its KMS key only in a form KMS reads, so the key itself cannot be shown here.',
  );
  return `${lines.join('\n')}\n`;
}

function row(status: TokenStatus, nowMs: number): string[] {
  return [
    status.tokenType,
    status.version === null ? '?' : String(status.version),
    expires(status),
    status.updatedSecondsAgo === null ? '-' : `${formatDuration(status.updatedSecondsAgo * 1_000)} ago`,
    status.refreshMs === null
      ? '-'
      : `${Math.round(status.refreshMs)} ms${status.refreshDeviationMs === null ? '' : ` ±${Math.round(status.refreshDeviationMs)}`}`,
    lease(status, nowMs),
    backoff(status),
    status.key === null
      ? '-'
      : status.key.cipher === 'salt'
        ? `salt ${status.key.keyId}`
        : `kms ${status.key.dataKeyFingerprint}`,
    status.refreshTokenStored ? 'yes' : 'no',
  ];
}

function expires(status: TokenStatus): string {
  if (!status.hasToken) return 'no token';
  if (status.expiresInSeconds === null) return '?';
  const seconds = status.expiresInSeconds;
  return seconds >= 0
    ? `in ${formatDuration(seconds * 1_000)}`
    : `expired ${formatDuration(seconds * 1_000)} ago`;
}

function lease(status: TokenStatus, nowMs: number): string {
  const { lease: held } = status;
  if (held === null) return '-';
  const owner = held.owner ?? '(no lockOwner)';
  if (held.endsInMs === null) return `set by ${owner}, no readable end: not live`;
  const ends = relative(nowMs + held.endsInMs, nowMs);
  return held.live
    ? `held by ${owner}, ends ${ends}`
    : `ended ${ends} (${owner}): the next caller takes over`;
}

function backoff(status: TokenStatus): string {
  const { backoff: off } = status;
  if (off === null) return '-';
  const failures = off.failures === null ? 'failures ?' : plural(off.failures, 'failure');
  if (off.retryInMs === null) return failures;
  return off.active ? `${failures}, retry in ${formatDuration(off.retryInMs)}` : `${failures}, retry allowed`;
}

function summary(statuses: readonly TokenStatus[]): string {
  const count = (test: (status: TokenStatus) => boolean) => statuses.filter(test).length;
  const parts = [
    `${count((s) => s.hasToken && (s.expiresInSeconds ?? -1) >= 0)} valid`,
    `${count((s) => s.hasToken && (s.expiresInSeconds ?? 0) < 0)} expired`,
    `${count((s) => s.lease?.live === true)} live lease(s)`,
    `${count((s) => s.backoff?.active === true)} in back-off`,
    `${count((s) => s.problems.length > 0)} with problems`,
  ];
  return `${parts.join(', ')}.`;
}
