/** The RDS events the emulator emits: ids, categories and messages as RDS documents them. */

export type SourceType = 'DB_INSTANCE' | 'SNAPSHOT' | 'CLUSTER' | 'CLUSTER_SNAPSHOT';

export interface EventSpec {
  /** Number part of `RDS-EVENT-xxxx`. */
  id: string;
  categories: string[];
  message: string;
}

const spec = (id: string, category: string, message: string): EventSpec => ({
  id,
  categories: [category],
  message,
});

export const EVENTS = {
  backupStarted: spec('0001', 'backup', 'Backing up DB instance'),
  backupFinished: spec('0002', 'backup', 'Finished DB Instance backup'),
  instanceDeleted: spec('0003', 'deletion', 'DB instance deleted'),
  instanceShutdown: spec('0004', 'availability', 'DB instance shutdown'),
  instanceCreated: spec('0005', 'creation', 'DB instance created'),
  instanceRestarted: spec('0006', 'availability', 'DB instance restarted'),
  restoredLegacy: spec('0008', 'creation', 'DB instance restored from snapshot'),
  pointInTimeRestored: spec('0019', 'restoration', 'Restored from DB instance {source} to {target}'),
  instanceFailed: spec(
    '0031',
    'failure',
    'DB instance put into {status} state. The DB instance has failed due to an incompatible configuration or an underlying storage issue.',
  ),
  incompatibleParameters: spec(
    '0035',
    'failure',
    'Database instance put into incompatible-parameters state.',
  ),
  incompatibleNetwork: spec('0036', 'failure', 'Database instance put into incompatible-network state.'),
  snapshotCreating: spec('0040', 'creation', 'Creating manual snapshot'),
  snapshotDeleted: spec('0041', 'deletion', 'Deleted manual snapshot'),
  snapshotCreated: spec('0042', 'creation', 'Manual snapshot created'),
  restored: spec('0043', 'restoration', 'Restored from snapshot {snapshot}'),
  clusterSnapshotCreating: spec('0074', 'backup', 'Creating manual cluster snapshot'),
  clusterSnapshotCreated: spec('0075', 'backup', 'Manual cluster snapshot created'),
  clusterCreated: spec('0170', 'creation', 'DB cluster created'),
  clusterDeleted: spec('0171', 'deletion', 'DB cluster deleted'),
  clusterRenamed: spec('0172', 'notification', 'Renamed cluster from {from} to {to}'),
  snapshotCopyStarted: spec('0196', 'notification', 'Started copy of snapshot {source} in region {region}.'),
  snapshotCopyFinished: spec(
    '0197',
    'notification',
    'Finished copy of snapshot {source} in region {region}.',
  ),
  snapshotCopyCanceled: spec(
    '0190',
    'notification',
    'Canceled snapshot copy request of {source} in region {region}.',
  ),
  crossRegionCopyStarted: spec(
    '0059',
    'notification',
    'Started copy of snapshot {source} from region {region}.',
  ),
  crossRegionCopyFinished: spec(
    '0060',
    'notification',
    'Finished copy of snapshot {source} from region {region} in {minutes} minutes.',
  ),
  crossRegionCopyCanceled: spec(
    '0061',
    'notification',
    'Canceled snapshot copy request of {source} from region {region}.',
  ),
  exportFailed: spec('0159', 'notification', 'The snapshot export task failed.'),
  exportCanceled: spec('0160', 'notification', 'The snapshot export task was canceled.'),
  exportCompleted: spec('0161', 'notification', 'The snapshot export task completed.'),
  clusterExportFailed: spec('0162', 'notification', 'The cluster snapshot export task failed.'),
  clusterExportCanceled: spec('0163', 'notification', 'The cluster snapshot export task was canceled.'),
  clusterExportCompleted: spec('0164', 'notification', 'The cluster snapshot export task completed.'),
  instanceCreateFailed: spec('0278', 'creation', 'The creation of the DB instance has failed.'),
  insufficientCapacity: spec(
    '0353',
    'creation',
    "The DB instance can't be created because of insufficient resources. Try again later.",
  ),
  clusterCreateFailed: spec(
    '0354',
    'failure',
    "You can't create the DB cluster because of incompatible resources.",
  ),
} satisfies Record<string, EventSpec>;

export type EventName = keyof typeof EVENTS;

export function fillMessage(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? `{${k}}`);
}

export const DETAIL_TYPES: Record<SourceType, string> = {
  DB_INSTANCE: 'RDS DB Instance Event',
  SNAPSHOT: 'RDS DB Snapshot Event',
  CLUSTER: 'RDS DB Cluster Event',
  CLUSTER_SNAPSHOT: 'RDS DB Cluster Snapshot Event',
};

/** SourceType as the API (DescribeEvents, subscriptions, SNS "Event Source") spells it. */
export const API_SOURCE_TYPES: Record<SourceType, string> = {
  DB_INSTANCE: 'db-instance',
  SNAPSHOT: 'db-snapshot',
  CLUSTER: 'db-cluster',
  CLUSTER_SNAPSHOT: 'db-cluster-snapshot',
};

export const VALID_API_SOURCE_TYPES = new Set([
  ...Object.values(API_SOURCE_TYPES),
  'db-parameter-group',
  'db-security-group',
  'db-proxy',
  'blue-green-deployment',
  'custom-engine-version',
]);

export const KNOWN_CATEGORIES = new Set([
  'availability',
  'backup',
  'configuration change',
  'creation',
  'deletion',
  'failover',
  'failure',
  'low storage',
  'maintenance',
  'notification',
  'read replica',
  'recovery',
  'restoration',
  'security',
  'security patching',
  'serverless',
]);

/** Console link fragment per source type (the SNS "Identifier Link"). */
export const CONSOLE_FRAGMENT: Record<SourceType, string> = {
  DB_INSTANCE: 'dbinstance',
  SNAPSHOT: 'snapshot',
  CLUSTER: 'dbclusters',
  CLUSTER_SNAPSHOT: 'dbclustersnapshots',
};
