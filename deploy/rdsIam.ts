import { POLICY_SNAPSHOT_PREFIX, REWIND_TAGS, RUN_TAG_LENGTH } from '@rewind/shared';
import { arn, join, ref, type Cfn } from './cfn';

/**
 * How tightly each RDS action Rewind calls can be scoped (Service Authorization Reference for RDS):
 * every action below accepts resource ARNs, and `aws:ResourceTag/<key>` is evaluated on the resources
 * that already exist when the call is authorised. So:
 * - `optedIn`: existing databases the call changes or deletes -> only those carrying the opt-in tag;
 * - `created`: resources the call creates (a restored database, a new snapshot) -> they have no tags
 *   yet when the call is authorised, so a tag condition would always deny; scoped by type instead;
 * - `read`: describe calls. A tag condition would turn "not found" (how Rewind confirms that a renamed or
 *   deleted database is gone) into AccessDenied, so these are scoped by type only;
 * - `groups`: parameter/option/subnet/security groups a restore or modify names; granting the action on
 *   them changes nothing by itself (modifying a group is another action).
 * - `runTagged`: the tag a run puts on what it creates, removed by the run once the database is restored
 *   -> only on resources carrying that tag, and only that tag key (a member of a cluster need not carry the
 *   opt-in tag);
 * IAM authorises each resource of a request separately, so e.g. CreateDBSnapshot needs the tagged
 * database AND the (untagged, new) snapshot: the two grants live in different statements.
 * Snapshots Rewind creates always carry its names (`<id>-rw<run tag>-snapshot-<time>`, `...-final-...`,
 * `shared/src/rds/naming.ts`): creating and tagging snapshots is limited to those names.
 */
export type RdsResourceType =
  | 'db'
  | 'cluster'
  | 'snapshot'
  | 'cluster-snapshot'
  | 'og'
  | 'pg'
  | 'cluster-pg'
  | 'subgrp'
  | 'secgrp'
  | 'auto-backup';

export interface RdsActionScope {
  read?: RdsResourceType[];
  optedIn?: RdsResourceType[];
  created?: RdsResourceType[];
  groups?: RdsResourceType[];
  runTagged?: RdsResourceType[];
  /** Reads in its region and those it copies to (the lifecycle service describes copies there). */
  anyRegion?: RdsResourceType[];
  /** Snapshots of snapshot policies (`rewind-*`), in its region and those it copies to (copies are made there). */
  policy?: RdsResourceType[];
  /** The same, only those carrying `rewind:created-by=rewind` (what Rewind set when it made them). */
  policyTagged?: RdsResourceType[];
  /** Actions that take no resource (Resource "*"). */
  unscoped?: boolean;
}

/** The tag a run puts on the databases it creates (REWIND_TAGS.runId). */
const RUN_TAG_KEY = 'rewind:run-id';

const INSTANCE_GROUPS: RdsResourceType[] = ['og', 'pg', 'subgrp', 'secgrp'];
const CLUSTER_GROUPS: RdsResourceType[] = ['cluster-pg', 'og', 'pg', 'subgrp'];

