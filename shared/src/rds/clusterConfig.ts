import type {
  CreateDBInstanceCommandInput,
  DBCluster,
  DBInstance,
  ModifyDBClusterCommandInput,
  RestoreDBClusterFromSnapshotCommandInput,
  RestoreDBClusterToPointInTimeCommandInput,
} from '@aws-sdk/client-rds';
import { modificationOf } from './modification';
import { userTags, type ConfigDifference } from './configCapture';

/**
 * The configuration of an Aurora cluster and of each member instance that an in-place restore must
 * reproduce. `RestoreDBClusterFromSnapshot` creates no instances: each member is created afterwards
 * with `CreateDBInstance`, the former writer first (the first instance of a cluster becomes its writer).
 */

type Tags = { Key: string; Value: string }[];

export interface ClusterMemberConfig {
  identifier: string;
  dbiResourceId?: string;
  endpointAddress?: string;
  writer: boolean;
  promotionTier?: number;
  dbInstanceClass?: string;
  dbParameterGroupName?: string;
  availabilityZone?: string;
  publiclyAccessible?: boolean;
  autoMinorVersionUpgrade?: boolean;
  caCertificateIdentifier?: string;
  preferredMaintenanceWindow?: string;
  monitoringInterval?: number;
  monitoringRoleArn?: string;
  performanceInsightsEnabled?: boolean;
  performanceInsightsKmsKeyId?: string;
  performanceInsightsRetentionPeriod?: number;
  copyTagsToSnapshot?: boolean;
  tags: Tags;
}

export interface ClusterConfig {
  identifier: string;
  dbClusterResourceId?: string;
  endpointAddress?: string;
  readerEndpointAddress?: string;
  engine: string;
  engineVersion?: string;
  engineMode?: string;
  port?: number;
  databaseName?: string;
  dbSubnetGroupName?: string;
  vpcSecurityGroupIds?: string[];
  dbClusterParameterGroupName?: string;
  storageEncrypted?: boolean;
  /** `none`, `sse-rds` (an AWS owned key) or `sse-kms`; not compared (storageEncrypted and kmsKeyId are). */
  storageEncryptionType?: string;
  kmsKeyId?: string;
  /** Master password managed in Secrets Manager: turned on again after the restore (a new secret), as for instances. */
  manageMasterUserPassword?: boolean;
  masterUserSecretArn?: string;
  masterUserSecretKmsKeyId?: string;
  deletionProtection?: boolean;
  iamDatabaseAuthentication?: boolean;
  cloudwatchLogsExports?: string[];
  backtrackWindow?: number;
  serverlessV2Scaling?: { MinCapacity?: number; MaxCapacity?: number; SecondsUntilAutoPause?: number };
  backupRetentionPeriod?: number;
  preferredBackupWindow?: string;
  preferredMaintenanceWindow?: string;
  copyTagsToSnapshot?: boolean;
  networkType?: string;
  storageType?: string;
  iops?: number;
  tags: Tags;
  /** The former writer first, then the readers by promotion tier and name. */
  members: ClusterMemberConfig[];
}

const COMPARED_CLUSTER_FIELDS = [
  'engine',
  'engineVersion',
  'engineMode',
  'port',
  'databaseName',
  'dbSubnetGroupName',
  'vpcSecurityGroupIds',
  'dbClusterParameterGroupName',
  'storageEncrypted',
  'kmsKeyId',
  'manageMasterUserPassword',
  'deletionProtection',
  'iamDatabaseAuthentication',
  'cloudwatchLogsExports',
  'backtrackWindow',
  'serverlessV2Scaling',
  'backupRetentionPeriod',
  'preferredBackupWindow',
  'preferredMaintenanceWindow',
  'copyTagsToSnapshot',
  'networkType',
  'storageType',
  'iops',
  'tags',
] as const satisfies readonly (keyof ClusterConfig)[];

