/** Resources as RDS describes them (XML element trees matching the SDK's deserializer). */
import { API_SOURCE_TYPES } from './catalog';
import type { RdsEventRecord } from './events';
import type { DbCluster, DbClusterSnapshot, DbInstance, DbSnapshot, EventSubscription, Tag } from './model';
import { DEFAULT_VPC_ID, HOSTED_ZONE_ID } from './naming';
import { xmlList, type XmlObject, type XmlValue } from './protocol';
import type { RdsState } from './state';

const tagList = (tags: Tag[]): XmlValue => xmlList('Tag', tags);
const sgList = (ids: string[]): XmlValue =>
  xmlList(
    'VpcSecurityGroupMembership',
    ids.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
  );
const strings = (items: string[]): XmlValue => xmlList('member', items);

function pendingValues(p: Record<string, string | number | boolean>): XmlObject {
  const out: XmlObject = {};
  for (const [k, v] of Object.entries(p)) out[k] = v;
  return out;
}

/** Replication links by resource id, so they survive renames; a deleted source leaves its replicas standalone. */
const byResource = <T extends { resourceId: string }>(all: Iterable<T>, resourceId: string | undefined) =>
  resourceId === undefined ? undefined : [...all].find((x) => x.resourceId === resourceId);
const replicasOf = <T extends { replicaOf?: string }>(all: Iterable<T>, resourceId: string) =>
  [...all].filter((x) => x.replicaOf === resourceId);