export const RDS_ACTION_SCOPES: Record<string, RdsActionScope> = {
  'rds:DescribeDBInstances': { read: ['db'] },
  'rds:DescribeDBClusters': { read: ['cluster'] },
  'rds:DescribeDBSnapshots': { read: ['db', 'snapshot'] },
  'rds:DescribeDBClusterSnapshots': { read: ['cluster', 'cluster-snapshot'] },
  'rds:CreateDBSnapshot': { optedIn: ['db'], created: ['snapshot'] },
  'rds:CreateDBClusterSnapshot': { optedIn: ['cluster'], created: ['cluster-snapshot'] },
  'rds:ModifyDBInstance': { optedIn: ['db'], groups: INSTANCE_GROUPS },
  'rds:ModifyDBCluster': { optedIn: ['cluster'], groups: CLUSTER_GROUPS },
  // A final snapshot may be named in the same call.
  'rds:DeleteDBInstance': { optedIn: ['db'], created: ['snapshot'] },
  'rds:DeleteDBCluster': { optedIn: ['cluster'], created: ['cluster-snapshot'] },
  'rds:RestoreDBInstanceFromDBSnapshot': { created: ['db'], read: ['snapshot'], groups: INSTANCE_GROUPS },
  'rds:RestoreDBClusterFromSnapshot': {
    created: ['cluster'],
    read: ['snapshot', 'cluster-snapshot'],
    groups: CLUSTER_GROUPS,
  },
  // Point in time: the source is read through its backups, by resource id; the new database is created.
  'rds:RestoreDBInstanceToPointInTime': { created: ['db'], groups: INSTANCE_GROUPS },
  'rds:RestoreDBClusterToPointInTime': { created: ['cluster'], groups: CLUSTER_GROUPS },
  'rds:DescribeDBInstanceAutomatedBackups': { read: ['db', 'auto-backup'] },
  // Aurora member instances of a restored cluster.
  'rds:CreateDBInstance': { created: ['db'], read: ['cluster'], groups: INSTANCE_GROUPS },
  // Tags on snapshots Rewind creates: given with CreateDB*Snapshot, or copied from a database with
  // CopyTagsToSnapshot (RDS authorises both as AddTagsToResource on the new snapshot since August 2024).
  'rds:AddTagsToResource': { created: ['snapshot', 'cluster-snapshot'] },
  // The run's tag, off the databases it restored.
  'rds:RemoveTagsFromResource': { runTagged: ['db', 'cluster'] },
  // Snapshot policies (the lifecycle service): copies into other regions, retention there.
  'rds:CopyDBSnapshot': { policy: ['snapshot'] },
  'rds:CopyDBClusterSnapshot': { policy: ['cluster-snapshot'] },
  'rds:DeleteDBSnapshot': { policyTagged: ['snapshot'] },
  'rds:DeleteDBClusterSnapshot': { policyTagged: ['cluster-snapshot'] },
  // Cross-account replication: who may restore (copy) a snapshot Rewind made and tagged.
  'rds:ModifyDBSnapshotAttribute': { policyTagged: ['snapshot'] },
  'rds:ModifyDBClusterSnapshotAttribute': { policyTagged: ['cluster-snapshot'] },
  // Who a snapshot is shared with (read only). Scoped to "*": the local cloud authorises these two calls
  // on "*" (RDS itself takes the snapshot's ARN; `policy` would be enough there).
  'rds:DescribeDBSnapshotAttributes': { unscoped: true },
  'rds:DescribeDBClusterSnapshotAttributes': { unscoped: true },
  'rds:StartExportTask': { policy: ['snapshot', 'cluster-snapshot'] },
  'rds:DescribeExportTasks': { unscoped: true },
  'rds:DescribeAccountAttributes': { unscoped: true },
};

/**
 * Where a service needs an action more widely than the table above: the lifecycle service reads and tags
 * its snapshots in the regions it copies them to.
 */
export const SERVICE_SCOPES: Record<string, Record<string, RdsActionScope>> = {
  lifecycle: {
    'rds:DescribeDBSnapshots': { anyRegion: ['db', 'snapshot'] },
    'rds:DescribeDBClusterSnapshots': { anyRegion: ['cluster', 'cluster-snapshot'] },
    // Tags given with CreateDB*Snapshot and CopyDB*Snapshot, on the new policy snapshot.
    'rds:AddTagsToResource': { policy: ['snapshot', 'cluster-snapshot'] },
  },
  // Replication (deploy/replication.ts): its snapshots are named `rewind-repl-*`, in the regions of its
  // policies; the source account's shared snapshots are granted by name in that account.
  replication: {
    'rds:DescribeDBSnapshots': { anyRegion: ['db', 'snapshot'] },
    'rds:DescribeDBClusterSnapshots': { anyRegion: ['cluster', 'cluster-snapshot'] },
    'rds:AddTagsToResource': { policy: ['snapshot', 'cluster-snapshot'] },
  },
};

/** Actions that create databases with `Tags`: RDS then also authorises AddTagsToResource on the new one. */
const CREATES_TAGGED_DATABASES = [
  'rds:RestoreDBInstanceFromDBSnapshot',
  'rds:RestoreDBClusterFromSnapshot',
  'rds:RestoreDBInstanceToPointInTime',
  'rds:RestoreDBClusterToPointInTime',
  'rds:CreateDBInstance',
];

/** Restores that use the snapshot's KMS key (or the one given) on the caller's behalf. */
const USES_KMS_KEYS = [
  'rds:RestoreDBInstanceFromDBSnapshot',
  'rds:RestoreDBClusterFromSnapshot',
  'rds:RestoreDBInstanceToPointInTime',
  'rds:RestoreDBClusterToPointInTime',
];

