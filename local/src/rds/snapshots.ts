/** DB snapshots: manual, automated, final, copies; CreateDBSnapshot, DescribeDBSnapshots, DeleteDBSnapshot, CopyDBSnapshot. */
import { checkManualSnapshotQuota } from './quotas';
import { err, RdsError } from './errors';
import type { DbClusterSnapshot, DbInstance, DbSnapshot, InstanceSettings, Tag } from './model';
import { defineTask, type TaskRef } from './lifecycle';
import { paginate } from './paging';
import { type Params, type XmlObject, xmlList } from './protocol';
import { renderSnapshot } from './render';
import { mergeTags, type RdsState } from './state';
import { cancelCopy } from './copies';
import { scheduleProgress } from './snapshotProgress';
import { locateSnapshot } from './places';
import { sharedSelection, visibleShared } from './sharing';
import { normaliseId, SNAPSHOT_ID_MAX, validateIdentifier } from './settings';

export function settingsOf(i: DbInstance): InstanceSettings {
  return {
    engine: i.engine,
    engineVersion: i.engineVersion,
    instanceClass: i.instanceClass,
    masterUsername: i.masterUsername,
    dbName: i.dbName,
    port: i.port,
    allocatedStorage: i.allocatedStorage,
    storageType: i.storageType,
    iops: i.iops,
    storageThroughput: i.storageThroughput,
    storageEncrypted: i.storageEncrypted,
    kmsKeyId: i.kmsKeyId,
    licenseModel: i.licenseModel,
    iamAuth: i.iamAuth,
    processorFeatures: i.processorFeatures.map((f) => ({ ...f })),
    optionGroup: i.optionGroup,
    availabilityZone: i.availabilityZone,
    vpcId: i.vpcId,
    backupRetentionPeriod: i.backupRetentionPeriod,
    preferredBackupWindow: i.preferredBackupWindow,
    timezone: i.timezone,
    characterSetName: i.characterSetName,
    dedicatedLogVolume: i.dedicatedLogVolume,
  };
}

export interface SnapshotRequest {
  id: string;
  type: 'manual' | 'automated';
  tags: Tag[];
  /** Runs when the snapshot is done (available or failed). */
  onDone?: TaskRef;
  /** Fault outcome decided by the caller (`failed`). */
  outcome?: string;
}

/** Starts a snapshot of an instance. Manual snapshots emit 0040 / 0042. */
export function startSnapshot(s: RdsState, inst: DbInstance, req: SnapshotRequest): DbSnapshot {
  const snap: DbSnapshot = {
    kind: 'snapshot',
    key: s.nextKey(`snapshot:${req.id}`),
    id: req.id,
    arnId: req.id,
    status: 'creating',
    tags: inst.copyTagsToSnapshot ? mergeTags(inst.tags, req.tags) : req.tags.map((t) => ({ ...t })),
    instanceId: inst.id,
    dbiResourceId: inst.resourceId,
    snapshotType: req.type,
    createTime: s.clock.date(),
    instanceCreateTime: inst.createTime,
    percentProgress: 0,
    sharedWith: [],
    source: settingsOf(inst),
  };
  s.snapshots.set(snap.id, snap);
  s.setStatus(snap, 'creating');
  const manual = req.type === 'manual';
  if (manual) s.events.emit('SNAPSHOT', 'snapshotCreating', snap.id, s.arnOf(snap));
  const duration = manual ? s.durations.snapshotCreate : s.durations.instanceInitialBackup;
  scheduleProgress(s, snap, duration);
  s.sched.task(duration, snap, snapshotDone(snap, { failed: req.outcome === 'failed', onDone: req.onDone }));
  return snap;
}

/** The end of a snapshot of either kind: `available` (0042 / cluster 0075 when manual) or `failed`. */
export const snapshotDone = defineTask(
  'snapshot.done',
  (s: RdsState, snap: DbSnapshot | DbClusterSnapshot, args: { failed: boolean; onDone?: TaskRef }) => {
    if (args.failed) {
      s.setStatus(snap, 'failed');
    } else {
      snap.percentProgress = 100;
      s.setStatus(snap, 'available');
      if (snap.snapshotType === 'manual' && snap.kind === 'snapshot')
        s.events.emit('SNAPSHOT', 'snapshotCreated', snap.id, s.arnOf(snap));
      if (snap.snapshotType === 'manual' && snap.kind === 'cluster-snapshot')
        s.events.emit('CLUSTER_SNAPSHOT', 'clusterSnapshotCreated', snap.id, s.arnOf(snap));
    }
    if (args.onDone) s.runTask(args.onDone);
  },
);

/** The end of a manual snapshot of a Single-AZ instance shown `backing-up` meanwhile. */
const instanceSnapshotDone = defineTask('instance.snapshot-done', (s: RdsState, inst: DbInstance) => {
  if (s.instances.get(inst.id) === inst && inst.status === 'backing-up') s.setStatus(inst, 'available');
});

export function automatedSnapshotId(instanceId: string, at: Date): string {
  const iso = at.toISOString();
  return `rds:${instanceId}-${iso.slice(0, 10)}-${iso.slice(11, 13)}-${iso.slice(14, 16)}`;
}