export function renderInstance(s: RdsState, i: DbInstance): XmlObject {
  const subnet = s.groups.subnetGroups.get(i.subnetGroup);
  const answeringEndpoint = i.status !== 'creating' || i.createTime !== undefined;
  return {
    DBInstanceIdentifier: i.id,
    DBInstanceClass: i.instanceClass,
    Engine: i.engine,
    DBInstanceStatus: i.status,
    MasterUsername: i.masterUsername,
    MasterUserSecret: i.masterUserSecret
      ? { SecretArn: i.masterUserSecret.arn, SecretStatus: 'active', KmsKeyId: i.masterUserSecret.kmsKeyId }
      : undefined,
    DBName: i.dbName,
    Endpoint: answeringEndpoint
      ? { Address: s.naming.instanceAddress(i.id), Port: i.port, HostedZoneId: HOSTED_ZONE_ID }
      : undefined,
    AllocatedStorage: i.allocatedStorage,
    InstanceCreateTime: i.createTime,
    PreferredBackupWindow: i.preferredBackupWindow,
    BackupRetentionPeriod: i.backupRetentionPeriod,
    DBSecurityGroups: xmlList('DBSecurityGroup', []),
    VpcSecurityGroups: sgList(i.vpcSecurityGroupIds),
    DBParameterGroups: xmlList('DBParameterGroup', [
      { DBParameterGroupName: i.parameterGroup, ParameterApplyStatus: i.parameterApplyStatus },
    ]),
    AvailabilityZone: i.availabilityZone,
    DBSubnetGroup: subnet ? s.groups.renderSubnetGroup(subnet) : undefined,
    PreferredMaintenanceWindow: i.preferredMaintenanceWindow,
    PendingModifiedValues: pendingValues(i.pending),
    LatestRestorableTime: i.createTime && i.backupRetentionPeriod > 0 ? new Date() : undefined,
    MultiAZ: i.multiAZ,
    EngineVersion: i.engineVersion,
    AutoMinorVersionUpgrade: i.autoMinorVersionUpgrade,
    ReadReplicaDBInstanceIdentifiers: xmlList('ReadReplicaDBInstanceIdentifier', i.replicaArns ?? []),
    ReadReplicaSourceDBInstanceIdentifier: i.replicaSourceArn,
    // A read replica's replication state (its lag is CloudWatch's ReplicaLag, not a describe field).
    StatusInfos:
      i.replicaSourceArn !== undefined && i.createTime !== undefined
        ? xmlList('DBInstanceStatusInfo', [
            i.replicationTerminated
              ? { StatusType: 'read replication', Normal: false, Status: 'terminated' }
              : { StatusType: 'read replication', Normal: true, Status: 'replicating' },
          ])
        : undefined,
    ReadReplicaDBClusterIdentifiers: xmlList('ReadReplicaDBClusterIdentifier', []),
    LicenseModel: i.licenseModel,
    Iops: i.iops,
    StorageThroughput: i.storageThroughput,
    OptionGroupMemberships: xmlList('OptionGroupMembership', [
      { OptionGroupName: i.optionGroup, Status: 'in-sync' },
    ]),
    CharacterSetName: i.characterSetName,
    SecondaryAvailabilityZone: i.multiAZ ? i.secondaryAvailabilityZone : undefined,
    PubliclyAccessible: i.publiclyAccessible,
    StorageType: i.storageType,
    DbInstancePort: 0,
    DBClusterIdentifier: i.clusterId,
    StorageEncrypted: i.storageEncrypted,
    KmsKeyId: i.kmsKeyId,
    DbiResourceId: i.resourceId,
    CACertificateIdentifier: i.caCertificateIdentifier,
    DomainMemberships: xmlList(
      'DomainMembership',
      i.domain ? [{ ...i.domain, Status: 'joined', DnsIps: strings(i.domain.DnsIps ?? []) }] : [],
    ),
    CopyTagsToSnapshot: i.copyTagsToSnapshot,
    MonitoringInterval: i.monitoringInterval,
    EnhancedMonitoringResourceArn:
      i.monitoringInterval > 0
        ? `arn:aws:logs:${s.identity.region}:${s.identity.accountId}:log-group:RDSOSMetrics:log-stream:${i.resourceId}`
        : undefined,
    MonitoringRoleArn: i.monitoringRoleArn,
    PromotionTier: i.promotionTier,
    DBInstanceArn: s.arnOf(i),
    Timezone: i.timezone,
    IAMDatabaseAuthenticationEnabled: i.iamAuth,
    DatabaseInsightsMode: i.databaseInsightsMode,
    PerformanceInsightsEnabled: i.performanceInsightsEnabled,
    PerformanceInsightsKMSKeyId: i.performanceInsightsKMSKeyId,
    PerformanceInsightsRetentionPeriod: i.performanceInsightsRetentionPeriod,
    EnabledCloudwatchLogsExports:
      i.cloudwatchLogsExports.length > 0 ? strings(i.cloudwatchLogsExports) : undefined,
    ProcessorFeatures: xmlList('ProcessorFeature', i.processorFeatures),
    DeletionProtection: i.deletionProtection,
    AssociatedRoles: xmlList('DBInstanceRole', []),
    MaxAllocatedStorage: i.maxAllocatedStorage,
    TagList: tagList(i.tags),
    CustomerOwnedIpEnabled: i.customerOwnedIp,
    NetworkType: i.networkType,
    BackupTarget: 'region',
    CertificateDetails: {
      CAIdentifier: i.caCertificateIdentifier,
      ValidTill: new Date('2061-05-20T00:00:00Z'),
    },
    DedicatedLogVolume: i.dedicatedLogVolume,
    EngineLifecycleSupport: i.engineLifecycleSupport,
  };
}

