import { createHash } from 'node:crypto';
import type { Tag } from '@aws-sdk/client-rds';
import type { Kind } from '../contracts/run';
import type { ReplicationPolicy } from '../policies/replication';
import { minuteStamp, POLICY_TAGS, type SnapshotView } from '../rds/policySnapshots';
import { REWIND_TAGS } from '../rds/naming';
import type { Job } from '../state/jobs';

/**
 * The source side of a replication as stored and named: job keys, snapshot names and tags, and what the
 * job's marks say (read by the replication service and by `rewind replication status`).
 */

export const REPLICATION_TAGS = {
  /** The replication policy a snapshot was made for. */
  policy: 'rewind:replication',
  /** The replication (one firing or request) that made it: cleanup deletes only its own. */
  replicationId: 'rewind:replication-id',
} as const;

/** `rewind:purpose` of the snapshot shared with the destinations, and of a plain one re-encrypted into it. */
export const SHARED_PURPOSE = 'replication';
export const INTERMEDIATE_PURPOSE = 'replication-intermediate';

export const REPLICATION_SNAPSHOT_PREFIX = 'rewind-repl-';

/** `rewind-repl-<policy>-<yyyymmddhhmm>` (at most 56 characters: the policy name has at most 31). */
export function replicationSnapshotName(policy: string, at: Date): string {
  return `${REPLICATION_SNAPSHOT_PREFIX}${policy}-${minuteStamp(at)}`;
}

/** The re-encrypted copy that is shared: `<snapshot>-shared` (at most 63 characters). */
export function sharedSnapshotName(snapshotName: string): string {
  return `${snapshotName}-shared`;
}

/** `repl-<policy>-<yyyymmddhhmm>` for a firing, `repl-<policy>-<requestId>` for a request (<= 128). */
export function replicationIdOf(
  policy: string,
  at: { scheduledTime?: string; requestId?: string; eventId: string; now: Date },
): string {
  if (at.scheduledTime) return `repl-${policy}-${minuteStamp(new Date(at.scheduledTime))}`;
  if (at.requestId) {
    const id = at.requestId.replace(/[^\w.:-]/g, '-');
    const room = 128 - `repl-${policy}-`.length;
    if (id.length <= room) return `repl-${policy}-${id}`;
    const hash = createHash('sha256').update(at.requestId).digest('hex').slice(0, 8);
    return `repl-${policy}-${id.slice(0, room - 9)}-${hash}`;
  }
  const hash = createHash('sha256').update(at.eventId).digest('hex').slice(0, 8);
  return `repl-${policy}-${minuteStamp(at.now)}-${hash}`;
}

/** `REPLSRC#<policy>#<scheduledTime | requestId | event id>`: a repeated firing or request finds it. */
export function sourceJobKey(
  policy: string,
  at: { scheduledTime?: string; requestId?: string; eventId: string },
): string {
  return `REPLSRC#${policy}#${at.scheduledTime ?? at.requestId ?? `event:${at.eventId}`}`;
}
export const sourceJobByReplication = (replicationId: string) => `REPLSRC-ID#${replicationId}`;
export const sourceJobBySnapshot = (name: string) => `REPLSRC-SNAP#${name}`;

export function replicationSnapshotTags(input: {
  policy: string;
  replicationId: string;
  identifier: string;
  at: string;
  purpose: typeof SHARED_PURPOSE | typeof INTERMEDIATE_PURPOSE;
}): Tag[] {
  return [
    { Key: REWIND_TAGS.createdBy, Value: 'rewind' },
    { Key: REWIND_TAGS.sourceIdentifier, Value: input.identifier.toLowerCase() },
    { Key: REWIND_TAGS.purpose, Value: input.purpose },
    { Key: REPLICATION_TAGS.policy, Value: input.policy },
    { Key: REPLICATION_TAGS.replicationId, Value: input.replicationId },
    // Retention counts a snapshot's age from the firing, as for snapshot policies.
    { Key: POLICY_TAGS.scheduledTime, Value: input.at },
  ];
}

/** A snapshot this replication made (its tags say so): the only ones its cleanup deletes. */
export function madeByReplication(s: SnapshotView, replicationId: string): boolean {
  return (
    s.tags[REWIND_TAGS.createdBy] === 'rewind' && s.tags[REPLICATION_TAGS.replicationId] === replicationId
  );
}