const COMPARED_MEMBER_FIELDS = [
  'writer',
  'promotionTier',
  'dbInstanceClass',
  'dbParameterGroupName',
  'availabilityZone',
  'publiclyAccessible',
  'autoMinorVersionUpgrade',
  'caCertificateIdentifier',
  'preferredMaintenanceWindow',
  'monitoringInterval',
  'monitoringRoleArn',
  'performanceInsightsEnabled',
  'performanceInsightsKmsKeyId',
  'performanceInsightsRetentionPeriod',
  'copyTagsToSnapshot',
  'tags',
] as const satisfies readonly (keyof ClusterMemberConfig)[];

const sorted = (values: string[] | undefined) => (values ? [...values].sort() : undefined);

function captureMemberConfig(db: DBInstance, writer: boolean): ClusterMemberConfig {
  return {
    identifier: db.DBInstanceIdentifier!,
    dbiResourceId: db.DbiResourceId,
    endpointAddress: db.Endpoint?.Address,
    writer,
    promotionTier: db.PromotionTier,
    dbInstanceClass: db.DBInstanceClass,
    dbParameterGroupName: db.DBParameterGroups?.[0]?.DBParameterGroupName,
    availabilityZone: db.AvailabilityZone,
    publiclyAccessible: db.PubliclyAccessible,
    autoMinorVersionUpgrade: db.AutoMinorVersionUpgrade,
    caCertificateIdentifier: db.CACertificateIdentifier,
    preferredMaintenanceWindow: db.PreferredMaintenanceWindow,
    monitoringInterval: db.MonitoringInterval,
    monitoringRoleArn: db.MonitoringInterval ? db.MonitoringRoleArn : undefined,
    performanceInsightsEnabled: db.PerformanceInsightsEnabled,
    performanceInsightsKmsKeyId: db.PerformanceInsightsEnabled ? db.PerformanceInsightsKMSKeyId : undefined,
    performanceInsightsRetentionPeriod: db.PerformanceInsightsEnabled
      ? db.PerformanceInsightsRetentionPeriod
      : undefined,
    copyTagsToSnapshot: db.CopyTagsToSnapshot,
    tags: userTags(db.TagList),
  };
}

/** `members`: the describe output of every instance the cluster lists (any order). */
export function captureClusterConfig(cluster: DBCluster, members: DBInstance[]): ClusterConfig {
  const writers = new Set(
    (cluster.DBClusterMembers ?? []).filter((m) => m.IsClusterWriter).map((m) => m.DBInstanceIdentifier),
  );
  const captured = members
    .map((m) => captureMemberConfig(m, writers.has(m.DBInstanceIdentifier)))
    .sort(
      (a, b) =>
        Number(b.writer) - Number(a.writer) ||
        (a.promotionTier ?? 1) - (b.promotionTier ?? 1) ||
        a.identifier.localeCompare(b.identifier),
    );
  const sv2 = cluster.ServerlessV2ScalingConfiguration;
  return {
    identifier: cluster.DBClusterIdentifier!,
    dbClusterResourceId: cluster.DbClusterResourceId,
    endpointAddress: cluster.Endpoint,
    readerEndpointAddress: cluster.ReaderEndpoint,
    engine: cluster.Engine!,
    engineVersion: cluster.EngineVersion,
    engineMode: cluster.EngineMode,
    port: cluster.Port,
    databaseName: cluster.DatabaseName,
    dbSubnetGroupName: cluster.DBSubnetGroup,
    vpcSecurityGroupIds: sorted(cluster.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId!)),
    dbClusterParameterGroupName: cluster.DBClusterParameterGroup,
    storageEncrypted: cluster.StorageEncrypted,
    storageEncryptionType: cluster.StorageEncryptionType,
    kmsKeyId: cluster.KmsKeyId,
    manageMasterUserPassword: cluster.MasterUserSecret !== undefined,
    masterUserSecretArn: cluster.MasterUserSecret?.SecretArn,
    masterUserSecretKmsKeyId: cluster.MasterUserSecret?.KmsKeyId,
    deletionProtection: cluster.DeletionProtection,
    iamDatabaseAuthentication: cluster.IAMDatabaseAuthenticationEnabled,
    cloudwatchLogsExports: sorted(cluster.EnabledCloudwatchLogsExports),
    backtrackWindow: cluster.BacktrackWindow,
    serverlessV2Scaling: sv2
      ? {
          MinCapacity: sv2.MinCapacity,
          MaxCapacity: sv2.MaxCapacity,
          SecondsUntilAutoPause: sv2.SecondsUntilAutoPause,
        }
      : undefined,
    backupRetentionPeriod: cluster.BackupRetentionPeriod,
    preferredBackupWindow: cluster.PreferredBackupWindow,
    preferredMaintenanceWindow: cluster.PreferredMaintenanceWindow,
    copyTagsToSnapshot: cluster.CopyTagsToSnapshot,
    networkType: cluster.NetworkType,
    storageType: cluster.StorageType,
    iops: cluster.Iops,
    tags: userTags(cluster.TagList),
    members: captured,
  };
}

