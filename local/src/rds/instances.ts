/** DB instances: create, describe, modify (incl. rename), reboot, delete. */
import { checkManualSnapshotQuota } from './quotas';
import { targetKey } from './encryption';
import { detachReplica, relinkAfterRename, releaseReplicas } from './replicaLinks';
import { err, RdsError } from './errors';
import type { DbInstance } from './model';
import {
  DEFAULT_CA,
  DEFAULT_SECURITY_GROUP,
  DEFAULT_VPC_ID,
  defaultEngineVersion,
  defaultLicenseModel,
  defaultOptionGroup,
  defaultParameterGroup,
  defaultPort,
} from './naming';
import { defineTask, type TaskRef } from './lifecycle';
import { paginate } from './paging';
import { type Params, type XmlObject, xmlList } from './protocol';
import { renderInstance } from './render';
import { requestedMasterSecret } from './masterSecrets';
import {
  normaliseId,
  readInstanceSettings,
  SNAPSHOT_ID_MAX,
  validateIdentifier,
  validateInstanceSettings,
} from './settings';
import { automatedSnapshotId, startSnapshot } from './snapshots';
import type { RdsState } from './state';

const WINDOWS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export function defaultMaintenanceWindow(s: RdsState): string {
  const day = WINDOWS[Math.floor(s.random() * 7)] as string;
  const hour = String(Math.floor(s.random() * 24)).padStart(2, '0');
  return `${day}:${hour}:00-${day}:${hour}:30`;
}

/** An instance with RDS's defaults for an engine; callers overlay snapshot values and request values. */
export function baseInstance(s: RdsState, id: string, engine: string, engineVersion?: string): DbInstance {
  const version = engineVersion ?? defaultEngineVersion(engine);
  s.groups.ensureDefaults(engine, version);
  const aurora = engine.startsWith('aurora');
  return {
    kind: 'instance',
    key: '',
    id,
    status: 'creating',
    tags: [],
    resourceId: s.naming.resourceId('db'),
    engine,
    engineVersion: version,
    instanceClass: 'db.t3.micro',
    masterUsername: 'admin',
    port: defaultPort(engine),
    allocatedStorage: aurora ? 1 : 20,
    storageType: aurora ? 'aurora' : 'gp2',
    storageEncrypted: false,
    licenseModel: defaultLicenseModel(engine),
    iamAuth: false,
    processorFeatures: [],
    optionGroup: defaultOptionGroup(engine, version),
    availabilityZone: s.naming.pickZone(),
    vpcId: DEFAULT_VPC_ID,
    backupRetentionPeriod: 1,
    preferredBackupWindow: '03:00-03:30',
    dedicatedLogVolume: false,
    multiAZ: false,
    publiclyAccessible: false,
    subnetGroup: 'default',
    vpcSecurityGroupIds: [DEFAULT_SECURITY_GROUP],
    parameterGroup: defaultParameterGroup(engine, version),
    parameterApplyStatus: 'in-sync',
    preferredMaintenanceWindow: defaultMaintenanceWindow(s),
    autoMinorVersionUpgrade: true,
    cloudwatchLogsExports: [],
    deletionProtection: false,
    copyTagsToSnapshot: false,
    caCertificateIdentifier: DEFAULT_CA,
    networkType: 'IPV4',
    monitoringInterval: 0,
    performanceInsightsEnabled: false,
    customerOwnedIp: false,
    clusterWriter: false,
    pending: {},
  };
}

/** Registers a new instance under its identifier and records its first status. */
export function addInstance(s: RdsState, inst: DbInstance): void {
  if (s.instances.has(inst.id)) throw err.instanceExists();
  inst.key = s.nextKey(`instance:${inst.resourceId}`);
  if (inst.multiAZ && inst.secondaryAvailabilityZone === undefined) {
    inst.secondaryAvailabilityZone = s.naming.availabilityZones().find((z) => z !== inst.availabilityZone);
  }
  s.instances.set(inst.id, inst);
  s.setStatus(inst, inst.status);
}

