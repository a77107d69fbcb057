/** The emulated RDS resources. Field names follow the describe output where they can. */

export interface Tag {
  Key: string;
  Value: string;
}

export interface ProcessorFeature {
  Name: string;
  Value: string;
}

export interface DomainConfig {
  Domain: string;
  IAMRoleName?: string;
  FQDN?: string;
  OU?: string;
  AuthSecretArn?: string;
  DnsIps?: string[];
}

export type ResourceKind = 'instance' | 'cluster' | 'snapshot' | 'cluster-snapshot';

interface Tracked {
  /** Stable key for history (resource id / snapshot id at creation + sequence). */
  key: string;
  id: string;
  status: string;
  tags: Tag[];
}

/** Settings shared by instances and the snapshots taken of them (restores start from these). */
export interface InstanceSettings {
  engine: string;
  engineVersion: string;
  instanceClass: string;
  masterUsername: string;
  dbName?: string;
  port: number;
  allocatedStorage: number;
  storageType: string;
  iops?: number;
  storageThroughput?: number;
  storageEncrypted: boolean;
  kmsKeyId?: string;
  licenseModel: string;
  iamAuth: boolean;
  processorFeatures: ProcessorFeature[];
  optionGroup: string;
  availabilityZone: string;
  vpcId: string;
  backupRetentionPeriod: number;
  preferredBackupWindow: string;
  timezone?: string;
  characterSetName?: string;
  dedicatedLogVolume: boolean;
}

export interface DbInstance extends Tracked, InstanceSettings {
  kind: 'instance';
  resourceId: string;
  createTime?: Date;
  multiAZ: boolean;
  secondaryAvailabilityZone?: string;
  publiclyAccessible: boolean;
  subnetGroup: string;
  vpcSecurityGroupIds: string[];
  parameterGroup: string;
  parameterApplyStatus: string;
  maxAllocatedStorage?: number;
  preferredMaintenanceWindow: string;
  autoMinorVersionUpgrade: boolean;
  cloudwatchLogsExports: string[];
  deletionProtection: boolean;
  copyTagsToSnapshot: boolean;
  caCertificateIdentifier: string;
  networkType: string;
  monitoringInterval: number;
  monitoringRoleArn?: string;
  performanceInsightsEnabled: boolean;
  performanceInsightsKMSKeyId?: string;
  performanceInsightsRetentionPeriod?: number;
  databaseInsightsMode?: string;
  domain?: DomainConfig;
  customerOwnedIp: boolean;
  engineLifecycleSupport?: string;
  clusterId?: string;
  clusterWriter: boolean;
  promotionTier?: number;
  /** Values accepted by ModifyDBInstance but not applied yet (shown as PendingModifiedValues). */
  pending: Record<string, string | number | boolean>;
  /** Restores: the snapshot it came from (for events). */
  restoredFrom?: string;
  /** Read replicas: the source instance's ARN. */
  replicaSourceArn?: string;
  /** Sources: ARNs (other regions) or identifiers (this region) of their read replicas. */
  replicaArns?: string[];
  /** ManageMasterUserPassword: the secret RDS manages for this instance. */
  masterUserSecret?: { arn: string; kmsKeyId: string };
}

export interface DbCluster extends Tracked {
  kind: 'cluster';
  resourceId: string;
  createTime?: Date;
  engine: string;
  engineVersion: string;
  engineMode: string;
  port: number;
  masterUsername: string;
  databaseName?: string;
  subnetGroup: string;
  vpcSecurityGroupIds: string[];
  clusterParameterGroup: string;
  optionGroup?: string;
  backupRetentionPeriod: number;
  preferredBackupWindow: string;
  preferredMaintenanceWindow: string;
  storageEncrypted: boolean;
  kmsKeyId?: string;
  iamAuth: boolean;
  cloudwatchLogsExports: string[];
  deletionProtection: boolean;
  copyTagsToSnapshot: boolean;
  backtrackWindow?: number;
  serverlessV2?: { MinCapacity?: number; MaxCapacity?: number; SecondsUntilAutoPause?: number };
  availabilityZones: string[];
  networkType: string;
  storageType: string;
  iops?: number;
  allocatedStorage: number;
  instanceClass?: string;
  publiclyAccessible?: boolean;
  monitoringInterval: number;
  monitoringRoleArn?: string;
  performanceInsightsEnabled: boolean;
  performanceInsightsKMSKeyId?: string;
  performanceInsightsRetentionPeriod?: number;
  caCertificateIdentifier?: string;
  engineLifecycleSupport?: string;
  autoMinorVersionUpgrade: boolean;
  pending: Record<string, string | number | boolean>;
  /** Read replica clusters: the resource id of the source cluster. */
  replicaOf?: string;
}

