import type {
  DBInstance,
  ModifyDBInstanceCommandInput,
  RestoreDBInstanceFromDBSnapshotCommandInput,
  RestoreDBInstanceToPointInTimeCommandInput,
  Tag,
} from '@aws-sdk/client-rds';
import { modificationOf } from './modification';

/**
 * The configuration of a DB instance that a restore must reproduce. Restore defaults lose most of it
 * (default parameter/option groups, Single-AZ, default network, no deletion protection...), so every
 * field is captured at intake and passed explicitly; what restore cannot take is applied afterwards.
 */
export interface InstanceConfig {
  identifier: string;
  dbiResourceId?: string;
  engine?: string;
  engineVersion?: string;
  endpointAddress?: string;
  /** Encryption comes from the snapshot (an instance restore takes no key): verified, never passed. */
  storageEncrypted?: boolean;
  storageEncryptionType?: string;
  kmsKeyId?: string;
  /**
   * The master password is managed in Secrets Manager. A restore does not carry the secret (the call
   * takes management for Oracle only): it is turned on again after the restore, which creates a new
   * secret with a new password; the original's secret goes with the original.
   */
  manageMasterUserPassword?: boolean;
  masterUserSecretArn?: string;
  masterUserSecretKmsKeyId?: string;
  // settable at restore
  dbInstanceClass?: string;
  port?: number;
  availabilityZone?: string;
  multiAZ?: boolean;
  publiclyAccessible?: boolean;
  dbSubnetGroupName?: string;
  vpcSecurityGroupIds?: string[];
  dbParameterGroupName?: string;
  optionGroupName?: string;
  storageType?: string;
  iops?: number;
  storageThroughput?: number;
  allocatedStorage?: number;
  iamDatabaseAuthentication?: boolean;
  cloudwatchLogsExports?: string[];
  copyTagsToSnapshot?: boolean;
  tags: { Key: string; Value: string }[];
  backupRetentionPeriod?: number;
  preferredBackupWindow?: string;
  autoMinorVersionUpgrade?: boolean;
  caCertificateIdentifier?: string;
  networkType?: string;
  licenseModel?: string;
  domain?: string;
  domainIAMRoleName?: string;
  processorFeatures?: { Name: string; Value: string }[];
  // applied with ModifyDBInstance after the restore
  deletionProtection?: boolean;
  monitoringInterval?: number;
  monitoringRoleArn?: string;
  performanceInsightsEnabled?: boolean;
  performanceInsightsKmsKeyId?: string;
  performanceInsightsRetentionPeriod?: number;
  preferredMaintenanceWindow?: string;
  maxAllocatedStorage?: number;
}

/** Fields compared after a restore: everything captured except identity and endpoint facts. */
const COMPARED_FIELDS = [
  'engine',
  'engineVersion',
  'storageEncrypted',
  'kmsKeyId',
  'manageMasterUserPassword',
  'dbInstanceClass',
  'port',
  'multiAZ',
  'publiclyAccessible',
  'dbSubnetGroupName',
  'vpcSecurityGroupIds',
  'dbParameterGroupName',
  'optionGroupName',
  'storageType',
  'iops',
  'storageThroughput',
  'allocatedStorage',
  'iamDatabaseAuthentication',
  'cloudwatchLogsExports',
  'copyTagsToSnapshot',
  'tags',
  'backupRetentionPeriod',
  'preferredBackupWindow',
  'autoMinorVersionUpgrade',
  'caCertificateIdentifier',
  'networkType',
  'licenseModel',
  'domain',
  'processorFeatures',
  'deletionProtection',
  'monitoringInterval',
  'monitoringRoleArn',
  'performanceInsightsEnabled',
  'performanceInsightsRetentionPeriod',
  'preferredMaintenanceWindow',
  'maxAllocatedStorage',
] as const satisfies readonly (keyof InstanceConfig)[];

/** Tags RDS or AWS own (`aws:` prefix) cannot be set; Rewind's own bookkeeping tags are not copied. */
export function userTags(tags: Tag[] | undefined): { Key: string; Value: string }[] {
  return (tags ?? [])
    .filter(
      (t) =>
        t.Key &&
        !t.Key.startsWith('aws:') &&
        !t.Key.startsWith('rewind:run') &&
        !t.Key.startsWith('rewind:created'),
    )
    .map((t) => ({ Key: t.Key!, Value: t.Value ?? '' }))
    .sort((a, b) => a.Key.localeCompare(b.Key));
}