/** The status a failure outcome leaves an instance in, and its event. */
const FAILURES: Record<
  string,
  {
    status: string;
    event:
      | 'instanceFailed'
      | 'incompatibleParameters'
      | 'incompatibleNetwork'
      | 'instanceCreateFailed'
      | 'insufficientCapacity';
  }
> = {
  'incompatible-restore': { status: 'incompatible-restore', event: 'instanceFailed' },
  failed: { status: 'failed', event: 'instanceFailed' },
  'incompatible-parameters': { status: 'incompatible-parameters', event: 'incompatibleParameters' },
  'incompatible-network': { status: 'incompatible-network', event: 'incompatibleNetwork' },
  'create-failed': { status: 'failed', event: 'instanceCreateFailed' },
  'insufficient-capacity-async': { status: 'failed', event: 'insufficientCapacity' },
};

export interface CreationPlan {
  duration: number;
  /** Emits the events of a successful creation after 0005 (e.g. the restore's 0043). */
  onCreated?: TaskRef;
  /** Fault outcome (a key of FAILURES) to end in instead of available. */
  failure?: string;
  /** Take a backup (baseline / initial) afterwards when BackupRetentionPeriod > 0. */
  backup: boolean;
  backupDuration: number;
}

/** creating -> [failure] | created (0005 + extra) -> [backing-up 0001/0002] -> available. */
export function runCreation(s: RdsState, inst: DbInstance, plan: CreationPlan): void {
  const { duration, ...args } = plan;
  s.sched.task(duration, inst, created(inst, args));
}

const created = defineTask(
  'instance.created',
  (s: RdsState, inst: DbInstance, plan: Omit<CreationPlan, 'duration'>) => {
    const arn = s.arnOf(inst);
    const failure = plan.failure === undefined ? undefined : FAILURES[plan.failure];
    if (failure) {
      s.setStatus(inst, failure.status);
      s.events.emit('DB_INSTANCE', failure.event, inst.id, arn, { status: failure.status });
      return;
    }
    inst.createTime = s.clock.date();
    s.events.emit('DB_INSTANCE', 'instanceCreated', inst.id, arn);
    if (plan.onCreated) s.runTask(plan.onCreated);
    if (plan.backup && inst.backupRetentionPeriod > 0) {
      s.setStatus(inst, 'backing-up');
      s.events.emit('DB_INSTANCE', 'backupStarted', inst.id, arn);
      s.sched.task(plan.backupDuration, inst, backedUp(inst));
    } else {
      s.setStatus(inst, 'available');
    }
  },
);

const backedUp = defineTask('instance.backed-up', (s: RdsState, inst: DbInstance) => {
  const snapId = automatedSnapshotId(inst.id, s.clock.date());
  if (!s.snapshots.has(snapId)) {
    const snap = startSnapshot(s, inst, { id: snapId, type: 'automated', tags: [] });
    s.sched.cancel(snap);
    snap.percentProgress = 100;
    s.setStatus(snap, 'available');
  }
  s.events.emit('DB_INSTANCE', 'backupFinished', inst.id, s.arnOf(inst));
  s.setStatus(inst, 'available');
});