/** The cluster restore call with every captured setting it accepts; deletion protection comes after verification. */
export function restoreClusterInput(
  config: ClusterConfig,
  snapshotIdentifier: string,
  extraTags: Tags = [],
): RestoreDBClusterFromSnapshotCommandInput {
  return {
    DBClusterIdentifier: config.identifier,
    SnapshotIdentifier: snapshotIdentifier,
    Engine: config.engine,
    EngineVersion: config.engineVersion,
    EngineMode: config.engineMode,
    Port: config.port,
    DatabaseName: config.databaseName,
    DBSubnetGroupName: config.dbSubnetGroupName,
    VpcSecurityGroupIds: config.vpcSecurityGroupIds,
    DBClusterParameterGroupName: config.dbClusterParameterGroupName,
    KmsKeyId: config.kmsKeyId,
    DeletionProtection: false,
    EnableIAMDatabaseAuthentication: config.iamDatabaseAuthentication,
    EnableCloudwatchLogsExports: config.cloudwatchLogsExports?.length
      ? config.cloudwatchLogsExports
      : undefined,
    BacktrackWindow: config.backtrackWindow || undefined,
    ServerlessV2ScalingConfiguration: config.serverlessV2Scaling,
    BackupRetentionPeriod: config.backupRetentionPeriod,
    PreferredBackupWindow: config.preferredBackupWindow,
    CopyTagsToSnapshot: config.copyTagsToSnapshot,
    NetworkType: config.networkType,
    StorageType: config.storageType,
    Iops: config.iops,
    Tags: [...config.tags, ...extraTags],
  };
}

/**
 * The cluster point-in-time restore call (a full copy, never copy-on-write: a clone must not share
 * storage with its source), every setting given explicitly: this call's defaults are the default
 * security group and the default cluster parameter group.
 */
export function pointInTimeClusterInput(
  config: ClusterConfig,
  from: { sourceResourceId: string; time: string },
  extraTags: Tags = [],
): RestoreDBClusterToPointInTimeCommandInput {
  const {
    SnapshotIdentifier: _snapshot,
    Engine: _engine,
    EngineVersion: _version,
    DatabaseName: _database,
    ...settings
  } = restoreClusterInput(config, '', extraTags);
  return {
    ...settings,
    SourceDbClusterResourceId: from.sourceResourceId,
    RestoreType: 'full-copy',
    // The cluster call names its time RestoreToTime.
    ...(from.time === 'latest' ? { UseLatestRestorableTime: true } : { RestoreToTime: new Date(from.time) }),
  };
}

/** The creation of one member in the restored cluster, under its original name with its settings. */
export function memberCreateInput(
  config: ClusterConfig,
  member: ClusterMemberConfig,
  extraTags: Tags = [],
): CreateDBInstanceCommandInput {
  return {
    DBInstanceIdentifier: member.identifier,
    DBClusterIdentifier: config.identifier,
    Engine: config.engine,
    DBInstanceClass: member.dbInstanceClass,
    DBParameterGroupName: member.dbParameterGroupName,
    PromotionTier: member.promotionTier,
    AvailabilityZone: member.availabilityZone,
    PubliclyAccessible: member.publiclyAccessible,
    AutoMinorVersionUpgrade: member.autoMinorVersionUpgrade,
    CACertificateIdentifier: member.caCertificateIdentifier,
    PreferredMaintenanceWindow: member.preferredMaintenanceWindow,
    MonitoringInterval: member.monitoringInterval,
    MonitoringRoleArn: member.monitoringInterval ? member.monitoringRoleArn : undefined,
    EnablePerformanceInsights: member.performanceInsightsEnabled,
    PerformanceInsightsKMSKeyId: member.performanceInsightsKmsKeyId,
    PerformanceInsightsRetentionPeriod: member.performanceInsightsRetentionPeriod,
    CopyTagsToSnapshot: member.copyTagsToSnapshot,
    Tags: [...member.tags, ...extraTags],
  };
}

