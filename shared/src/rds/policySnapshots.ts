import { createHash } from 'node:crypto';
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  type DBClusterSnapshot,
  type DBSnapshot,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import type { Kind } from '../contracts/run';
import { REWIND_TAGS } from './naming';
import { isRdsError } from './rdsErrors';

/**
 * The snapshots of snapshot policies, for both kinds of database: their names, the tags Rewind sets when
 * it creates or copies one (what retention recognises them by), and the RDS calls on them.
 */
export const POLICY_TAGS = {
  policy: 'rewind:policy',
  /** The firing's scheduled time: the snapshot's age is counted from it, in every region. */
  scheduledTime: 'rewind:scheduled-time',
  /** On a copy: the region of the snapshot it was copied from. */
  copiedFrom: 'rewind:copied-from',
} as const;

export const POLICY_SNAPSHOT_PREFIX = 'rewind-';
/** Cluster snapshot identifiers (and copy targets) are at most 63 characters. */
const NAME_MAX = 63;

/** `yyyymmddhhmm` (UTC): the minute of a firing, in snapshot names. */
export function minuteStamp(at: Date): string {
  return at.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '');
}

/**
 * `rewind-<database>-<yyyymmddhhmm>-<hash of policy and database>`: unique per policy, database and
 * firing, the same name in every region, at most 63 characters, a legal identifier.
 */
export function policySnapshotName(policy: string, identifier: string, scheduledTime: Date): string {
  const hash = createHash('sha256').update(`${policy}/${identifier}`).digest('hex').slice(0, 6);
  const suffix = `-${minuteStamp(scheduledTime)}-${hash}`;
  const room = NAME_MAX - POLICY_SNAPSHOT_PREFIX.length - suffix.length;
  const db = identifier.toLowerCase().slice(0, room).replace(/-+$/, '');
  return `${POLICY_SNAPSHOT_PREFIX}${db}${suffix}`;
}

export function policySnapshotTags(policy: string, identifier: string, scheduledTime: string): Tag[] {
  return [
    { Key: REWIND_TAGS.createdBy, Value: 'rewind' },
    { Key: REWIND_TAGS.sourceIdentifier, Value: identifier },
    { Key: REWIND_TAGS.purpose, Value: 'snapshot-policy' },
    { Key: POLICY_TAGS.policy, Value: policy },
    { Key: POLICY_TAGS.scheduledTime, Value: scheduledTime },
  ];
}

/** A snapshot of either kind, as retention and the CLI see it. */
export interface SnapshotView {
  snapshotIdentifier: string;
  arn: string;
  identifier: string;
  status: string;
  /** manual, automated, awsbackup... */
  type: string;
  createTime?: Date;
  sizeGb?: number;
  encrypted: boolean;
  kmsKeyId?: string;
  tags: Record<string, string>;
  /** Set on a copy (cross-region or local). */
  sourceArn?: string;
}

/** Rewind created it for this policy and database (the tags it set at creation), and it is manual. */
export function isPolicySnapshot(s: SnapshotView, policy: string, identifier: string): boolean {
  return (
    s.type === 'manual' &&
    s.tags[REWIND_TAGS.createdBy] === 'rewind' &&
    s.tags[POLICY_TAGS.policy] === policy &&
    s.tags[REWIND_TAGS.sourceIdentifier] === identifier.toLowerCase()
  );
}

/** When the snapshot was taken for its policy (the recorded scheduled time), else its creation time. */
export function policyTime(s: SnapshotView): Date | undefined {
  const recorded = s.tags[POLICY_TAGS.scheduledTime];
  const at = recorded ? new Date(recorded) : undefined;
  return at && !Number.isNaN(at.getTime()) ? at : s.createTime;
}

const tagsOf = (list: Tag[] | undefined) =>
  Object.fromEntries((list ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

function instanceView(s: DBSnapshot): SnapshotView {
  return {
    snapshotIdentifier: s.DBSnapshotIdentifier ?? '',
    arn: s.DBSnapshotArn ?? '',
    identifier: s.DBInstanceIdentifier ?? '',
    status: s.Status ?? 'unknown',
    type: s.SnapshotType ?? 'unknown',
    createTime: s.SnapshotCreateTime,
    sizeGb: s.AllocatedStorage,
    encrypted: s.Encrypted ?? false,
    kmsKeyId: s.KmsKeyId,
    tags: tagsOf(s.TagList),
    sourceArn: s.SourceDBSnapshotIdentifier,
  };
}

function clusterView(s: DBClusterSnapshot): SnapshotView {
  return {
    snapshotIdentifier: s.DBClusterSnapshotIdentifier ?? '',
    arn: s.DBClusterSnapshotArn ?? '',
    identifier: s.DBClusterIdentifier ?? '',
    status: s.Status ?? 'unknown',
    type: s.SnapshotType ?? 'unknown',
    createTime: s.SnapshotCreateTime,
    sizeGb: s.AllocatedStorage,
    encrypted: s.StorageEncrypted ?? false,
    kmsKeyId: s.KmsKeyId,
    tags: tagsOf(s.TagList),
    sourceArn: s.SourceDBClusterSnapshotArn,
  };
}

/** Statuses of a copy target not yet available (RDS shows all three for instance-snapshot copies). */
export const COPYING_STATUSES = new Set(['pending', 'creating', 'copying']);

/** How each kind of database's snapshots are listed, created, copied and deleted. */
export interface SnapshotKindApi {
  noun: string;
  createAction: string;
  copyAction: string;
  /** Copies in flight per destination region and account (RDS: 20 instance, 5 cluster snapshots). */
  copyLimit: number;
  /** DescribeAccountAttributes quota of manual snapshots. */
  quotaName: string;
  alreadyExists: string;
  /** Snapshots of a database (manual and automated), every page. */
  list(rds: RDSClient, identifier: string): Promise<SnapshotView[]>;
  /** Every manual snapshot in the region (any database): to count copies in flight. */
  listManual(rds: RDSClient): Promise<SnapshotView[]>;
  find(rds: RDSClient, name: string): Promise<SnapshotView | undefined>;
  create(rds: RDSClient, identifier: string, name: string, tags: Tag[]): Promise<unknown>;
  copy(
    rds: RDSClient,
    input: { sourceArn: string; name: string; kmsKeyId?: string; tags: Tag[] },
  ): Promise<unknown>;
  delete(rds: RDSClient, name: string): Promise<unknown>;
  /** Accounts the snapshot is shared with (`all` when public). */
  sharedWith(rds: RDSClient, name: string): Promise<string[]>;
  /** Shares the snapshot with accounts, or stops sharing it (its `restore` attribute). */
  share(rds: RDSClient, name: string, change: { add?: string[]; remove?: string[] }): Promise<unknown>;
}

async function pages<T>(fetch: (marker?: string) => Promise<{ items: T[]; marker?: string }>): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const page = await fetch(marker);
    all.push(...page.items);
    marker = page.marker;
  } while (marker);
  return all;
}