export function captureInstanceConfig(db: DBInstance): InstanceConfig {
  return {
    identifier: db.DBInstanceIdentifier!,
    dbiResourceId: db.DbiResourceId,
    engine: db.Engine,
    engineVersion: db.EngineVersion,
    endpointAddress: db.Endpoint?.Address,
    storageEncrypted: db.StorageEncrypted,
    storageEncryptionType: db.StorageEncryptionType,
    kmsKeyId: db.KmsKeyId,
    manageMasterUserPassword: db.MasterUserSecret !== undefined,
    masterUserSecretArn: db.MasterUserSecret?.SecretArn,
    masterUserSecretKmsKeyId: db.MasterUserSecret?.KmsKeyId,
    dbInstanceClass: db.DBInstanceClass,
    port: db.Endpoint?.Port ?? db.DbInstancePort,
    availabilityZone: db.MultiAZ ? undefined : db.AvailabilityZone,
    multiAZ: db.MultiAZ,
    publiclyAccessible: db.PubliclyAccessible,
    dbSubnetGroupName: db.DBSubnetGroup?.DBSubnetGroupName,
    vpcSecurityGroupIds: db.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId!).sort(),
    dbParameterGroupName: db.DBParameterGroups?.[0]?.DBParameterGroupName,
    optionGroupName: db.OptionGroupMemberships?.[0]?.OptionGroupName,
    storageType: db.StorageType,
    iops: db.Iops,
    storageThroughput: db.StorageThroughput,
    allocatedStorage: db.AllocatedStorage,
    iamDatabaseAuthentication: db.IAMDatabaseAuthenticationEnabled,
    cloudwatchLogsExports: db.EnabledCloudwatchLogsExports
      ? [...db.EnabledCloudwatchLogsExports].sort()
      : undefined,
    copyTagsToSnapshot: db.CopyTagsToSnapshot,
    tags: userTags(db.TagList),
    backupRetentionPeriod: db.BackupRetentionPeriod,
    preferredBackupWindow: db.PreferredBackupWindow,
    autoMinorVersionUpgrade: db.AutoMinorVersionUpgrade,
    caCertificateIdentifier: db.CACertificateIdentifier,
    networkType: db.NetworkType,
    licenseModel: db.LicenseModel,
    domain: db.DomainMemberships?.[0]?.Domain,
    domainIAMRoleName: db.DomainMemberships?.[0]?.IAMRoleName,
    processorFeatures: db.ProcessorFeatures?.map((p) => ({ Name: p.Name!, Value: p.Value! })),
    deletionProtection: db.DeletionProtection,
    monitoringInterval: db.MonitoringInterval,
    monitoringRoleArn: db.MonitoringInterval ? db.MonitoringRoleArn : undefined,
    performanceInsightsEnabled: db.PerformanceInsightsEnabled,
    performanceInsightsKmsKeyId: db.PerformanceInsightsEnabled ? db.PerformanceInsightsKMSKeyId : undefined,
    performanceInsightsRetentionPeriod: db.PerformanceInsightsEnabled
      ? db.PerformanceInsightsRetentionPeriod
      : undefined,
    preferredMaintenanceWindow: db.PreferredMaintenanceWindow,
    maxAllocatedStorage: db.MaxAllocatedStorage,
  };
}

/**
 * The restore call: every setting RDS accepts at restore time. Deletion protection is applied after
 * the restore is verified, so a failed restore can always be discarded.
 */
export function restoreInstanceInput(
  config: InstanceConfig,
  snapshotIdentifier: string,
  extraTags: { Key: string; Value: string }[] = [],
): RestoreDBInstanceFromDBSnapshotCommandInput {
  return {
    DBInstanceIdentifier: config.identifier,
    DBSnapshotIdentifier: snapshotIdentifier,
    DBInstanceClass: config.dbInstanceClass,
    Port: config.port,
    AvailabilityZone: config.multiAZ ? undefined : config.availabilityZone,
    MultiAZ: config.multiAZ,
    PubliclyAccessible: config.publiclyAccessible,
    DBSubnetGroupName: config.dbSubnetGroupName,
    VpcSecurityGroupIds: config.vpcSecurityGroupIds,
    DBParameterGroupName: config.dbParameterGroupName,
    OptionGroupName: config.optionGroupName,
    StorageType: config.storageType,
    Iops: config.iops,
    StorageThroughput: config.storageThroughput,
    AllocatedStorage: config.allocatedStorage,
    EnableIAMDatabaseAuthentication: config.iamDatabaseAuthentication,
    EnableCloudwatchLogsExports: config.cloudwatchLogsExports?.length
      ? config.cloudwatchLogsExports
      : undefined,
    DeletionProtection: false,
    CopyTagsToSnapshot: config.copyTagsToSnapshot,
    Tags: [...config.tags, ...extraTags],
    BackupRetentionPeriod: config.backupRetentionPeriod,
    PreferredBackupWindow: config.preferredBackupWindow,
    AutoMinorVersionUpgrade: config.autoMinorVersionUpgrade,
    CACertificateIdentifier: config.caCertificateIdentifier,
    NetworkType: config.networkType,
    LicenseModel: config.licenseModel,
    Domain: config.domain,
    DomainIAMRoleName: config.domainIAMRoleName,
    ProcessorFeatures: config.processorFeatures?.length ? config.processorFeatures : undefined,
  };
}

