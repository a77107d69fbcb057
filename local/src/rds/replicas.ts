/**
 * CreateDBInstanceReadReplica, in the same region or (source by ARN) across regions, following
 * aws-facts-copies-dr.md §4a: the source needs automated backups; an encrypted source needs `KmsKeyId`
 * for a cross-region replica; an unencrypted source cannot get an encrypted replica; `PreSignedUrl` is
 * ignored. Sequence: source `modifying` while RDS snapshots it, replica `creating` (a cross-region copy of
 * that snapshot shows in the destination as an automated snapshot until the replica is up), then
 * RDS-EVENT-0005 and `available`. Replicas have backups disabled; a cross-region replica gets the
 * destination's default parameter and option groups unless given.
 */
import { missingTargetKey, requireSourceKey, targetKey } from './encryption';
import { err, RdsError } from './errors';
import { addInstance, baseInstance, restarted, runCreation } from './instances';
import { defineTask } from './lifecycle';
import type { DbInstance, DbSnapshot } from './model';
import { defaultOptionGroup, defaultParameterGroup, parseRdsArn } from './naming';
import type { Params, XmlObject } from './protocol';
import { renderInstance } from './render';
import { normaliseId, readInstanceSettings, validateIdentifier, validateInstanceSettings } from './settings';
import { detachReplica } from './replicaLinks';
import { automatedSnapshotId, settingsOf } from './snapshots';
import type { RdsState } from './state';

/** Read replicas per source (Oracle and SQL Server: 5), from the RDS user guide. */
function replicaLimit(engine: string): number {
  return engine.startsWith('oracle') || engine.startsWith('sqlserver') ? 5 : 15;
}

function locateSource(s: RdsState, ref: string): { owner: RdsState; source: DbInstance } {
  const arn = parseRdsArn(ref);
  if (!arn || (arn.region === s.identity.region && arn.accountId === s.identity.accountId)) {
    return { owner: s, source: s.instance(ref) };
  }
  // Read replicas never cross accounts; a source in another region must be named by its ARN.
  if (arn.type !== 'db' || arn.accountId !== s.identity.accountId) throw err.instanceNotFound(ref);
  const owner = s.world.partition({ accountId: arn.accountId, region: arn.region });
  const source = owner.instances.get(arn.id.toLowerCase());
  if (!source) throw err.instanceNotFound(ref);
  return { owner, source };
}

export function createDBInstanceReadReplica(s: RdsState, p: Params): XmlObject {
  const id = normaliseId(p.req('DBInstanceIdentifier'));
  validateIdentifier(id);
  const { owner, source } = locateSource(s, p.req('SourceDBInstanceIdentifier'));
  const crossRegion = owner !== s;
  if (!crossRegion && p.str('DBSubnetGroupName') !== undefined) {
    throw new RdsError(
      'DBSubnetGroupNotAllowedFault',
      'DBSubnetGroupName can only be given for a read replica in another Region; leave it out for a replica in the same Region.',
    );
  }
  if (source.clusterId !== undefined) {
    throw err.combination(`${source.id} is an Aurora cluster member: add a reader to its cluster instead.`);
  }
  if (source.status !== 'available') {
    throw err.instanceState(`DB instance ${source.id} is not in available state (it is ${source.status}).`);
  }
  if (source.backupRetentionPeriod === 0) {
    throw err.instanceState(
      `Automated backups are not enabled for ${source.id}: set its BackupRetentionPeriod to a non-zero value (ModifyDBInstance) before creating a read replica.`,
    );
  }
  if (s.instances.has(id)) throw err.instanceExists();
  const existing = source.replicaArns?.length ?? 0;
  if (existing >= replicaLimit(source.engine)) {
    throw err.instanceState(
      `DB instance ${source.id} already has ${existing} read replicas, the most ${source.engine} allows.`,
    );
  }
  const kmsKeyId = p.str('KmsKeyId');
  if (!source.storageEncrypted && kmsKeyId !== undefined) {
    throw err.combination("You can't create an encrypted read replica from an unencrypted DB instance.");
  }
  if (source.storageEncrypted && crossRegion && kmsKeyId === undefined) throw missingTargetKey(true);
  if (source.storageEncrypted) requireSourceKey(s, source.kmsKeyId);
  const keyArn = kmsKeyId === undefined ? source.kmsKeyId : targetKey(s, kmsKeyId, true);

  const v = readInstanceSettings(p);
  for (const k of ['masterUsername', 'kmsKeyId', 'storageEncrypted', 'engine', 'dbName'] as const)
    delete v[k];
  validateInstanceSettings(s, v);
  const replica = baseInstance(s, id, source.engine, source.engineVersion);
  const settings = settingsOf(source);
  Object.assign(replica, settings, {
    availabilityZone: crossRegion ? s.naming.pickZone() : settings.availabilityZone,
    optionGroup: crossRegion ? defaultOptionGroup(source.engine, source.engineVersion) : source.optionGroup,
    parameterGroup: crossRegion
      ? defaultParameterGroup(source.engine, source.engineVersion)
      : source.parameterGroup,
    backupRetentionPeriod: 0,
  });
  Object.assign(replica, v, { id });
  replica.storageEncrypted = keyArn !== undefined;
  replica.kmsKeyId = keyArn;
  replica.tags = p.tags() ?? [];
  replica.replicaSourceArn = crossRegion ? owner.arnOf(source) : source.id;
  source.replicaArns = [...(source.replicaArns ?? []), crossRegion ? s.arnOf(replica) : replica.id];

  // RDS snapshots the source (source `modifying`), copies that snapshot to the replica's region.
  owner.setStatus(source, 'modifying', `creating read replica ${replica.id}`);
  owner.sched.task(owner.durations.instanceInitialBackup, source, sourceSnapshotted(source));
  addInstance(s, replica);
  const transit = crossRegion ? seedSnapshot(s, source, settings) : undefined;
  runCreation(s, replica, {
    duration: s.durations.replicaCreate,
    backup: false,
    backupDuration: 0,
    onCreated: transit && seedLoaded(replica, { seed: transit.key }),
  });
  return { DBInstance: renderInstance(s, replica) };
}

