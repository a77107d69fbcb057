/** DB cluster snapshots: CreateDBClusterSnapshot, DescribeDBClusterSnapshots, DeleteDBClusterSnapshot. */
import { checkManualSnapshotQuota } from './quotas';
import { err, RdsError } from './errors';
import type { ClusterSettings, DbCluster, DbClusterSnapshot, Tag } from './model';
import { DEFAULT_VPC_ID } from './naming';
import { defineTask, type TaskRef } from './lifecycle';
import { paginate } from './paging';
import { type Params, type XmlObject, xmlList } from './protocol';
import { renderClusterSnapshot } from './render';
import { normaliseId, validateIdentifier } from './settings';
import { scheduleProgress } from './snapshotProgress';
import { snapshotDone } from './snapshots';
import { mergeTags, type RdsState } from './state';
import { cancelCopy } from './copies';
import { locateSnapshot } from './places';
import { sharedSelection, visibleShared } from './sharing';

export function clusterSettingsOf(c: DbCluster): ClusterSettings {
  return {
    engine: c.engine,
    engineVersion: c.engineVersion,
    engineMode: c.engineMode,
    port: c.port,
    masterUsername: c.masterUsername,
    databaseName: c.databaseName,
    storageEncrypted: c.storageEncrypted,
    kmsKeyId: c.kmsKeyId,
    iamAuth: c.iamAuth,
    availabilityZones: [...c.availabilityZones],
    vpcId: DEFAULT_VPC_ID,
    storageType: c.storageType,
    allocatedStorage: c.allocatedStorage,
    backupRetentionPeriod: c.backupRetentionPeriod,
    preferredBackupWindow: c.preferredBackupWindow,
  };
}

export interface ClusterSnapshotRequest {
  id: string;
  type: 'manual' | 'automated';
  tags: Tag[];
  outcome?: string;
  /** Runs when the snapshot is done (available or failed). */
  onDone?: TaskRef;
}

/** Starts a cluster snapshot; manual ones emit 0074 / 0075. */
export function startClusterSnapshot(
  s: RdsState,
  c: DbCluster,
  req: ClusterSnapshotRequest,
): DbClusterSnapshot {
  const snap: DbClusterSnapshot = {
    kind: 'cluster-snapshot',
    key: s.nextKey(`cluster-snapshot:${req.id}`),
    id: req.id,
    status: 'creating',
    tags: c.copyTagsToSnapshot ? mergeTags(c.tags, req.tags) : req.tags.map((t) => ({ ...t })),
    clusterId: c.id,
    clusterResourceId: c.resourceId,
    snapshotType: req.type,
    createTime: s.clock.date(),
    clusterCreateTime: c.createTime,
    percentProgress: 0,
    sharedWith: [],
    source: clusterSettingsOf(c),
  };
  s.clusterSnapshots.set(snap.id, snap);
  s.setStatus(snap, 'creating');
  const manual = req.type === 'manual';
  if (manual) s.events.emit('CLUSTER_SNAPSHOT', 'clusterSnapshotCreating', snap.id, s.arnOf(snap));
  scheduleProgress(s, snap, s.durations.clusterSnapshotCreate);
  s.sched.task(
    s.durations.clusterSnapshotCreate,
    snap,
    snapshotDone(snap, { failed: req.outcome === 'failed', onDone: req.onDone }),
  );
  return snap;
}

