/** RestoreDBInstanceFromDBSnapshot and RestoreDBInstanceToPointInTime. */
import { err, RdsError } from './errors';
import type { DbInstance, InstanceSettings } from './model';
import { defineTask, type TaskRef } from './lifecycle';
import { defaultOptionGroup, defaultParameterGroup } from './naming';
import type { Params, XmlObject } from './protocol';
import { addInstance, baseInstance, runCreation } from './instances';
import { renderInstance } from './render';
import { normaliseId, readInstanceSettings, validateIdentifier, validateInstanceSettings } from './settings';
import { settingsOf } from './snapshots';
import { restorableSnapshot } from './places';
import type { RdsState } from './state';

/**
 * Builds the restored instance: RDS defaults (default parameter / option group, single-AZ, default subnet
 * group and security group, no deletion protection, no tags), storage and engine from the source, then
 * whatever the request specifies.
 */
function restoredInstance(s: RdsState, p: Params, id: string, src: InstanceSettings): DbInstance {
  const v = readInstanceSettings(p);
  for (const k of ['masterUsername', 'characterSetName', 'timezone', 'kmsKeyId', 'storageEncrypted'] as const)
    delete v[k];
  validateInstanceSettings(s, v);
  if (v.allocatedStorage !== undefined && v.allocatedStorage < src.allocatedStorage) {
    throw err.value(
      `Allocated storage ${v.allocatedStorage} is less than the source's ${src.allocatedStorage}.`,
    );
  }
  const engine = v.engine ?? src.engine;
  const inst = baseInstance(s, id, engine, src.engineVersion);
  Object.assign(inst, {
    instanceClass: src.instanceClass,
    masterUsername: src.masterUsername,
    dbName: src.dbName,
    port: src.port,
    allocatedStorage: src.allocatedStorage,
    storageType: src.storageType,
    iops: src.iops,
    storageThroughput: src.storageThroughput,
    storageEncrypted: src.storageEncrypted,
    kmsKeyId: src.kmsKeyId,
    licenseModel: src.licenseModel,
    processorFeatures: src.processorFeatures.map((f) => ({ ...f })),
    backupRetentionPeriod: src.backupRetentionPeriod,
    preferredBackupWindow: src.preferredBackupWindow,
    timezone: src.timezone,
    characterSetName: src.characterSetName,
    dedicatedLogVolume: src.dedicatedLogVolume,
    vpcId: src.vpcId,
    parameterGroup: defaultParameterGroup(engine, src.engineVersion),
    optionGroup: defaultOptionGroup(engine, src.engineVersion),
  });
  if (p.bool('UseDefaultProcessorFeatures') === true) inst.processorFeatures = [];
  Object.assign(inst, v, { id });
  inst.tags = p.tags() ?? [];
  return inst;
}

/** `onCreated` makes the task emitting the restore's own events (the instance has its key once added). */
function startRestore(
  s: RdsState,
  inst: DbInstance,
  duration: number,
  onCreated: (inst: DbInstance) => TaskRef,
): XmlObject {
  const outcome = s.faults.takeOperation('restore', inst.id);
  if (outcome === 'insufficient-capacity') {
    throw new RdsError(
      'InsufficientDBInstanceCapacity',
      `Cannot create a database instance because there is currently insufficient capacity for ${inst.instanceClass}.`,
    );
  }
  addInstance(s, inst);
  runCreation(s, inst, {
    duration,
    failure: outcome,
    onCreated: onCreated(inst),
    backup: true,
    backupDuration: s.durations.baselineBackup,
  });
  return { DBInstance: renderInstance(s, inst) };
}

export function restoreDBInstanceFromDBSnapshot(s: RdsState, p: Params): XmlObject {
  const id = normaliseId(p.req('DBInstanceIdentifier'));
  validateIdentifier(id);
  if (p.str('DBClusterSnapshotIdentifier') !== undefined) {
    throw err.combination(
      'Restoring a Multi-AZ DB cluster snapshot to an instance is not supported by this emulator.',
    );
  }
  const snap = restorableSnapshot(s, p.req('DBSnapshotIdentifier'), 'snapshot');
  if (snap.status !== 'available') throw err.snapshotState(`Snapshot ${snap.id} is not in available state.`);
  if (s.instances.has(id)) throw err.instanceExists();
  const inst = restoredInstance(s, p, id, snap.source);
  inst.restoredFrom = snap.id;
  return startRestore(s, inst, s.durations.instanceRestore, (i) => restoredEvents(i, { snapshot: snap.id }));
}

/** RDS-EVENT-0043 (or the older 0008) as an instance and / or snapshot event, per the quirks. */
const restoredEvents = defineTask(
  'instance.restored-events',
  (s: RdsState, inst: DbInstance, { snapshot }: { snapshot: string }) => {
    const q = s.events.quirks;
    const vars = { snapshot };
    const name = q.restoreEventId === '0008' ? 'restoredLegacy' : 'restored';
    if (q.restoreEventSource !== 'snapshot') s.events.emit('DB_INSTANCE', name, inst.id, s.arnOf(inst), vars);
    if (q.restoreEventSource !== 'instance')
      s.events.emit('SNAPSHOT', name, snapshot, s.naming.arn('snapshot', snapshot), vars);
  },
);

export function restoreDBInstanceToPointInTime(s: RdsState, p: Params): XmlObject {
  const id = normaliseId(p.req('TargetDBInstanceIdentifier'));
  validateIdentifier(id, 'TargetDBInstanceIdentifier');
  const sourceId = p.str('SourceDBInstanceIdentifier');
  const dbi = p.str('SourceDbiResourceId');
  const source =
    sourceId !== undefined
      ? s.instance(sourceId)
      : [...s.instances.values()].find((i) => i.resourceId === dbi);
  if (!source) throw err.instanceNotFound(sourceId ?? dbi ?? '');
  const restoreTime = p.date('RestoreTime');
  const useLatest = p.bool('UseLatestRestorableTime') === true;
  if (restoreTime !== undefined && useLatest) {
    throw err.combination('Cannot specify both RestoreTime and UseLatestRestorableTime.');
  }
  if (source.backupRetentionPeriod === 0 || source.createTime === undefined) {
    throw err.instanceState(`Source instance ${source.id} has no automated backups to restore from.`);
  }
  if (restoreTime !== undefined && (restoreTime < source.createTime || restoreTime > s.clock.date())) {
    throw new RdsError(
      'InvalidRestoreFault',
      `Restore time ${restoreTime.toISOString()} is outside the restorable window.`,
    );
  }
  if (s.instances.has(id)) throw err.instanceExists();
  const inst = restoredInstance(s, p, id, settingsOf(source));
  return startRestore(s, inst, s.durations.pointInTimeRestore, (i) =>
    pointInTimeRestored(i, { source: source.id }),
  );
}

const pointInTimeRestored = defineTask(
  'instance.point-in-time-restored',
  (s: RdsState, inst: DbInstance, { source }: { source: string }) => {
    s.events.emit('DB_INSTANCE', 'pointInTimeRestored', inst.id, s.arnOf(inst), { source, target: inst.id });
  },
);
