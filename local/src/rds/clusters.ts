/** Aurora DB clusters: create, describe, modify (incl. rename), delete, restore from a cluster snapshot. */
import { checkManualSnapshotQuota } from './quotas';
import { clusterReplicationSource } from './replicas';
import { startClusterSnapshot } from './clusterSnapshots';
import { targetKey } from './encryption';
import { restorableSnapshot } from './places';
import { err, RdsError } from './errors';
import type { ClusterSettings, DbCluster } from './model';
import { DEFAULT_SECURITY_GROUP, defaultEngineVersion, defaultParameterGroup, defaultPort } from './naming';
import { defineTask } from './lifecycle';
import { paginate } from './paging';
import { type Params, type XmlObject, xmlList } from './protocol';
import { renderCluster } from './render';
import { defaultMaintenanceWindow } from './instances';
import { normaliseId, validateIdentifier } from './settings';
import { automatedSnapshotId } from './snapshots';
import type { RdsState } from './state';

type Field<T> = { [K in keyof DbCluster]-?: DbCluster[K] extends T | undefined ? K : never }[keyof DbCluster];

const STRINGS: [string, Field<string>][] = [
  ['EngineVersion', 'engineVersion'],
  ['EngineMode', 'engineMode'],
  ['DatabaseName', 'databaseName'],
  ['DBSubnetGroupName', 'subnetGroup'],
  ['DBClusterParameterGroupName', 'clusterParameterGroup'],
  ['OptionGroupName', 'optionGroup'],
  ['PreferredBackupWindow', 'preferredBackupWindow'],
  ['PreferredMaintenanceWindow', 'preferredMaintenanceWindow'],
  ['KmsKeyId', 'kmsKeyId'],
  ['NetworkType', 'networkType'],
  ['StorageType', 'storageType'],
  ['DBClusterInstanceClass', 'instanceClass'],
  ['MonitoringRoleArn', 'monitoringRoleArn'],
  ['PerformanceInsightsKMSKeyId', 'performanceInsightsKMSKeyId'],
  ['CACertificateIdentifier', 'caCertificateIdentifier'],
  ['EngineLifecycleSupport', 'engineLifecycleSupport'],
  ['MasterUsername', 'masterUsername'],
];
const NUMBERS: [string, Field<number>][] = [
  ['Port', 'port'],
  ['BackupRetentionPeriod', 'backupRetentionPeriod'],
  ['BacktrackWindow', 'backtrackWindow'],
  ['Iops', 'iops'],
  ['AllocatedStorage', 'allocatedStorage'],
  ['MonitoringInterval', 'monitoringInterval'],
  ['PerformanceInsightsRetentionPeriod', 'performanceInsightsRetentionPeriod'],
];
const BOOLEANS: [string, Field<boolean>][] = [
  ['StorageEncrypted', 'storageEncrypted'],
  ['EnableIAMDatabaseAuthentication', 'iamAuth'],
  ['DeletionProtection', 'deletionProtection'],
  ['CopyTagsToSnapshot', 'copyTagsToSnapshot'],
  ['PubliclyAccessible', 'publiclyAccessible'],
  ['EnablePerformanceInsights', 'performanceInsightsEnabled'],
  ['AutoMinorVersionUpgrade', 'autoMinorVersionUpgrade'],
];

function readClusterSettings(s: RdsState, p: Params): Partial<DbCluster> {
  const out: Partial<Record<keyof DbCluster, unknown>> = {};
  for (const [param, field] of STRINGS) if (p.str(param) !== undefined) out[field] = p.str(param);
  for (const [param, field] of NUMBERS) if (p.int(param) !== undefined) out[field] = p.int(param);
  for (const [param, field] of BOOLEANS) if (p.bool(param) !== undefined) out[field] = p.bool(param);
  const sgs = p.list('VpcSecurityGroupIds');
  if (sgs !== undefined) out.vpcSecurityGroupIds = sgs;
  const logs = p.list('EnableCloudwatchLogsExports');
  if (logs !== undefined) out.cloudwatchLogsExports = logs;
  const azs = p.list('AvailabilityZones');
  if (azs !== undefined) out.availabilityZones = azs;
  const sv2 = p.struct('ServerlessV2ScalingConfiguration');
  if (sv2 !== undefined) {
    const num = (k: string): number | undefined => (sv2[k] === undefined ? undefined : Number(sv2[k]));
    out.serverlessV2 = {
      MinCapacity: num('MinCapacity'),
      MaxCapacity: num('MaxCapacity'),
      SecondsUntilAutoPause: num('SecondsUntilAutoPause'),
    };
  }
  const v = out as Partial<DbCluster>;
  if (v.clusterParameterGroup !== undefined) s.groups.requireClusterParameterGroup(v.clusterParameterGroup);
  if (v.optionGroup !== undefined) s.groups.requireOptionGroup(v.optionGroup);
  if (v.subnetGroup !== undefined) s.groups.requireSubnetGroup(v.subnetGroup);
  if (v.port !== undefined && (v.port < 1150 || v.port > 65535)) throw err.value(`Invalid port ${v.port}.`);
  return v;
}