export function createDBInstance(s: RdsState, p: Params): XmlObject {
  const id = normaliseId(p.req('DBInstanceIdentifier'));
  validateIdentifier(id);
  const v = readInstanceSettings(p);
  const clusterId = p.str('DBClusterIdentifier');
  let inst: DbInstance;
  if (clusterId !== undefined) {
    const c = s.cluster(clusterId);
    if (c.status !== 'available') throw err.clusterState(`DB cluster ${c.id} is not in available state.`);
    const engine = p.req('Engine');
    if (engine !== c.engine)
      throw err.combination(`The engine ${engine} does not match the cluster engine ${c.engine}.`);
    p.req('DBInstanceClass');
    inst = baseInstance(s, id, c.engine, c.engineVersion);
    inst.clusterId = c.id;
    inst.port = c.port;
    inst.masterUsername = c.masterUsername;
    inst.subnetGroup = c.subnetGroup;
    inst.vpcSecurityGroupIds = [...c.vpcSecurityGroupIds];
    inst.storageEncrypted = c.storageEncrypted;
    inst.kmsKeyId = c.kmsKeyId;
    inst.backupRetentionPeriod = c.backupRetentionPeriod;
    inst.promotionTier = 1;
    inst.clusterWriter = s.members(c.id).length === 0;
  } else {
    const engine = p.req('Engine');
    p.req('DBInstanceClass');
    p.req('MasterUsername');
    if (!engine.startsWith('aurora')) p.req('AllocatedStorage');
    inst = baseInstance(s, id, engine, v.engineVersion);
  }
  validateInstanceSettings(s, v);
  if (clusterId !== undefined) {
    delete v.port;
    delete v.allocatedStorage;
    delete v.backupRetentionPeriod;
  }
  Object.assign(inst, v, { id, engineVersion: inst.engineVersion, engine: inst.engine });
  inst.masterUserSecret = requestedMasterSecret(s, p);
  if (clusterId === undefined) {
    inst.kmsKeyId = targetKey(s, v.kmsKeyId, inst.storageEncrypted);
    inst.storageEncrypted = inst.kmsKeyId !== undefined;
  }
  inst.tags = p.tags() ?? [];
  const outcome = s.faults.takeOperation('create', id);
  if (outcome === 'insufficient-capacity') {
    throw new RdsError(
      'InsufficientDBInstanceCapacity',
      `Cannot create a database instance because there is currently insufficient capacity for ${inst.instanceClass} in ${inst.availabilityZone}.`,
    );
  }
  addInstance(s, inst);
  runCreation(s, inst, {
    duration: clusterId !== undefined ? s.durations.clusterInstanceCreate : s.durations.instanceCreate,
    failure: outcome === 'failed' ? 'create-failed' : outcome,
    backup: clusterId === undefined,
    backupDuration: s.durations.instanceInitialBackup,
  });
  return { DBInstance: renderInstance(s, inst) };
}

const INSTANCE_FILTERS: Record<string, (i: DbInstance, s: RdsState) => (string | undefined)[]> = {
  'db-instance-id': (i, s) => [i.id, s.arnOf(i)],
  'db-cluster-id': (i, s) => [i.clusterId, i.clusterId && s.naming.arn('cluster', i.clusterId)],
  'dbi-resource-id': (i) => [i.resourceId],
  engine: (i) => [i.engine],
  domain: (i) => [i.domain?.Domain],
};

export function describeDBInstances(s: RdsState, p: Params): XmlObject {
  const id = p.str('DBInstanceIdentifier');
  let list = id !== undefined ? [s.instance(id)] : [...s.instances.values()];
  for (const f of p.filters()) {
    const get = INSTANCE_FILTERS[f.name];
    if (!get) throw err.value(`Unrecognized filter name: ${f.name}`);
    list = list.filter((i) => get(i, s).some((v) => v !== undefined && f.values.includes(v)));
  }
  const page = paginate(p, list);
  return {
    Marker: page.marker,
    DBInstances: xmlList(
      'DBInstance',
      page.items.map((i) => renderInstance(s, i)),
    ),
  };
}

/** Settings that go through PendingModifiedValues (applied at the end of `modifying`). */
const PENDING_FIELDS: [keyof DbInstance, string][] = [
  ['instanceClass', 'DBInstanceClass'],
  ['allocatedStorage', 'AllocatedStorage'],
  ['storageType', 'StorageType'],
  ['iops', 'Iops'],
  ['storageThroughput', 'StorageThroughput'],
  ['engineVersion', 'EngineVersion'],
  ['multiAZ', 'MultiAZ'],
  ['port', 'Port'],
  ['caCertificateIdentifier', 'CACertificateIdentifier'],
  ['licenseModel', 'LicenseModel'],
  ['subnetGroup', 'DBSubnetGroupName'],
];

