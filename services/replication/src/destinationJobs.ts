import { createHash } from 'node:crypto';
import type { Tag } from '@aws-sdk/client-rds';
import { REWIND_TAGS, type Job, type JobStore, type Kind, type ReplicationDestination } from '@rewind/shared';
import type { ReplicationDeps } from './deps';

/**
 * What the destination side of a replication keeps in the state table: one job per replication received
 * (`REPLDST#<replicationId>`), index items from the copy's name and the restore run's id to it, and per
 * policy the versions this service created (versioned mode), with the resource id each had when created:
 * a version is deleted only while RDS still shows that resource id under its name.
 */
export type DestinationJob = Job & {
  replicationId: string;
  policy: string;
  kind: Kind;
  /** This account's copy of the policy's destination, as it was when the snapshot was received. */
  destination: ReplicationDestination;
  region: string;
  sourceAccount: string;
  sourceRegion: string;
  sourceIdentifier: string;
  sharedSnapshotArn: string;
  /** The snapshot taken of the source database (the shared one, or the one it was re-encrypted from). */
  sourceSnapshotArn: string;
  /** The key of the shared snapshot (null: unencrypted). */
  sharedKmsKeyId: string | null;
  reencrypted: boolean;
  copyIdentifier: string;
  copyArn?: string;
  /** `replication/<replicationId>`: the restore run's requestId. */
  requestId: string;
  /** The restore asked for: the database the run reads (in place: restores), and a clone's new name. */
  restore?: { identifier: string; targetIdentifier?: string; versionNumber?: number };
  runId?: string;
  rolledBack?: boolean;
  /** The database holding the data once restored. */
  result?: { identifier: string; resourceId?: string; address?: string; port?: number };
  secret?: { id: string; field: string; value: string };
  versions?: { kept: string[]; deleted: string[] };
  warnings?: string[];
  /** Why it failed, as its ReplicationFailed said (for rewind replication status and the console). */
  failure?: {
    stage: string;
    reason: string;
    action: string;
    cleanedUp: string[];
    errorCode?: string;
    rolledBack?: boolean;
    at: string;
  };
  createdAt: string;
};

/** One database a versioned destination created. */
export interface VersionRecord {
  identifier: string;
  number: number;
  resourceId?: string;
  replicationId: string;
  createdAt: string;
}

export type VersionsItem = Job & { versions: VersionRecord[] };

export const REQUEST_PREFIX = 'replication/';
export const jobKey = (replicationId: string) => `REPLDST#${replicationId}`;
/** An announcement refused at the trust check: keyed by the delivered event, so a redelivery is answered once. */
export const refusedKey = (eventId: string) => `REPLDST#refused#${eventId}`;
export const copyKey = (name: string) => `REPLDSTSNAP#${name}`;
export const runKey = (runId: string) => `REPLDSTRUN#${runId}`;
export const versionsKey = (policy: string) => `REPLVERSIONS#${policy}`;

/** Tags on what the destination creates (copies): what retention recognises them by. */
export const REPLICATION_TAGS = {
  policy: 'rewind:replication',
  replicationId: 'rewind:replication-id',
} as const;
export const COPY_PURPOSE = 'replication-copy';

export function copyTags(job: Pick<DestinationJob, 'policy' | 'replicationId' | 'sourceIdentifier'>): Tag[] {
  return [
    { Key: REWIND_TAGS.createdBy, Value: 'rewind' },
    { Key: REWIND_TAGS.purpose, Value: COPY_PURPOSE },
    { Key: REWIND_TAGS.sourceIdentifier, Value: job.sourceIdentifier.toLowerCase() },
    { Key: REPLICATION_TAGS.policy, Value: job.policy },
    { Key: REPLICATION_TAGS.replicationId, Value: job.replicationId },
  ];
}

const NAME_MAX = 63;

/**
 * The destination's copy of a shared snapshot: the shared snapshot's name (without its `-shared`
 * suffix) with `-copy`, starting with `rewind-`, within 63 characters (a cluster snapshot copy's limit).
 */
export function copyIdentifier(sharedSnapshotIdentifier: string): string {
  const bare = sharedSnapshotIdentifier
    .split(':')
    .at(-1)!
    .replace(/-shared$/, '');
  // Rewind's snapshot names start with `rewind-` (what IAM and the RDS event filter know them by).
  const base = bare.startsWith('rewind-') ? bare : `rewind-${bare}`;
  const name = `${base}-copy`;
  if (name.length <= NAME_MAX) return name;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 6);
  return `${base.slice(0, NAME_MAX - 12).replace(/-+$/, '')}-${hash}-copy`;
}

/** `<prefix>-<n>`: the n of a version's name, undefined for another name. */
export function versionNumber(prefix: string, identifier: string): number | undefined {
  const m = new RegExp(`^${prefix.replace(/[-]/g, '\\-')}-(\\d+)$`, 'i').exec(identifier);
  return m ? Number(m[1]) : undefined;
}

/** The service's job store, typed for destination jobs (the store is generic over what a job holds). */
export const jobsOf = (deps: Pick<ReplicationDeps, 'jobs'>) =>
  deps.jobs as unknown as JobStore<DestinationJob>;

/** The job store items of the destination side, typed. */
export function destinationStore(deps: Pick<ReplicationDeps, 'jobs'>) {
  const jobs = jobsOf(deps);
  const versionItems = deps.jobs as unknown as JobStore<VersionsItem>;
  return {
    get: (pk: string) => jobs.get(pk),
    byIndex: (key: string) => jobs.byIndex(key),
    /** The versions a versioned destination created for a policy (an empty list the first time). */
    async versions(policy: string, now: Date): Promise<VersionsItem> {
      const pk = versionsKey(policy);
      const found = await versionItems.get(pk);
      if (found) return found;
      const item: VersionsItem = { pk, seq: 0, marks: {}, versions: [] };
      if (await versionItems.create(item, now)) return item;
      return (await versionItems.get(pk))!;
    },
    setVersions: (item: VersionsItem, versions: VersionRecord[]) => versionItems.set(item, { versions }),
  };
}