function baseCluster(s: RdsState, id: string, engine: string, version: string): DbCluster {
  s.groups.ensureDefaults(engine, version);
  return {
    kind: 'cluster',
    key: '',
    id,
    status: 'creating',
    tags: [],
    resourceId: s.naming.resourceId('cluster'),
    engine,
    engineVersion: version,
    engineMode: 'provisioned',
    port: defaultPort(engine),
    masterUsername: 'admin',
    subnetGroup: 'default',
    vpcSecurityGroupIds: [DEFAULT_SECURITY_GROUP],
    clusterParameterGroup: defaultParameterGroup(engine, version),
    backupRetentionPeriod: 1,
    preferredBackupWindow: '03:00-03:30',
    preferredMaintenanceWindow: defaultMaintenanceWindow(s),
    storageEncrypted: false,
    iamAuth: false,
    cloudwatchLogsExports: [],
    deletionProtection: false,
    copyTagsToSnapshot: false,
    availabilityZones: s.naming.availabilityZones(),
    networkType: 'IPV4',
    storageType: 'aurora',
    allocatedStorage: 1,
    monitoringInterval: 0,
    performanceInsightsEnabled: false,
    autoMinorVersionUpgrade: true,
    pending: {},
  };
}

function addCluster(s: RdsState, c: DbCluster, duration: number, failure: string | undefined): void {
  if (s.clusters.has(c.id)) throw err.clusterExists();
  c.key = s.nextKey(`cluster:${c.resourceId}`);
  s.clusters.set(c.id, c);
  s.setStatus(c, 'creating');
  s.sched.task(duration, c, clusterCreated(c, { failed: failure !== undefined }));
}

const clusterCreated = defineTask(
  'cluster.created',
  (s: RdsState, c: DbCluster, { failed }: { failed: boolean }) => {
    if (failed) {
      s.setStatus(c, 'failed');
      s.events.emit('CLUSTER', 'clusterCreateFailed', c.id, s.arnOf(c));
      return;
    }
    c.createTime = s.clock.date();
    s.events.emit('CLUSTER', 'clusterCreated', c.id, s.arnOf(c));
    if (c.backupRetentionPeriod > 0) {
      const snap = startClusterSnapshot(s, c, {
        id: automatedSnapshotId(c.id, s.clock.date()),
        type: 'automated',
        tags: [],
      });
      s.sched.cancel(snap);
      snap.percentProgress = 100;
      s.setStatus(snap, 'available');
    }
    s.setStatus(c, 'available');
  },
);

function clusterFault(s: RdsState, op: 'cluster-create' | 'cluster-restore', id: string): string | undefined {
  const outcome = s.faults.takeOperation(op, id);
  if (outcome === 'insufficient-capacity') {
    throw new RdsError(
      'InsufficientDBClusterCapacityFault',
      'The DB cluster does not have enough capacity for the current operation.',
    );
  }
  return outcome;
}

export function createDBCluster(s: RdsState, p: Params): XmlObject {
  const id = normaliseId(p.req('DBClusterIdentifier'));
  validateIdentifier(id, 'DBClusterIdentifier');
  const engine = p.req('Engine');
  if (p.str('ReplicationSourceIdentifier') === undefined && p.str('GlobalClusterIdentifier') === undefined) {
    p.req('MasterUsername');
  }
  const v = readClusterSettings(s, p);
  const c = baseCluster(s, id, engine, v.engineVersion ?? defaultEngineVersion(engine));
  Object.assign(c, v, { id });
  c.replicaOf = clusterReplicationSource(s, p);
  c.kmsKeyId = targetKey(s, v.kmsKeyId, c.storageEncrypted);
  c.storageEncrypted = c.kmsKeyId !== undefined;
  c.tags = p.tags() ?? [];
  if (s.clusters.has(id)) throw err.clusterExists();
  addCluster(s, c, s.durations.clusterCreate, clusterFault(s, 'cluster-create', id));
  return { DBCluster: renderCluster(s, c) };
}

