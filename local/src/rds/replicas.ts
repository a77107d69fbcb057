/**
 * Read replicas: CreateDBInstanceReadReplica, and which databases replicate from which. A replica
 * records its source's resource id, so it follows the source through renames (as RDS's replicas do); once
 * the source is deleted the replica stands alone (same-Region replicas are promoted).
 */
import { err } from './errors';
import type { DbInstance } from './model';
import type { Params, XmlObject } from './protocol';
import { addInstance, baseInstance, runCreation } from './instances';
import { renderInstance } from './render';
import { normaliseId, validateIdentifier } from './settings';
import { settingsOf } from './snapshots';
import type { RdsState } from './state';

/** The identifier in an identifier or an ARN (`arn:aws:rds:<region>:<account>:db:<id>`). */
const idOf = (value: string) => normaliseId(value.split(':').at(-1)!);

export function createDBInstanceReadReplica(s: RdsState, p: Params): XmlObject {
  const id = normaliseId(p.req('DBInstanceIdentifier'));
  validateIdentifier(id);
  const source = s.instance(idOf(p.req('SourceDBInstanceIdentifier')));
  if (source.clusterId !== undefined) {
    throw err.combination(
      `DB instance ${source.id} is a member of a DB cluster; create an Aurora replica instead.`,
    );
  }
  if (source.status !== 'available') {
    throw err.instanceState(`DB instance ${source.id} is not in available state.`);
  }
  if (source.backupRetentionPeriod === 0) {
    throw err.instanceState(
      'Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.',
    );
  }
  const inst: DbInstance = baseInstance(s, id, source.engine, source.engineVersion);
  Object.assign(inst, settingsOf(source), {
    instanceClass: p.str('DBInstanceClass') ?? source.instanceClass,
    parameterGroup: source.parameterGroup,
    subnetGroup: source.subnetGroup,
    vpcSecurityGroupIds: [...source.vpcSecurityGroupIds],
    // RDS creates read replicas with backups disabled.
    backupRetentionPeriod: 0,
    replicaOf: source.resourceId,
  });
  inst.tags = p.tags() ?? [];
  addInstance(s, inst);
  runCreation(s, inst, { duration: s.durations.instanceCreate, backup: false, backupDuration: 0 });
  return { DBInstance: renderInstance(s, inst) };
}

/** CreateDBCluster with ReplicationSourceIdentifier: the resource id of a source cluster of this Region. */
export function clusterReplicationSource(s: RdsState, p: Params): string | undefined {
  const source = p.str('ReplicationSourceIdentifier');
  if (source === undefined) return undefined;
  const c = s.clusters.get(idOf(source));
  if (!c) throw err.clusterNotFound(idOf(source));
  return c.resourceId;
}