export function renderCluster(s: RdsState, c: DbCluster): XmlObject {
  const members = s.members(c.id).sort((a, b) => Number(b.clusterWriter) - Number(a.clusterWriter));
  return {
    AllocatedStorage: c.allocatedStorage,
    AvailabilityZones: xmlList('AvailabilityZone', c.availabilityZones),
    BackupRetentionPeriod: c.backupRetentionPeriod,
    DatabaseName: c.databaseName,
    DBClusterIdentifier: c.id,
    DBClusterParameterGroup: c.clusterParameterGroup,
    DBSubnetGroup: c.subnetGroup,
    Status: c.status,
    EarliestRestorableTime: c.createTime,
    Endpoint: s.naming.clusterAddress(c.id),
    ReaderEndpoint: s.naming.clusterReaderAddress(c.id),
    MultiAZ: members.length > 1,
    Engine: c.engine,
    EngineVersion: c.engineVersion,
    LatestRestorableTime: c.createTime ? new Date() : undefined,
    Port: c.port,
    MasterUsername: c.masterUsername,
    DBClusterOptionGroupMemberships: xmlList(
      'DBClusterOptionGroup',
      c.optionGroup ? [{ DBClusterOptionGroupName: c.optionGroup, Status: 'in-sync' }] : [],
    ),
    PreferredBackupWindow: c.preferredBackupWindow,
    PreferredMaintenanceWindow: c.preferredMaintenanceWindow,
    ReplicationSourceIdentifier: (() => {
      const source = byResource(s.clusters.values(), c.replicaOf);
      return source && s.arnOf(source);
    })(),
    ReadReplicaIdentifiers: xmlList(
      'ReadReplicaIdentifier',
      replicasOf(s.clusters.values(), c.resourceId).map((r) => s.arnOf(r)),
    ),
    DBClusterMembers: xmlList(
      'DBClusterMember',
      members.map((m) => ({
        DBInstanceIdentifier: m.id,
        IsClusterWriter: m.clusterWriter,
        DBClusterParameterGroupStatus: 'in-sync',
        PromotionTier: m.promotionTier ?? 1,
      })),
    ),
    VpcSecurityGroups: sgList(c.vpcSecurityGroupIds),
    HostedZoneId: HOSTED_ZONE_ID,
    StorageEncrypted: c.storageEncrypted,
    KmsKeyId: c.kmsKeyId,
    DbClusterResourceId: c.resourceId,
    DBClusterArn: s.arnOf(c),
    AssociatedRoles: xmlList('DBClusterRole', []),
    IAMDatabaseAuthenticationEnabled: c.iamAuth,
    ClusterCreateTime: c.createTime,
    BacktrackWindow: c.backtrackWindow,
    EnabledCloudwatchLogsExports:
      c.cloudwatchLogsExports.length > 0 ? strings(c.cloudwatchLogsExports) : undefined,
    PendingModifiedValues: Object.keys(c.pending).length > 0 ? pendingValues(c.pending) : undefined,
    EngineMode: c.engineMode,
    DBClusterInstanceClass: c.instanceClass,
    StorageType: c.storageType,
    Iops: c.iops,
    PubliclyAccessible: c.publiclyAccessible,
    AutoMinorVersionUpgrade: c.autoMinorVersionUpgrade,
    DeletionProtection: c.deletionProtection,
    HttpEndpointEnabled: false,
    CopyTagsToSnapshot: c.copyTagsToSnapshot,
    CrossAccountClone: false,
    DomainMemberships: xmlList('DomainMembership', []),
    TagList: tagList(c.tags),
    GlobalClusterIdentifier: c.global?.id,
    NetworkType: c.networkType,
    ServerlessV2ScalingConfiguration: c.serverlessV2 ? { ...c.serverlessV2 } : undefined,
    MonitoringInterval: c.monitoringInterval,
    MonitoringRoleArn: c.monitoringRoleArn,
    PerformanceInsightsEnabled: c.performanceInsightsEnabled,
    PerformanceInsightsKMSKeyId: c.performanceInsightsKMSKeyId,
    PerformanceInsightsRetentionPeriod: c.performanceInsightsRetentionPeriod,
    CertificateDetails: c.caCertificateIdentifier ? { CAIdentifier: c.caCertificateIdentifier } : undefined,
    EngineLifecycleSupport: c.engineLifecycleSupport,
  };
}

/**
 * `manual` / `automated` to the owner; to another account a snapshot shared with it is `shared`, and
 * `public` when shared with all. `s` is the state the snapshot lives in; `viewer` the caller's account.
 */
function snapshotTypeFor(s: RdsState, x: DbSnapshot | DbClusterSnapshot, viewer?: string): string {
  if (viewer === undefined || viewer === s.identity.accountId) return x.snapshotType;
  return x.sharedWith.includes(viewer) ? 'shared' : 'public';
}