/**
 * The point-in-time restore call: the same settings as a snapshot restore, all given explicitly (this
 * call's defaults lose even more: default security group, subnet group and parameter group, single-AZ),
 * from the source's backups by its resource id, which survives the set-aside rename.
 */
export function pointInTimeInstanceInput(
  config: InstanceConfig,
  from: { sourceResourceId: string; time: string },
  extraTags: { Key: string; Value: string }[] = [],
): RestoreDBInstanceToPointInTimeCommandInput {
  const {
    DBInstanceIdentifier,
    DBSnapshotIdentifier: _snapshot,
    ...settings
  } = restoreInstanceInput(config, '', extraTags);
  return {
    ...settings,
    TargetDBInstanceIdentifier: DBInstanceIdentifier,
    SourceDbiResourceId: from.sourceResourceId,
    ...(from.time === 'latest' ? { UseLatestRestorableTime: true } : { RestoreTime: new Date(from.time) }),
    MaxAllocatedStorage: config.maxAllocatedStorage,
  };
}

/** Settings restore cannot take (or that Rewind applies late), as one ModifyDBInstance; undefined if none differ. */
export function postRestoreModification(
  config: InstanceConfig,
  restored: InstanceConfig,
): { input: ModifyDBInstanceCommandInput; applied: string[] } | undefined {
  const { set, result } = modificationOf<ModifyDBInstanceCommandInput>({
    DBInstanceIdentifier: config.identifier,
    ApplyImmediately: true,
  });
  if ((config.monitoringInterval ?? 0) !== (restored.monitoringInterval ?? 0)) {
    set('MonitoringInterval', config.monitoringInterval ?? 0, undefined);
    if (config.monitoringInterval)
      set('MonitoringRoleArn', config.monitoringRoleArn, restored.monitoringRoleArn);
  }
  if ((config.performanceInsightsEnabled ?? false) !== (restored.performanceInsightsEnabled ?? false)) {
    set('EnablePerformanceInsights', config.performanceInsightsEnabled ?? false, undefined);
  }
  if (config.performanceInsightsEnabled) {
    set(
      'PerformanceInsightsKMSKeyId',
      config.performanceInsightsKmsKeyId,
      restored.performanceInsightsKmsKeyId,
    );
    set(
      'PerformanceInsightsRetentionPeriod',
      config.performanceInsightsRetentionPeriod,
      restored.performanceInsightsRetentionPeriod,
    );
  }
  set('PreferredMaintenanceWindow', config.preferredMaintenanceWindow, restored.preferredMaintenanceWindow);
  set('MaxAllocatedStorage', config.maxAllocatedStorage, restored.maxAllocatedStorage);
  set('DeletionProtection', config.deletionProtection, restored.deletionProtection);
  set('BackupRetentionPeriod', config.backupRetentionPeriod, restored.backupRetentionPeriod);
  set('DBParameterGroupName', config.dbParameterGroupName, restored.dbParameterGroupName);
  set('CACertificateIdentifier', config.caCertificateIdentifier, restored.caCertificateIdentifier);
  if (config.manageMasterUserPassword && !restored.manageMasterUserPassword) {
    set('ManageMasterUserPassword', true, undefined);
    set('MasterUserSecretKmsKeyId', config.masterUserSecretKmsKeyId, undefined);
  }
  return result();
}

export interface ConfigDifference {
  field: string;
  expected: unknown;
  actual: unknown;
}

function normalise(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value) && value.length === 0) return 'null';
  return JSON.stringify(value);
}

/** Every compared field whose value differs between the captured original and a database. */
export function diffInstanceConfig(expected: InstanceConfig, actual: InstanceConfig): ConfigDifference[] {
  return COMPARED_FIELDS.filter((f) => normalise(expected[f]) !== normalise(actual[f])).map((field) => ({
    field,
    expected: expected[field],
    actual: actual[field],
  }));
}

export function formatDifferences(diffs: ConfigDifference[]): string {
  return diffs
    .map((d) => `${d.field}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`)
    .join('; ');
}