export const SNAPSHOT_KINDS: Record<Kind, SnapshotKindApi> = {
  instance: {
    noun: 'DB snapshot',
    createAction: 'CreateDBSnapshot',
    copyAction: 'CopyDBSnapshot',
    copyLimit: 20,
    quotaName: 'ManualSnapshots',
    alreadyExists: 'DBSnapshotAlreadyExists',
    list: (rds, identifier) =>
      pages(async (Marker) => {
        const out = await rds.send(
          new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: identifier, Marker }),
        );
        return { items: (out.DBSnapshots ?? []).map(instanceView), marker: out.Marker };
      }),
    listManual: (rds) =>
      pages(async (Marker) => {
        const out = await rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual', Marker }));
        return { items: (out.DBSnapshots ?? []).map(instanceView), marker: out.Marker };
      }),
    find: async (rds, name) => {
      try {
        const out = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: name }));
        const s = out.DBSnapshots?.[0];
        return s && instanceView(s);
      } catch (err) {
        if (isRdsError(err, 'DBSnapshotNotFound')) return undefined;
        throw err;
      }
    },
    create: (rds, identifier, name, tags) =>
      rds.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: identifier,
          DBSnapshotIdentifier: name,
          Tags: tags,
        }),
      ),
    copy: (rds, { sourceArn, name, kmsKeyId, tags }) =>
      rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: sourceArn,
          TargetDBSnapshotIdentifier: name,
          KmsKeyId: kmsKeyId,
          Tags: tags,
        }),
      ),
    delete: (rds, name) => rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: name })),
    sharedWith: async (rds, name) => {
      const out = await rds.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: name }));
      return (out.DBSnapshotAttributesResult?.DBSnapshotAttributes ?? [])
        .filter((a) => a.AttributeName === 'restore')
        .flatMap((a) => a.AttributeValues ?? []);
    },
    share: (rds, name, { add, remove }) =>
      rds.send(
        new ModifyDBSnapshotAttributeCommand({
          DBSnapshotIdentifier: name,
          AttributeName: 'restore',
          ValuesToAdd: add,
          ValuesToRemove: remove,
        }),
      ),
  },
  cluster: {
    noun: 'DB cluster snapshot',
    createAction: 'CreateDBClusterSnapshot',
    copyAction: 'CopyDBClusterSnapshot',
    copyLimit: 5,
    quotaName: 'ManualClusterSnapshots',
    alreadyExists: 'DBClusterSnapshotAlreadyExistsFault',
    list: (rds, identifier) =>
      pages(async (Marker) => {
        const out = await rds.send(
          new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: identifier, Marker }),
        );
        return { items: (out.DBClusterSnapshots ?? []).map(clusterView), marker: out.Marker };
      }),
    listManual: (rds) =>
      pages(async (Marker) => {
        const out = await rds.send(new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'manual', Marker }));
        return { items: (out.DBClusterSnapshots ?? []).map(clusterView), marker: out.Marker };
      }),
    find: async (rds, name) => {
      try {
        const out = await rds.send(
          new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: name }),
        );
        const s = out.DBClusterSnapshots?.[0];
        return s && clusterView(s);
      } catch (err) {
        if (isRdsError(err, 'DBClusterSnapshotNotFoundFault')) return undefined;
        throw err;
      }
    },
    create: (rds, identifier, name, tags) =>
      rds.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterIdentifier: identifier,
          DBClusterSnapshotIdentifier: name,
          Tags: tags,
        }),
      ),
    copy: (rds, { sourceArn, name, kmsKeyId, tags }) =>
      rds.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: sourceArn,
          TargetDBClusterSnapshotIdentifier: name,
          KmsKeyId: kmsKeyId,
          Tags: tags,
        }),
      ),
    delete: (rds, name) =>
      rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: name })),
    sharedWith: async (rds, name) => {
      const out = await rds.send(
        new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: name }),
      );
      return (out.DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes ?? [])
        .filter((a) => a.AttributeName === 'restore')
        .flatMap((a) => a.AttributeValues ?? []);
    },
    share: (rds, name, { add, remove }) =>
      rds.send(
        new ModifyDBClusterSnapshotAttributeCommand({
          DBClusterSnapshotIdentifier: name,
          AttributeName: 'restore',
          ValuesToAdd: add,
          ValuesToRemove: remove,
        }),
      ),
  },
};