/** Cluster settings restore cannot take (or that Rewind applies late), as one ModifyDBCluster; undefined if none differ. */
export function postRestoreClusterModification(
  config: ClusterConfig,
  restored: ClusterConfig,
): { input: ModifyDBClusterCommandInput; applied: string[] } | undefined {
  const { set, result } = modificationOf<ModifyDBClusterCommandInput>({
    DBClusterIdentifier: config.identifier,
    ApplyImmediately: true,
  });
  set('PreferredMaintenanceWindow', config.preferredMaintenanceWindow, restored.preferredMaintenanceWindow);
  set('PreferredBackupWindow', config.preferredBackupWindow, restored.preferredBackupWindow);
  set('BackupRetentionPeriod', config.backupRetentionPeriod, restored.backupRetentionPeriod);
  set(
    'DBClusterParameterGroupName',
    config.dbClusterParameterGroupName,
    restored.dbClusterParameterGroupName,
  );
  set(
    'EnableIAMDatabaseAuthentication',
    config.iamDatabaseAuthentication,
    restored.iamDatabaseAuthentication,
  );
  set('CopyTagsToSnapshot', config.copyTagsToSnapshot, restored.copyTagsToSnapshot);
  set('DeletionProtection', config.deletionProtection, restored.deletionProtection);
  if (config.manageMasterUserPassword && !restored.manageMasterUserPassword) {
    set('ManageMasterUserPassword', true, undefined);
    set('MasterUserSecretKmsKeyId', config.masterUserSecretKmsKeyId, undefined);
  }
  return result();
}

function same(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) =>
    v === undefined || v === null || (Array.isArray(v) && v.length === 0) ? 'null' : JSON.stringify(v);
  return norm(a) === norm(b);
}

/** Every difference between the captured cluster (with its members) and another capture. */
export function diffClusterConfig(expected: ClusterConfig, actual: ClusterConfig): ConfigDifference[] {
  const diffs: ConfigDifference[] = COMPARED_CLUSTER_FIELDS.filter((f) => !same(expected[f], actual[f])).map(
    (field) => ({
      field,
      expected: expected[field],
      actual: actual[field],
    }),
  );
  const names = (c: ClusterConfig) => c.members.map((m) => m.identifier).sort();
  if (!same(names(expected), names(actual))) {
    diffs.push({ field: 'members', expected: names(expected), actual: names(actual) });
  }
  for (const want of expected.members) {
    const got = actual.members.find((m) => m.identifier === want.identifier);
    if (!got) continue;
    for (const f of COMPARED_MEMBER_FIELDS) {
      if (!same(want[f], got[f]))
        diffs.push({ field: `${want.identifier}.${f}`, expected: want[f], actual: got[f] });
    }
  }
  return diffs;
}

/** What the restore leaves to a modify call: settings `RestoreDBClusterFromSnapshot` does not take, and deletion protection. */
export function clusterSettingsAfterRestore(config: ClusterConfig): string[] {
  return [
    ...(config.preferredMaintenanceWindow ? ['PreferredMaintenanceWindow'] : []),
    ...(config.deletionProtection ? ['DeletionProtection'] : []),
    ...(config.manageMasterUserPassword ? ['ManageMasterUserPassword'] : []),
  ];
}

/** Whether a database carries the tag Rewind puts on what a run creates (`rewind:run-id`). */
export function taggedByRun(tags: { Key?: string; Value?: string }[] | undefined, runId: string): boolean {
  return (tags ?? []).some((t) => t.Key === 'rewind:run-id' && t.Value === runId);
}