const PENDING_BY_NAME = new Map(PENDING_FIELDS.map(([f, n]) => [n, f]));

export function modifyDBInstance(s: RdsState, p: Params): XmlObject {
  const inst = s.instance(p.req('DBInstanceIdentifier'));
  const applyNow = p.bool('ApplyImmediately') === true;
  const newIdRaw = p.str('NewDBInstanceIdentifier');
  const newId = newIdRaw === undefined ? undefined : normaliseId(newIdRaw);
  if (!s.behaviour.modifiableStatuses.includes(inst.status)) {
    throw err.instanceState(`Database instance is not in available state.`);
  }
  const v = readInstanceSettings(p);
  for (const k of ['engine', 'dbName', 'masterUsername', 'kmsKeyId', 'storageEncrypted', 'timezone'] as const)
    delete v[k];
  if (v.monitoringInterval !== undefined && v.monitoringInterval > 0 && v.monitoringRoleArn === undefined) {
    if (inst.monitoringRoleArn !== undefined) v.monitoringRoleArn = inst.monitoringRoleArn;
  }
  validateInstanceSettings(s, v);
  if (newId !== undefined) {
    validateIdentifier(newId, 'NewDBInstanceIdentifier');
    if (s.instances.has(newId)) throw err.instanceExists();
  }
  const logs = p.struct('CloudwatchLogsExportConfiguration');
  if (logs !== undefined) {
    const enable = p.list('CloudwatchLogsExportConfiguration.EnableLogTypes') ?? [];
    const disable = p.list('CloudwatchLogsExportConfiguration.DisableLogTypes') ?? [];
    v.cloudwatchLogsExports = [...new Set([...inst.cloudwatchLogsExports, ...enable])].filter(
      (l) => !disable.includes(l),
    );
  }
  if (v.performanceInsightsEnabled === false) {
    v.performanceInsightsKMSKeyId = undefined;
    v.performanceInsightsRetentionPeriod = undefined;
  } else if (v.performanceInsightsEnabled === true && v.performanceInsightsRetentionPeriod === undefined) {
    v.performanceInsightsRetentionPeriod = inst.performanceInsightsRetentionPeriod ?? 7;
  }
  if (v.performanceInsightsEnabled === true && v.performanceInsightsKMSKeyId === undefined) {
    v.performanceInsightsKMSKeyId =
      inst.performanceInsightsKMSKeyId ??
      `arn:aws:kms:${s.identity.region}:${s.identity.accountId}:key/aws-rds-pi`;
  }
  // Pending-type settings wait for the modification window (or the end of `modifying` when applied now).
  const pending: Record<string, string | number | boolean> = {};
  for (const [field, name] of PENDING_FIELDS) {
    const val = v[field];
    if (val !== undefined && val !== inst[field]) pending[name] = val as string | number | boolean;
    delete v[field];
  }
  if (v.parameterGroup !== undefined && v.parameterGroup !== inst.parameterGroup) {
    inst.parameterApplyStatus = 'pending-reboot';
  }
  const secret = requestedMasterSecret(s, p, inst);
  if (secret) v.masterUserSecret = secret;
  Object.assign(inst, v);
  Object.assign(inst.pending, pending);
  if (newId !== undefined && !applyNow) inst.pending['DBInstanceIdentifier'] = newId;
  const changed = Object.keys(v).length > 0 || Object.keys(pending).length > 0;
  if (newId !== undefined && applyNow) {
    rename(s, inst, newId);
  } else if (changed && applyNow) {
    s.setStatus(inst, 'modifying');
    s.sched.task(s.durations.instanceModify, inst, modified(inst));
  }
  return { DBInstance: renderInstance(s, inst) };
}