export function renderSnapshot(s: RdsState, x: DbSnapshot, viewer?: string): XmlObject {
  const src = x.source;
  return {
    DBSnapshotIdentifier: x.id,
    DBInstanceIdentifier: x.instanceId,
    SnapshotCreateTime: x.createTime,
    Engine: src.engine,
    AllocatedStorage: src.allocatedStorage,
    Status: x.status,
    Port: src.port,
    AvailabilityZone: src.availabilityZone,
    VpcId: src.vpcId || DEFAULT_VPC_ID,
    InstanceCreateTime: x.instanceCreateTime,
    MasterUsername: src.masterUsername,
    EngineVersion: src.engineVersion,
    LicenseModel: src.licenseModel,
    SnapshotType: snapshotTypeFor(s, x, viewer),
    Iops: src.iops,
    StorageThroughput: src.storageThroughput,
    OptionGroupName: src.optionGroup,
    PercentProgress: x.percentProgress,
    SourceRegion: x.sourceRegion,
    SourceDBSnapshotIdentifier: x.sourceSnapshot,
    StorageType: src.storageType,
    Encrypted: src.storageEncrypted,
    KmsKeyId: src.kmsKeyId,
    DBSnapshotArn: s.arnOf(x),
    Timezone: src.timezone,
    IAMDatabaseAuthenticationEnabled: src.iamAuth,
    ProcessorFeatures: xmlList('ProcessorFeature', src.processorFeatures),
    DbiResourceId: x.dbiResourceId,
    TagList: tagList(x.tags),
    SnapshotTarget: 'region',
    OriginalSnapshotCreateTime: x.originalCreateTime ?? x.createTime,
    SnapshotDatabaseTime: x.createTime,
    DedicatedLogVolume: src.dedicatedLogVolume,
    MultiTenant: false,
  };
}

export function renderClusterSnapshot(s: RdsState, x: DbClusterSnapshot, viewer?: string): XmlObject {
  const src = x.source;
  return {
    AvailabilityZones: xmlList('AvailabilityZone', src.availabilityZones),
    DBClusterSnapshotIdentifier: x.id,
    DBClusterIdentifier: x.clusterId,
    SnapshotCreateTime: x.createTime,
    Engine: src.engine,
    EngineMode: src.engineMode,
    AllocatedStorage: src.allocatedStorage,
    Status: x.status,
    Port: src.port,
    VpcId: src.vpcId,
    ClusterCreateTime: x.clusterCreateTime,
    MasterUsername: src.masterUsername,
    EngineVersion: src.engineVersion,
    LicenseModel: src.engine,
    SnapshotType: snapshotTypeFor(s, x, viewer),
    PercentProgress: x.percentProgress,
    SourceDBClusterSnapshotArn: x.sourceSnapshot,
    StorageEncrypted: src.storageEncrypted,
    KmsKeyId: src.kmsKeyId,
    DBClusterSnapshotArn: s.arnOf(x),
    IAMDatabaseAuthenticationEnabled: src.iamAuth,
    TagList: tagList(x.tags),
    StorageType: src.storageType,
    DbClusterResourceId: x.clusterResourceId,
  };
}

export function renderEvent(e: RdsEventRecord): XmlObject {
  return {
    SourceIdentifier: e.sourceIdentifier,
    SourceType: API_SOURCE_TYPES[e.sourceType],
    Message: e.message,
    EventCategories: xmlList('EventCategory', e.categories),
    Date: e.date,
    SourceArn: e.sourceArn,
  };
}

export function renderSubscription(s: RdsState, x: EventSubscription): XmlObject {
  return {
    CustomerAwsId: s.identity.accountId,
    CustSubscriptionId: x.name,
    SnsTopicArn: x.snsTopicArn,
    Status: 'active',
    SubscriptionCreationTime: x.createdAt.toUTCString(),
    SourceType: x.sourceType,
    SourceIdsList: x.sourceIds.length > 0 ? xmlList('SourceId', x.sourceIds) : undefined,
    EventCategoriesList: x.categories.length > 0 ? xmlList('EventCategory', x.categories) : undefined,
    Enabled: x.enabled,
    EventSubscriptionArn: s.naming.arn('es', x.name),
  };
}