/** RDS has the source's snapshot for the replica: the source is `available` again. */
const sourceSnapshotted = defineTask('replica.source-snapshotted', (s: RdsState, source: DbInstance) => {
  if (source.status === 'modifying') s.setStatus(source, 'available');
});

/** A cross-region replica is up: the copy of the source's snapshot it was loaded from goes away. */
const seedLoaded = defineTask(
  'replica.seed-loaded',
  (s: RdsState, replica: DbInstance, { seed }: { seed: string }) => {
    const transit = s.byKey(seed);
    if (transit?.kind !== 'snapshot' || s.snapshots.get(transit.id) !== transit) return;
    s.snapshots.delete(transit.id);
    s.setStatus(transit, 'deleted', `loaded into read replica ${replica.id}`);
  },
);

/** The cross-region copy of the source's snapshot: an automated snapshot in `creating` until loaded. */
function seedSnapshot(s: RdsState, source: DbInstance, settings: DbSnapshot['source']): DbSnapshot {
  const id = automatedSnapshotId(source.id);
  const snap: DbSnapshot = {
    kind: 'snapshot',
    key: s.nextKey(`snapshot:${id}`),
    id,
    arnId: id,
    status: 'creating',
    tags: [],
    instanceId: source.id,
    dbiResourceId: source.resourceId,
    snapshotType: 'automated',
    createTime: new Date(),
    instanceCreateTime: source.createTime,
    percentProgress: 0,
    sharedWith: [],
    source: settings,
  };
  s.snapshots.set(id, snap);
  s.setStatus(snap, 'creating', `read replica seed from ${source.id}`);
  return snap;
}

/**
 * PromoteReadReplica (aws-facts-copies-dr.md §4b): the replica becomes a standalone instance with its
 * parameter and option groups, `modifying` then a reboot (0004 / 0006, no promotion event is
 * documented), then `available` with the requested backups (default 1 day). Refused while
 * `backing-up` or when the instance is not a read replica.
 */
export function promoteReadReplica(s: RdsState, p: Params): XmlObject {
  const replica = s.instance(p.req('DBInstanceIdentifier'));
  if (replica.replicaSourceArn === undefined) {
    throw err.instanceState(`DB instance ${replica.id} is not a read replica.`);
  }
  if (replica.status !== 'available') {
    throw err.instanceState(
      `A read replica cannot be promoted to a standalone instance when it is in the ${replica.status} status; wait until it is available.`,
    );
  }
  const retention = p.int('BackupRetentionPeriod') ?? 1;
  if (retention < 0 || retention > 35) throw err.value('BackupRetentionPeriod must be between 0 and 35.');
  const window = p.str('PreferredBackupWindow');
  s.setStatus(replica, 'modifying', 'promoting read replica');
  s.sched.task(s.durations.instanceModify, replica, promoted(replica, { retention, window }));
  return { DBInstance: renderInstance(s, replica) };
}

/** The replica is standalone: its backups as requested, then a reboot (0004 / 0006) and `available`. */
const promoted = defineTask(
  'replica.promoted',
  (s: RdsState, replica: DbInstance, args: { retention: number; window?: string }) => {
    detachReplica(s, replica);
    replica.replicaSourceArn = undefined;
    replica.replicationTerminated = undefined;
    replica.backupRetentionPeriod = args.retention;
    if (args.window !== undefined) replica.preferredBackupWindow = args.window;
    s.setStatus(replica, 'rebooting');
    s.events.emit('DB_INSTANCE', 'instanceShutdown', replica.id, s.arnOf(replica));
    s.sched.task(s.durations.reboot, replica, restarted(replica));
  },
);

/** CreateDBCluster with ReplicationSourceIdentifier: the resource id of a source cluster of this Region. */
export function clusterReplicationSource(s: RdsState, p: Params): string | undefined {
  const source = p.str('ReplicationSourceIdentifier');
  if (source === undefined) return undefined;
  const id = normaliseId(source.split(':').at(-1)!);
  const c = s.clusters.get(id);
  if (!c) throw err.clusterNotFound(id);
  return c.resourceId;
}