const modified = defineTask('instance.modified', (s: RdsState, inst: DbInstance) => {
  applyPending(inst);
  s.setStatus(inst, 'available');
});

function applyPending(inst: DbInstance): void {
  for (const [name, val] of Object.entries(inst.pending)) {
    const field = PENDING_BY_NAME.get(name);
    if (field !== undefined) (inst as unknown as Record<string, unknown>)[field] = val;
    if (field !== undefined) delete inst.pending[name];
  }
}

/**
 * Rename: the old name is gone at once; `renaming`, then (a flash of `available`,) `rebooting` with
 * 0004 / 0006, then `available`. RDS emits no rename event.
 */
function rename(s: RdsState, inst: DbInstance, newId: string): void {
  const oldId = inst.id;
  const oldArn = s.arnOf(inst);
  s.instances.delete(oldId);
  inst.id = newId;
  s.instances.set(newId, inst);
  relinkAfterRename(s, inst, oldId, oldArn);
  s.setStatus(inst, 'renaming', `renamed from ${oldId}`);
  applyPending(inst);
  if (s.faults.takeOperation('rename', oldId) === 'stuck' || false) return;
  s.sched.task(s.durations.renameRenaming, inst, renamed(inst));
}

const renamed = defineTask('instance.renamed', (s: RdsState, inst: DbInstance) => {
  if (s.durations.renameAvailableFlash > 0) {
    s.setStatus(inst, 'available');
    s.sched.task(s.durations.renameAvailableFlash, inst, rebootAfterRename(inst));
  } else {
    s.runTask(rebootAfterRename(inst));
  }
});

const rebootAfterRename = defineTask('instance.reboot-after-rename', (s: RdsState, inst: DbInstance) => {
  s.setStatus(inst, 'rebooting');
  s.events.emit('DB_INSTANCE', 'instanceShutdown', inst.id, s.arnOf(inst));
  s.sched.task(s.durations.renameRebooting, inst, restarted(inst));
});

/** The end of a reboot: 0006, pending parameters applied, available. */
export const restarted = defineTask('instance.restarted', (s: RdsState, inst: DbInstance) => {
  if (inst.parameterApplyStatus === 'pending-reboot') inst.parameterApplyStatus = 'in-sync';
  s.events.emit('DB_INSTANCE', 'instanceRestarted', inst.id, s.arnOf(inst));
  s.setStatus(inst, 'available');
});

export function rebootDBInstance(s: RdsState, p: Params): XmlObject {
  const inst = s.instance(p.req('DBInstanceIdentifier'));
  if (inst.status !== 'available') {
    throw err.instanceState(`Instance ${inst.id} is not in available state.`);
  }
  if (p.bool('ForceFailover') === true && !inst.multiAZ) {
    throw err.combination('Cannot force a failover on a Single-AZ instance.');
  }
  s.setStatus(inst, 'rebooting');
  s.events.emit('DB_INSTANCE', 'instanceShutdown', inst.id, s.arnOf(inst));
  if (s.faults.takeOperation('reboot', inst.id) !== 'stuck') {
    s.sched.task(s.durations.reboot, inst, restarted(inst));
  }
  return { DBInstance: renderInstance(s, inst) };
}

const DELETABLE = new Set([
  'available',
  'backing-up',
  'modifying',
  'rebooting',
  'failed',
  'incompatible-restore',
  'incompatible-network',
  'incompatible-parameters',
  'incompatible-option-group',
  'storage-full',
  'stopped',
  'storage-optimization',
  'inaccessible-encryption-credentials',
]);
const SKIP_REQUIRED = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-network',
  'incompatible-parameters',
]);