export interface DbSnapshot extends Tracked {
  kind: 'snapshot';
  arnId: string;
  instanceId: string;
  dbiResourceId: string;
  snapshotType: 'manual' | 'automated';
  createTime: Date;
  instanceCreateTime?: Date;
  percentProgress: number;
  /** Copies: the source snapshot's ARN and region. */
  sourceSnapshot?: string;
  sourceRegion?: string;
  /** Copies keep the original's creation time. */
  originalCreateTime?: Date;
  /** A copy still in progress: how to cancel it (DeleteDBSnapshot) and which events it emits. */
  copying?: CopyProgress;
  /** Accounts this snapshot is shared with (`restore` attribute); `all` = public. */
  sharedWith: string[];
  /** The instance's settings when the snapshot was taken. */
  source: InstanceSettings;
}

export interface CopyProgress {
  crossRegion: boolean;
  sourceId: string;
  sourceRegion: string;
  sourceAccount: string;
  /** The source's stable key: a source deleted (or another under its name) fails the copy. */
  sourceKey: string;
  /** When the copy was requested (epoch ms): its place in its lane, and the minutes its event reports. */
  requestedAt: number;
  /** An injected fault: the copy ends `failed`. */
  fails: boolean;
  /** Cross-region copies of one source database run one at a time: their lane, and whether this one's turn came. */
  lane?: string;
  started?: boolean;
}

export interface ClusterSettings {
  engine: string;
  engineVersion: string;
  engineMode: string;
  port: number;
  masterUsername: string;
  databaseName?: string;
  storageEncrypted: boolean;
  kmsKeyId?: string;
  iamAuth: boolean;
  availabilityZones: string[];
  vpcId: string;
  storageType: string;
  allocatedStorage: number;
  backupRetentionPeriod: number;
  preferredBackupWindow: string;
}

export interface DbClusterSnapshot extends Tracked {
  kind: 'cluster-snapshot';
  clusterId: string;
  clusterResourceId: string;
  snapshotType: 'manual' | 'automated';
  createTime: Date;
  clusterCreateTime?: Date;
  percentProgress: number;
  /** Copies: the source cluster snapshot's ARN. */
  sourceSnapshot?: string;
  copying?: CopyProgress;
  sharedWith: string[];
  source: ClusterSettings;
}

export type Resource = DbInstance | DbCluster | DbSnapshot | DbClusterSnapshot;

/** StartExportTask: a snapshot or cluster snapshot exported to S3. */
export interface ExportTask {
  /** `export:<id>` (lifecycle steps find the task by it). */
  key: string;
  id: string;
  sourceArn: string;
  sourceType: 'SNAPSHOT' | 'CLUSTER';
  /** The exported snapshot's identifier and key (its events name it). */
  sourceId: string;
  snapshotTime: Date;
  s3Bucket: string;
  s3Prefix?: string;
  iamRoleArn: string;
  kmsKeyId: string;
  exportOnly: string[];
  status: 'STARTING' | 'IN_PROGRESS' | 'COMPLETE' | 'FAILED' | 'CANCELING' | 'CANCELED';
  percentProgress: number;
  totalExtractedDataInGB: number;
  taskStartTime: Date;
  taskEndTime?: Date;
  failureCause?: string;
  /** Decided at the start by an injected fault: the task ends FAILED with this cause. */
  plannedFailure?: string;
  /** What is written (engine and database name of the source). */
  engine: string;
  databaseName: string;
}

export interface EventSubscription {
  name: string;
  snsTopicArn: string;
  sourceType?: string;
  sourceIds: string[];
  categories: string[];
  enabled: boolean;
  createdAt: Date;
  tags: Tag[];
}