const CLUSTER_FILTERS: Record<string, (c: DbCluster, s: RdsState) => string[]> = {
  'db-cluster-id': (c, s) => [c.id, s.arnOf(c)],
  'db-cluster-resource-id': (c) => [c.resourceId],
  engine: (c) => [c.engine],
};

export function describeDBClusters(s: RdsState, p: Params): XmlObject {
  const id = p.str('DBClusterIdentifier');
  let list = id !== undefined ? [s.cluster(id)] : [...s.clusters.values()];
  for (const f of p.filters()) {
    const get = CLUSTER_FILTERS[f.name];
    if (!get) throw err.value(`Unrecognized filter name: ${f.name}`);
    list = list.filter((c) => get(c, s).some((v) => f.values.includes(v)));
  }
  const page = paginate(p, list);
  return {
    Marker: page.marker,
    DBClusters: xmlList(
      'DBCluster',
      page.items.map((c) => renderCluster(s, c)),
    ),
  };
}

export function modifyDBCluster(s: RdsState, p: Params): XmlObject {
  const c = s.cluster(p.req('DBClusterIdentifier'));
  if (c.status !== 'available') throw err.clusterState(`DB cluster ${c.id} is not in available state.`);
  const applyNow = p.bool('ApplyImmediately') === true;
  const newRaw = p.str('NewDBClusterIdentifier');
  const newId = newRaw === undefined ? undefined : normaliseId(newRaw);
  const v = readClusterSettings(s, p);
  for (const k of ['databaseName', 'kmsKeyId', 'storageEncrypted', 'masterUsername'] as const) delete v[k];
  if (newId !== undefined) {
    validateIdentifier(newId, 'NewDBClusterIdentifier');
    if (s.clusters.has(newId)) throw err.clusterExists();
  }
  const logs = p.struct('CloudwatchLogsExportConfiguration');
  if (logs !== undefined) {
    const enable = p.list('CloudwatchLogsExportConfiguration.EnableLogTypes') ?? [];
    const disable = p.list('CloudwatchLogsExportConfiguration.DisableLogTypes') ?? [];
    v.cloudwatchLogsExports = [...new Set([...c.cloudwatchLogsExports, ...enable])].filter(
      (l) => !disable.includes(l),
    );
  }
  Object.assign(c, v);
  if (newId !== undefined && applyNow) {
    const oldId = c.id;
    s.clusters.delete(oldId);
    c.id = newId;
    s.clusters.set(newId, c);
    for (const m of s.instances.values()) if (m.clusterId === oldId) m.clusterId = newId;
    s.setStatus(c, 'renaming', `renamed from ${oldId}`);
    if (s.faults.takeOperation('cluster-rename', oldId) !== 'stuck') {
      s.sched.task(s.durations.clusterRename, c, clusterRenamed(c, { from: oldId }));
    }
  } else {
    if (newId !== undefined) c.pending['DBClusterIdentifier'] = newId;
    if (Object.keys(v).length > 0 && applyNow) {
      s.setStatus(c, 'modifying');
      s.sched.task(s.durations.clusterModify, c, clusterModified(c));
    }
  }
  return { DBCluster: renderCluster(s, c) };
}

const clusterRenamed = defineTask(
  'cluster.renamed',
  (s: RdsState, c: DbCluster, { from }: { from: string }) => {
    s.setStatus(c, 'available');
    s.events.emit('CLUSTER', 'clusterRenamed', c.id, s.arnOf(c), { from, to: c.id });
  },
);

const clusterModified = defineTask('cluster.modified', (s: RdsState, c: DbCluster) => {
  s.setStatus(c, 'available');
});