export function createDBSnapshot(s: RdsState, p: Params): XmlObject {
  const id = normaliseId(p.req('DBSnapshotIdentifier'));
  validateIdentifier(id, 'DBSnapshotIdentifier', SNAPSHOT_ID_MAX);
  const inst = s.instance(p.req('DBInstanceIdentifier'));
  if (inst.clusterId !== undefined) {
    throw err.instanceState(
      'The specified instance is a member of a cluster and a snapshot cannot be created directly. Please use the CreateDBClusterSnapshot API instead.',
    );
  }
  if (!['available', 'storage-optimization'].includes(inst.status)) {
    throw err.instanceState(
      `Cannot create a snapshot because the database instance ${inst.id} is not currently in the available state.`,
    );
  }
  if (s.snapshots.has(id)) throw err.snapshotExists(id);
  checkManualSnapshotQuota(s, 'snapshot');
  const outcome = s.faults.takeOperation('snapshot', id) ?? s.faults.takeOperation('snapshot', inst.id);
  if (outcome === 'quota-exceeded') {
    throw new RdsError('SnapshotQuotaExceeded', 'Cannot create more than 100 manual snapshots');
  }
  const wasAvailable =
    inst.status === 'available' && !inst.multiAZ && s.behaviour.instanceBackingUpDuringSnapshot;
  if (wasAvailable) s.setStatus(inst, 'backing-up', `snapshot ${id}`);
  const snap = startSnapshot(s, inst, {
    id,
    type: 'manual',
    tags: p.tags() ?? [],
    outcome,
    onDone: wasAvailable ? instanceSnapshotDone(inst) : undefined,
  });
  return { DBSnapshot: renderSnapshot(s, snap) };
}

const SNAPSHOT_FILTERS: Record<string, (x: DbSnapshot, s: RdsState) => string[]> = {
  'db-instance-id': (x, s) => [x.instanceId, s.naming.arn('db', x.instanceId)],
  'db-snapshot-id': (x, s) => [x.id, s.arnOf(x)],
  'dbi-resource-id': (x) => [x.dbiResourceId],
  'snapshot-type': (x) => [x.snapshotType],
  engine: (x) => [x.source.engine],
};

export function describeDBSnapshots(s: RdsState, p: Params): XmlObject {
  const snapId = p.str('DBSnapshotIdentifier');
  const which = sharedSelection(p);
  let list: { owner: RdsState; item: DbSnapshot }[];
  if (snapId !== undefined) {
    const found = locateSnapshot(s, snapId, 'snapshot');
    if (found.crossRegion) throw err.snapshotNotFound(snapId);
    list = [found];
  } else {
    list = [
      ...(which.own ? [...s.snapshots.values()].map((item) => ({ owner: s, item })) : []),
      ...visibleShared(s, which, (owner) => owner.snapshots),
    ];
  }
  const instId = p.str('DBInstanceIdentifier');
  if (instId !== undefined) {
    const want = s.naming.idFromArnOrId(instId).toLowerCase();
    list = list.filter((x) => x.item.instanceId === want);
  }
  const type = p.str('SnapshotType');
  if (type !== undefined && which.own) list = list.filter((x) => x.item.snapshotType === type);
  const dbi = p.str('DbiResourceId');
  if (dbi !== undefined) list = list.filter((x) => x.item.dbiResourceId === dbi);
  for (const f of p.filters()) {
    const get = SNAPSHOT_FILTERS[f.name];
    if (!get) throw err.value(`Unrecognized filter name: ${f.name}`);
    list = list.filter((x) => get(x.item, x.owner).some((v) => f.values.includes(v)));
  }
  const page = paginate(p, list);
  return {
    Marker: page.marker,
    DBSnapshots: xmlList(
      'DBSnapshot',
      page.items.map((x) => renderSnapshot(x.owner, x.item, s.identity.accountId)),
    ),
  };
}

export function deleteDBSnapshot(s: RdsState, p: Params): XmlObject {
  const snap = s.snapshot(p.req('DBSnapshotIdentifier'));
  const rendered = renderSnapshot(s, snap);
  if (cancelCopy(s, snap)) return { DBSnapshot: { ...rendered, Status: 'deleted' } };
  if (snap.snapshotType !== 'manual') {
    throw err.snapshotState(`Only manual snapshots may be deleted: ${snap.id} is an automated snapshot.`);
  }
  if (!['available', 'failed'].includes(snap.status)) {
    throw err.snapshotState(`Cannot delete the snapshot because it is in ${snap.status} state.`);
  }
  s.setStatus(snap, 'deleting');
  const out = { DBSnapshot: renderSnapshot(s, snap) };
  s.sched.task(s.durations.snapshotDelete, snap, snapshotDeleted(snap));
  return out;
}

const snapshotDeleted = defineTask('snapshot.deleted', (s: RdsState, snap: DbSnapshot) => {
  s.snapshots.delete(snap.id);
  s.setStatus(snap, 'deleted');
  s.events.emit('SNAPSHOT', 'snapshotDeleted', snap.id, s.arnOf(snap));
});