function scopeOf(action: string, service?: string): RdsActionScope {
  const scope = (service ? SERVICE_SCOPES[service]?.[action] : undefined) ?? RDS_ACTION_SCOPES[action];
  if (!scope) {
    throw new Error(
      `No IAM scope is defined for ${action}: add it to RDS_ACTION_SCOPES in deploy/rdsIam.ts ` +
        '(which resources it touches, and whether they carry the opt-in tag)',
    );
  }
  return scope;
}

export const rdsArn = (type: RdsResourceType): Cfn => arn('rds', `${type}:*`);

/** Name patterns of the snapshots Rewind creates (`shared/src/rds/naming.ts`). */
export const REWIND_SNAPSHOT_PATTERNS = [
  ...['snapshot', 'final'].map((role) => `*-rw${'?'.repeat(RUN_TAG_LENGTH)}-${role}-*`),
  `${POLICY_SNAPSHOT_PREFIX}*`,
];

/**
 * The regions a service reaches beyond its own (the lifecycle service: where its policies copy to, from
 * the policy file): its own region (`AWS::Region`) first.
 */
const inRegions = (regions: readonly string[]): Cfn[] => [ref('AWS::Region'), ...regions];
const regionalArn = (service: string, region: Cfn, resource: string): Cfn =>
  join('arn:', ref('AWS::Partition'), `:${service}:`, region, ':', ref('AWS::AccountId'), `:${resource}`);

/** Snapshots of snapshot policies (`rewind-*`, or a narrower prefix), in its region and those it copies to. */
const policyArns = (type: RdsResourceType, regions: readonly string[], prefix: string): Cfn[] =>
  inRegions(regions).map((r) => regionalArn('rds', r, `${type}:${prefix}*`));
const regionsArns = (type: RdsResourceType, regions: readonly string[]): Cfn[] =>
  inRegions(regions).map((r) => regionalArn('rds', r, `${type}:*`));

/** ARNs of resources a call creates: any database, but only snapshots named as Rewind names them. */
function createdArns(type: RdsResourceType): Cfn[] {
  if (type !== 'snapshot' && type !== 'cluster-snapshot') return [rdsArn(type)];
  return REWIND_SNAPSHOT_PATTERNS.map((pattern) => arn('rds', `${type}:${pattern}`));
}

export interface IamStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: Cfn[] | Cfn;
  Condition?: Record<string, unknown>;
}

/**
 * Tags given when a database is created (a restore, an Aurora member) are authorised by RDS as
 * `rds:AddTagsToResource` on the new database. RDS offers no condition key telling that apart from
 * tagging an existing database, so the grant is narrowed to what Rewind's creations carry: the opt-in tag
 * with its value (copied from the opted-in original) and the run id, on a database that has no opt-in
 * tag yet (a new one). It can never change an existing opt-in tag (`rewind:allow=false` stays false);
 * what it cannot prevent is written in docs/deploy.md.
 */
export function tagOnCreateStatement(
  optIn: { key: string; value: string },
  resources: Cfn[] = [rdsArn('cluster'), rdsArn('db')],
  sid = 'RdsTagOnCreate',
): IamStatement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: ['rds:AddTagsToResource'],
    Resource: resources,
    Condition: {
      StringEquals: { [`aws:RequestTag/${optIn.key}`]: optIn.value },
      Null: { [`aws:RequestTag/${REWIND_TAGS.runId}`]: 'false', [`aws:ResourceTag/${optIn.key}`]: 'true' },
    },
  };
}

/**
 * A restore of an encrypted snapshot makes RDS create a grant on its KMS key on the caller's behalf:
 * the caller needs `kms:DescribeKey` and `kms:CreateGrant`, which `kms:ViaService` limits to RDS in this
 * region (and `kms:GrantIsForAWSResource` to grants for AWS resources).
 */
