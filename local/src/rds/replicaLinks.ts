import type { DbInstance } from './model';
import { parseRdsArn } from './naming';
import type { RdsState } from './state';

/**
 * Read replica links: a replica names its source (identifier in the same region, ARN across regions);
 * a source lists its replicas the same way. They follow renames ("All read replicas associated with a DB
 * instance remain associated with that instance after it is renamed": RDS User Guide, Renaming a DB
 * instance, USER_RenameInstance.html) and end with either side (deleting a source without its replicas
 * promotes each replica to a standalone instance: RDS User Guide, Working with DB instance read replicas,
 * USER_ReadRepl.html).
 */

/** A deleted read replica leaves its source's list of replicas. */
export function detachReplica(s: RdsState, replica: DbInstance): void {
  if (replica.replicaSourceArn === undefined) return;
  const arn = parseRdsArn(replica.replicaSourceArn);
  const owner = arn ? s.world.partition({ accountId: arn.accountId, region: arn.region }) : s;
  const source = owner.instances.get(arn ? arn.id : replica.replicaSourceArn);
  if (!source?.replicaArns) return;
  source.replicaArns = source.replicaArns.filter((r) => r !== replica.id && r !== s.arnOf(replica));
}

/**
 * A renamed instance keeps its replication links, as in RDS (they follow the resource, not the name):
 * its replicas name the new identifier (the new ARN across regions), and its source lists the new name.
 * `oldArn`: the instance's ARN before the rename.
 */
export function relinkAfterRename(s: RdsState, inst: DbInstance, oldId: string, oldArn: string): void {
  const newArn = s.arnOf(inst);
  for (const ref of inst.replicaArns ?? []) {
    const arn = parseRdsArn(ref);
    const owner = arn ? s.world.partition({ accountId: arn.accountId, region: arn.region }) : s;
    const replica = owner.instances.get(arn ? arn.id : ref);
    if (replica) replica.replicaSourceArn = arn ? newArn : inst.id;
  }
  if (inst.replicaSourceArn !== undefined) {
    const arn = parseRdsArn(inst.replicaSourceArn);
    const owner = arn ? s.world.partition({ accountId: arn.accountId, region: arn.region }) : s;
    const source = owner.instances.get(arn ? arn.id : inst.replicaSourceArn);
    if (source?.replicaArns) {
      source.replicaArns = source.replicaArns.map((r) => (r === oldId ? inst.id : r === oldArn ? newArn : r));
    }
  }
}

/**
 * A deleted source leaves its read replicas standalone (RDS promotes them), except cross-region
 * PostgreSQL replicas: "the replication status of the read replica is set to terminated. The read replica
 * isn't promoted" (RDS User Guide, USER_ReadRepl.XRgn; aws-facts-copies-dr.md §4a). They stay replicas
 * until PromoteReadReplica.
 */
export function releaseReplicas(s: RdsState, source: DbInstance): void {
  for (const ref of source.replicaArns ?? []) {
    const arn = parseRdsArn(ref);
    const owner = arn ? s.world.partition({ accountId: arn.accountId, region: arn.region }) : s;
    const replica = owner.instances.get(arn ? arn.id : ref);
    if (!replica) continue;
    if (arn && source.engine === 'postgres') {
      replica.replicationTerminated = true;
      owner.note(replica, `replication terminated: its source ${source.id} was deleted`);
    } else replica.replicaSourceArn = undefined;
  }
  source.replicaArns = undefined;
}
