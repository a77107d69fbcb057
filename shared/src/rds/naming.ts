import { randomBytes } from 'node:crypto';
import { IDENTIFIER_MAX_LENGTH } from '../contracts/identifier';

/**
 * Every name Rewind invents: run ids, snapshot identifiers, temporary and staging identifiers.
 * Invented identifiers stay legal RDS identifiers (<= 63 chars, no "--", no trailing hyphen) for the
 * longest legal input, are unique per run, and carry the run's tag so they can be traced back to it.
 */

const TAG_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const RUN_TAG_LENGTH = 8;

function compactTime(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .replace('T', '-')
    .toLowerCase();
}

/** A new run id: `run-<yyyymmdd>-<hhmmss>-<tag>`; sortable by time, unique by its random tag. */
export function newRunId(now = new Date()): string {
  const bytes = randomBytes(RUN_TAG_LENGTH);
  const tag = [...bytes].map((b) => TAG_ALPHABET[b % TAG_ALPHABET.length]).join('');
  return `run-${compactTime(now)}-${tag}`;
}

/** The run's tag: the last 8 characters of its id; what invented names carry. */
export function runTag(runId: string): string {
  const tag = runId.slice(-RUN_TAG_LENGTH);
  if (!/^[a-z0-9]{8}$/.test(tag)) throw new Error(`"${runId}" is not a Rewind run id`);
  return tag;
}

function fit(base: string, suffix: string, max: number): string {
  return base.slice(0, max - suffix.length).replace(/-+$/, '') + suffix;
}

export type DerivedRole = 'old' | 'new';

/**
 * Temporary (`old`: the set-aside original) or staging (`new`: a copy restored beside the original)
 * identifier: `<identifier, truncated>-rw<tag>-<role>`.
 */
export function derivedIdentifier(identifier: string, runId: string, role: DerivedRole): string {
  return fit(identifier, `-rw${runTag(runId)}-${role}`, IDENTIFIER_MAX_LENGTH);
}
export const temporaryIdentifier = (identifier: string, runId: string) =>
  derivedIdentifier(identifier, runId, 'old');
export const stagingIdentifier = (identifier: string, runId: string) =>
  derivedIdentifier(identifier, runId, 'new');

/** The run tag a Rewind-invented identifier carries, if it is one. */
export function traceRunTag(
  name: string,
): { tag: string; role: DerivedRole | 'snapshot' | 'final' } | undefined {
  const m = /-rw([a-z0-9]{8})-(old|new|snapshot|final)(?:$|-)/.exec(name);
  return m ? { tag: m[1]!, role: m[2] as DerivedRole | 'snapshot' | 'final' } : undefined;
}

/**
 * The longest snapshot name Rewind invents. DB snapshots allow 255 characters, but DB cluster snapshots
 * (CreateDBClusterSnapshot, CopyDBClusterSnapshot) allow only 63: the suffix below is 36 characters, so
 * an identifier of 28 or more would overflow. Every snapshot name is kept to 63, whatever its kind.
 */
export const SNAPSHOT_NAME_MAX_LENGTH = IDENTIFIER_MAX_LENGTH;

/** A new manual snapshot for a run: `<identifier, truncated>-rw<tag>-snapshot-<yyyymmdd>-<hhmmss>`. */
export function snapshotIdentifier(identifier: string, runId: string, now = new Date()): string {
  return fit(identifier, `-rw${runTag(runId)}-snapshot-${compactTime(now)}`, SNAPSHOT_NAME_MAX_LENGTH);
}

/** The final snapshot taken when deleting the set-aside original: `<identifier, truncated>-rw<tag>-final-<time>`. */
export function finalSnapshotIdentifier(identifier: string, runId: string, now = new Date()): string {
  return fit(identifier, `-rw${runTag(runId)}-final-${compactTime(now)}`, SNAPSHOT_NAME_MAX_LENGTH);
}

/** Trapheus named its single snapshot `<identifier>-snapshot`. */
export function trapheusSnapshotIdentifier(identifier: string): string {
  return `${identifier}-snapshot`;
}
export function isTrapheusSnapshot(snapshotId: string, identifier: string): boolean {
  return snapshotId.toLowerCase() === trapheusSnapshotIdentifier(identifier.toLowerCase());
}

/** Tag keys Rewind puts on what it creates. */
export const REWIND_TAGS = {
  createdBy: 'rewind:created-by',
  runId: 'rewind:run-id',
  sourceIdentifier: 'rewind:source',
  purpose: 'rewind:purpose',
} as const;

/**
 * The name of a clone's member instance: the source member's name with the source cluster's name
 * replaced by the clone's (`orders-1` of `orders` -> `orders-copy-1` of `orders-copy`), else
 * `<clone>-<member>`; kept to 63 characters and legal.
 */
export function cloneMemberIdentifier(member: string, source: string, target: string): string {
  const rest = member.startsWith(source) ? member.slice(source.length) : `-${member}`;
  const joined = rest === '' || rest.startsWith('-') ? `${target}${rest}` : `${target}-${rest}`;
  return joined.slice(0, IDENTIFIER_MAX_LENGTH).replace(/-+$/, '');
}