function kmsStatements(): IamStatement[] {
  const viaRds = { 'kms:ViaService': join('rds.', ref('AWS::Region'), '.amazonaws.com') };
  const keys = arn('kms', 'key/*');
  return [
    {
      Sid: 'KmsDescribeViaRds',
      Effect: 'Allow',
      Action: ['kms:DescribeKey'],
      Resource: keys,
      Condition: { StringEquals: viaRds },
    },
    {
      Sid: 'KmsGrantViaRds',
      Effect: 'Allow',
      Action: ['kms:CreateGrant'],
      Resource: keys,
      Condition: { StringEquals: viaRds, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    },
  ];
}

/** Copies (encrypted with the destination's key) and exports (with the export's key) use KMS keys via RDS. */
const COPIES_WITH_KMS_KEYS = ['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot', 'rds:StartExportTask'];

/** As `kmsStatements`, for RDS in each region it copies to: a copy uses a key of its destination region. */
function policyKmsStatements(regions: readonly string[]): IamStatement[] {
  const viaRds = { 'kms:ViaService': inRegions(regions).map((r) => join('rds.', r, '.amazonaws.com')) };
  const keys = inRegions(regions).map((r) => regionalArn('kms', r, 'key/*'));
  return [
    {
      Sid: 'KmsDescribeViaRdsCopies',
      Effect: 'Allow',
      Action: ['kms:DescribeKey'],
      Resource: keys,
      Condition: { StringEquals: viaRds },
    },
    {
      Sid: 'KmsGrantViaRdsCopies',
      Effect: 'Allow',
      Action: ['kms:CreateGrant'],
      Resource: keys,
      Condition: { StringEquals: viaRds, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    },
  ];
}

/**
 * IAM statements for the RDS actions of one service. One statement per kind of scope, and within a kind
 * actions are grouped only when they touch exactly the same resource types, so no action gains a
 * resource type (or loses a condition) because of another.
 */
export function rdsStatements(
  actions: readonly string[],
  optIn: { key: string; value: string },
  service?: string,
  /** Other regions it works in (the lifecycle service: where its policies copy snapshots to). */
  regions: readonly string[] = [],
  options: {
    /** false: the caller grants KMS itself, on the keys it names (the replication service). */
    kms?: boolean;
    /** The names of its policy snapshots (default `rewind-`; replication: `rewind-repl-`). */
    snapshotPrefix?: string;
  } = {},
): IamStatement[] {
  const rds = actions.filter((a) => a.startsWith('rds:'));
  const statements: IamStatement[] = [];
  const unscoped = rds.filter((a) => scopeOf(a, service).unscoped).sort();
  if (unscoped.length)
    statements.push({ Sid: 'RdsUnscoped', Effect: 'Allow', Action: unscoped, Resource: '*' });
  const kinds = [
    'read',
    'optedIn',
    'created',
    'groups',
    'runTagged',
    'anyRegion',
    'policy',
    'policyTagged',
  ] as const;
  const arnsOf = (kind: (typeof kinds)[number]) =>
    kind === 'created'
      ? createdArns
      : kind === 'anyRegion'
        ? (t: RdsResourceType) => regionsArns(t, regions)
        : kind === 'policy' || kind === 'policyTagged'
          ? (t: RdsResourceType) => policyArns(t, regions, options.snapshotPrefix ?? POLICY_SNAPSHOT_PREFIX)
          : (t: RdsResourceType) => [rdsArn(t)];
  for (const kind of kinds) {
    const groups = new Map<string, { actions: string[]; types: RdsResourceType[] }>();
    for (const action of rds) {
      const types = [...new Set(scopeOf(action, service)[kind] ?? [])].sort();
      if (!types.length) continue;
      const key = types.join(',');
      const group = groups.get(key) ?? { actions: [], types };
      group.actions.push(action);
      groups.set(key, group);
    }
    let n = 0;
    for (const group of groups.values()) {
      const sid = `Rds${kind[0]!.toUpperCase()}${kind.slice(1)}${n++ || ''}`;
      statements.push({
        Sid: sid,
        Effect: 'Allow',
        Action: group.actions.sort(),
        Resource: group.types.flatMap(arnsOf(kind)),
        ...(kind === 'optedIn'
          ? { Condition: { StringEquals: { [`aws:ResourceTag/${optIn.key}`]: optIn.value } } }
          : {}),
        ...(kind === 'runTagged'
          ? {
              Condition: {
                StringLike: { [`aws:ResourceTag/${RUN_TAG_KEY}`]: 'run-*' },
                'ForAllValues:StringEquals': { 'aws:TagKeys': [RUN_TAG_KEY] },
              },
            }
          : {}),
        ...(kind === 'policyTagged'
          ? { Condition: { StringEquals: { [`aws:ResourceTag/${REWIND_TAGS.createdBy}`]: 'rewind' } } }
          : {}),
      });
    }
  }
  const kms = options.kms !== false;
  if (kms && rds.some((a) => COPIES_WITH_KMS_KEYS.includes(a)))
    statements.push(...policyKmsStatements(regions));
  if (rds.includes('rds:AddTagsToResource') && rds.some((a) => CREATES_TAGGED_DATABASES.includes(a))) {
    statements.push(tagOnCreateStatement(optIn));
  }
  if (kms && rds.some((a) => USES_KMS_KEYS.includes(a))) statements.push(...kmsStatements());
  return statements;
}