export function createDBClusterSnapshot(s: RdsState, p: Params): XmlObject {
  const id = normaliseId(p.req('DBClusterSnapshotIdentifier'));
  validateIdentifier(id, 'DBClusterSnapshotIdentifier');
  const c = s.cluster(p.req('DBClusterIdentifier'));
  if (c.status !== 'available') throw err.clusterState(`DB cluster ${c.id} is not in available state.`);
  if (s.clusterSnapshots.has(id)) throw err.clusterSnapshotExists(id);
  checkManualSnapshotQuota(s, 'cluster-snapshot');
  const outcome =
    s.faults.takeOperation('cluster-snapshot', id) ?? s.faults.takeOperation('cluster-snapshot', c.id);
  if (outcome === 'quota-exceeded') {
    throw new RdsError('SnapshotQuotaExceeded', 'Cannot create more than 100 manual cluster snapshots');
  }
  const snap = startClusterSnapshot(s, c, { id, type: 'manual', tags: p.tags() ?? [], outcome });
  return { DBClusterSnapshot: renderClusterSnapshot(s, snap) };
}

const FILTERS: Record<string, (x: DbClusterSnapshot, s: RdsState) => string[]> = {
  'db-cluster-id': (x, s) => [x.clusterId, s.naming.arn('cluster', x.clusterId)],
  'db-cluster-snapshot-id': (x, s) => [x.id, s.arnOf(x)],
  'snapshot-type': (x) => [x.snapshotType],
  engine: (x) => [x.source.engine],
};

export function describeDBClusterSnapshots(s: RdsState, p: Params): XmlObject {
  const snapId = p.str('DBClusterSnapshotIdentifier');
  const which = sharedSelection(p);
  let list: { owner: RdsState; item: DbClusterSnapshot }[];
  if (snapId !== undefined) {
    const found = locateSnapshot(s, snapId, 'cluster-snapshot');
    if (found.crossRegion) throw err.clusterSnapshotNotFound(snapId);
    list = [found];
  } else {
    list = [
      ...(which.own ? [...s.clusterSnapshots.values()].map((item) => ({ owner: s, item })) : []),
      ...visibleShared(s, which, (owner) => owner.clusterSnapshots),
    ];
  }
  const clusterId = p.str('DBClusterIdentifier');
  if (clusterId !== undefined) {
    const want = s.naming.idFromArnOrId(clusterId).toLowerCase();
    list = list.filter((x) => x.item.clusterId === want);
  }
  const type = p.str('SnapshotType');
  if (type !== undefined && which.own) list = list.filter((x) => x.item.snapshotType === type);
  for (const f of p.filters()) {
    const get = FILTERS[f.name];
    if (!get) throw err.value(`Unrecognized filter name: ${f.name}`);
    list = list.filter((x) => get(x.item, x.owner).some((v) => f.values.includes(v)));
  }
  const page = paginate(p, list);
  return {
    Marker: page.marker,
    DBClusterSnapshots: xmlList(
      'DBClusterSnapshot',
      page.items.map((x) => renderClusterSnapshot(x.owner, x.item, s.identity.accountId)),
    ),
  };
}

export function deleteDBClusterSnapshot(s: RdsState, p: Params): XmlObject {
  const snap = s.clusterSnapshot(p.req('DBClusterSnapshotIdentifier'));
  const rendered = renderClusterSnapshot(s, snap);
  if (cancelCopy(s, snap)) return { DBClusterSnapshot: { ...rendered, Status: 'deleted' } };
  if (snap.snapshotType !== 'manual') {
    throw err.clusterSnapshotState(`Only manual cluster snapshots may be deleted: ${snap.id} is automated.`);
  }
  if (!['available', 'failed'].includes(snap.status)) {
    throw err.clusterSnapshotState(
      `Cannot delete the cluster snapshot because it is in ${snap.status} state.`,
    );
  }
  s.setStatus(snap, 'deleting');
  const out = { DBClusterSnapshot: renderClusterSnapshot(s, snap) };
  s.sched.task(s.durations.clusterSnapshotDelete, snap, clusterSnapshotDeleted(snap));
  return out;
}

const clusterSnapshotDeleted = defineTask(
  'cluster-snapshot.deleted',
  (s: RdsState, snap: DbClusterSnapshot) => {
    s.clusterSnapshots.delete(snap.id);
    s.setStatus(snap, 'deleted');
  },
);