/** A shared snapshot of this policy and database (what the source's retention counts). */
export function isReplicationSnapshot(s: SnapshotView, policy: string, identifier: string): boolean {
  return (
    s.type === 'manual' &&
    s.tags[REWIND_TAGS.createdBy] === 'rewind' &&
    s.tags[REWIND_TAGS.purpose] === SHARED_PURPOSE &&
    s.tags[REPLICATION_TAGS.policy] === policy &&
    s.tags[REWIND_TAGS.sourceIdentifier] === identifier.toLowerCase()
  );
}

/** How the snapshot is made shareable, decided before anything is taken. */
export interface SharePlan {
  /** Copied with `kmsKeyId` into `sharedName` (the plain snapshot is deleted once the copy is available). */
  reencrypt: boolean;
  /** The key the shared snapshot is encrypted with (null: unencrypted). */
  kmsKeyId: string | null;
  /** The snapshot shared: the one taken, or its re-encrypted copy. */
  sharedName: string;
  /** The source database's resource id when it was selected. */
  resourceId?: string;
  /** Why: said in the log and by `rewind replication status`. */
  why: string;
}

/** Why the source side of a whole replication failed (before anything was shared). */
export interface SourceFailure {
  stage: 'select' | 'snapshot' | 'encrypt' | 'share' | 'cleanup';
  reason: string;
  errorCode?: string;
  action: string;
  at: string;
}

/** What a destination said (or what the source concluded about it). */
export interface DestinationOutcome {
  state: 'completed' | 'failed' | 'bounced' | 'no-answer';
  at: string;
  stage?: string;
  reason?: string;
  errorCode?: string;
  runId?: string;
  identifier?: string;
  rolledBack?: boolean;
  /** A failure's: what was removed, and what to do (from the destination's ReplicationFailed). */
  cleanedUp?: string[];
  action?: string;
}

export interface DestinationAck {
  at: string;
  mode: string;
  copyIdentifier: string;
}

/**
 * One replication on the source side. Marks (claimed by conditional writes, so a repeated message changes
 * nothing) record each stage; three carry JSON rather than a time, so that the first writer wins
 * atomically: `failed` (a SourceFailure), `ack:<account>` (a DestinationAck) and `outcome:<account>`
 * (a DestinationOutcome).
 */
export interface SourceJob extends Job {
  replicationId: string;
  policyName: string;
  /** The policy as it was when the replication was asked for (absent: no such policy here). */
  policy?: ReplicationPolicy;
  kind: Kind;
  sourceAccount: string;
  sourceRegion: string;
  sourceIdentifier: string;
  destinations: string[];
  scheduledTime?: string;
  requestId?: string;
  requestedBy?: string;
  /** The replication's time (the firing's, else the request's): names and retention ages. */
  at: string;
  snapshotName: string;
  createdAt: string;
  plan?: SharePlan;
  sourceSnapshotArn?: string;
  sharedSnapshotArn?: string;
  snapshotCreateTime?: string;
  /** What the source's retention deleted and kept once every destination answered. */
  retention?: { deleted: string[]; kept: string[] };
}

function parsed<T>(value: string | undefined): T | undefined {
  if (!value) return undefined;
  try {
    return JSON.parse(value) as T;
  } catch {
    return undefined;
  }
}

export const sourceFailureOf = (job: SourceJob) => parsed<SourceFailure>(job.marks.failed);
export const ackOf = (job: SourceJob, account: string) => parsed<DestinationAck>(job.marks[`ack:${account}`]);
export const outcomeOf = (job: SourceJob, account: string) =>
  parsed<DestinationOutcome>(job.marks[`outcome:${account}`]);

/** The state of a replication as the source account knows it (for `rewind replication status`). */
export function sourceStatus(job: SourceJob) {
  const failure = sourceFailureOf(job);
  return {
    replicationId: job.replicationId,
    policy: job.policyName,
    sourceIdentifier: job.sourceIdentifier,
    snapshot: job.plan?.sharedName ?? job.snapshotName,
    state: failure ? 'failed' : job.marks.done ? 'finished' : 'running',
    failure,
    destinations: job.destinations.map((account) => {
      const outcome = outcomeOf(job, account);
      const ack = ackOf(job, account);
      const state =
        outcome?.state ?? (ack ? 'received' : job.marks[`announced:${account}`] ? 'announced' : 'pending');
      return { account, state, ack, outcome, unshared: Boolean(job.marks[`unshared:${account}`]) };
    }),
    retention: job.retention,
  };
}