/** When the writer goes, the reader with the best (lowest) promotion tier becomes the writer. */
function promoteWriter(s: RdsState, clusterId: string): void {
  const next = s
    .members(clusterId)
    .filter((m) => m.status !== 'deleting')
    .sort((a, b) => (a.promotionTier ?? 1) - (b.promotionTier ?? 1))[0];
  if (next) {
    next.clusterWriter = true;
    s.note(next, 'promoted to cluster writer');
  }
}

export function deleteDBInstance(s: RdsState, p: Params): XmlObject {
  const inst = s.instance(p.req('DBInstanceIdentifier'));
  const skip = p.bool('SkipFinalSnapshot') === true;
  const finalIdRaw = p.str('FinalDBSnapshotIdentifier');
  const finalId = finalIdRaw === undefined ? undefined : normaliseId(finalIdRaw);
  if (inst.deletionProtection) {
    throw err.combination(
      'Cannot delete protected DB Instance, please disable deletion protection and try again.',
    );
  }
  if (inst.status === 'deleting') throw err.instanceState(`Instance ${inst.id} is already being deleted.`);
  if (!DELETABLE.has(inst.status)) {
    throw err.instanceState(`Instance ${inst.id} is currently ${inst.status} - it cannot be deleted.`);
  }
  if (inst.clusterId !== undefined) {
    if (finalId !== undefined) {
      throw err.combination(
        'FinalDBSnapshotIdentifier can not be specified when deleting a cluster instance.',
      );
    }
  } else {
    if (skip && finalId !== undefined) {
      throw err.combination('Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.');
    }
    if (!skip && finalId === undefined) {
      throw err.combination('FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
    }
    if (!skip && SKIP_REQUIRED.has(inst.status)) {
      throw err.instanceState(
        `Instance ${inst.id} is currently ${inst.status} - a final snapshot cannot be taken. Please specify SkipFinalSnapshot.`,
      );
    }
    if (finalId !== undefined) {
      validateIdentifier(finalId, 'FinalDBSnapshotIdentifier', SNAPSHOT_ID_MAX);
      if (s.snapshots.has(finalId)) throw err.snapshotExists(finalId);
      checkManualSnapshotQuota(s, 'snapshot');
    }
  }
  const outcome = s.faults.takeOperation('delete', inst.id);
  if (outcome === 'error') throw err.instanceState(`Instance ${inst.id} cannot be deleted at this time.`);
  s.sched.cancel(inst);
  s.setStatus(inst, 'deleting');
  const out = { DBInstance: renderInstance(s, inst) };
  if (outcome === 'stuck') return out;
  const finish = deleting(inst, { removeAutomated: p.bool('DeleteAutomatedBackups') !== false });
  if (finalId !== undefined) {
    startSnapshot(s, inst, { id: finalId, type: 'manual', tags: [], onDone: finish });
  } else {
    s.runTask(finish);
  }
  return out;
}

/** `deleting` for the deletion's duration (after the final snapshot, if any). */
const deleting = defineTask(
  'instance.deleting',
  (s: RdsState, inst: DbInstance, args: { removeAutomated: boolean }) => {
    s.sched.task(s.durations.instanceDelete, inst, deleted(inst, args));
  },
);

const deleted = defineTask(
  'instance.deleted',
  (s: RdsState, inst: DbInstance, { removeAutomated }: { removeAutomated: boolean }) => {
    s.instances.delete(inst.id);
    detachReplica(s, inst);
    releaseReplicas(s, inst);
    if (inst.clusterId !== undefined && inst.clusterWriter) promoteWriter(s, inst.clusterId);
    if (removeAutomated) {
      for (const snap of [...s.snapshots.values()]) {
        if (snap.snapshotType === 'automated' && snap.dbiResourceId === inst.resourceId) {
          s.snapshots.delete(snap.id);
          s.setStatus(snap, 'deleted');
        }
      }
    }
    s.setStatus(inst, 'deleted');
    s.events.emit('DB_INSTANCE', 'instanceDeleted', inst.id, s.arnOf(inst));
  },
);