export function deleteDBCluster(s: RdsState, p: Params): XmlObject {
  const c = s.cluster(p.req('DBClusterIdentifier'));
  const skip = p.bool('SkipFinalSnapshot') === true;
  const finalRaw = p.str('FinalDBSnapshotIdentifier');
  const finalId = finalRaw === undefined ? undefined : normaliseId(finalRaw);
  if (c.deletionProtection) {
    throw err.combination(
      'Cannot delete protected Cluster, please disable deletion protection and try again.',
    );
  }
  if (c.status === 'deleting') throw err.clusterState(`Cluster ${c.id} is already being deleted.`);
  if (
    !['available', 'failed', 'backing-up', 'inaccessible-encryption-credentials', 'stopped'].includes(
      c.status,
    )
  ) {
    throw err.clusterState(`Cluster ${c.id} is not in a state that allows deletion: ${c.status}.`);
  }
  if (s.members(c.id).some((m) => m.status !== 'deleting')) {
    throw err.clusterState(
      'Cluster cannot be deleted, it still contains DB instances in non-deleting state.',
    );
  }
  if (skip && finalId !== undefined) {
    throw err.combination('Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.');
  }
  if (!skip && finalId === undefined) {
    throw err.combination('FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
  }
  if (finalId !== undefined && s.clusterSnapshots.has(finalId)) throw err.clusterSnapshotExists(finalId);
  if (finalId !== undefined) checkManualSnapshotQuota(s, 'cluster-snapshot');
  const outcome = s.faults.takeOperation('cluster-delete', c.id);
  if (outcome === 'error') throw err.clusterState(`Cluster ${c.id} cannot be deleted at this time.`);
  s.sched.cancel(c);
  s.setStatus(c, 'deleting');
  const out = { DBCluster: renderCluster(s, c) };
  if (outcome === 'stuck') return out;
  const finish = clusterDeleting(c);
  if (finalId !== undefined) {
    startClusterSnapshot(s, c, { id: finalId, type: 'manual', tags: [], onDone: finish });
  } else {
    s.runTask(finish);
  }
  return out;
}

/** `deleting` for the deletion's duration (after the final snapshot, if any). */
const clusterDeleting = defineTask('cluster.deleting', (s: RdsState, c: DbCluster) => {
  s.sched.task(s.durations.clusterDelete, c, clusterDeleted(c));
});

const clusterDeleted = defineTask('cluster.deleted', (s: RdsState, c: DbCluster) => {
  s.clusters.delete(c.id);
  for (const snap of [...s.clusterSnapshots.values()]) {
    if (snap.snapshotType === 'automated' && snap.clusterResourceId === c.resourceId) {
      s.clusterSnapshots.delete(snap.id);
      s.setStatus(snap, 'deleted');
    }
  }
  s.setStatus(c, 'deleted');
  s.events.emit('CLUSTER', 'clusterDeleted', c.id, s.arnOf(c));
});

export function restoreDBClusterFromSnapshot(s: RdsState, p: Params): XmlObject {
  const id = normaliseId(p.req('DBClusterIdentifier'));
  validateIdentifier(id, 'DBClusterIdentifier');
  const engine = p.req('Engine');
  const snap = restorableSnapshot(s, p.req('SnapshotIdentifier'), 'cluster-snapshot');
  if (snap.status !== 'available')
    throw err.clusterSnapshotState(`Cluster snapshot ${snap.id} is not available.`);
  if (s.clusters.has(id)) throw err.clusterExists();
  const src: ClusterSettings = snap.source;
  const v = readClusterSettings(s, p);
  delete v.masterUsername;
  const version = v.engineVersion ?? src.engineVersion;
  const c = baseCluster(s, id, engine, version);
  Object.assign(c, {
    engineMode: src.engineMode,
    port: src.port,
    masterUsername: src.masterUsername,
    databaseName: src.databaseName,
    storageEncrypted: src.storageEncrypted,
    kmsKeyId: src.kmsKeyId,
    storageType: src.storageType,
    allocatedStorage: src.allocatedStorage,
    backupRetentionPeriod: src.backupRetentionPeriod,
    preferredBackupWindow: src.preferredBackupWindow,
  });
  Object.assign(c, v, { id });
  if (v.kmsKeyId !== undefined) c.storageEncrypted = true;
  c.tags = p.tags() ?? [];
  addCluster(s, c, s.durations.clusterRestore, clusterFault(s, 'cluster-restore', id));
  return { DBCluster: renderCluster(s, c) };
}
