import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import { Rejection } from './rejection';

/**
 * Databases that other databases replicate from. An in-place restore renames the original aside,
 * restores a new database under its name, and deletes the set-aside original at cleanup. Replicas follow
 * the original, not the name: during the run they replicate from the set-aside copy; once it is deleted,
 * RDS promotes them to standalone databases (same-Region replicas; cross-Region PostgreSQL replicas stop
 * replicating instead), still serving the data from before the restore, and the restored database has no
 * replicas. Rewind does not rebuild replicas, so it refuses such databases at intake, before anything is
 * touched, and says how to proceed.
 */

const list = (names: string[]) => names.map((n) => n.split(':').at(-1)).join(', ');

export function rejectInstanceWithReplicas(db: DBInstance, identifier: string): void {
  const instances = db.ReadReplicaDBInstanceIdentifiers ?? [];
  const clusters = db.ReadReplicaDBClusterIdentifiers ?? [];
  if (!instances.length && !clusters.length) return;
  const replicas = [...instances, ...clusters];
  const first = replicas[0]!.split(':').at(-1)!;
  throw new Rejection(
    'has-read-replicas',
    `${identifier} has read replicas (${list(replicas)}). An in-place restore would leave them replicating from the set-aside original, ` +
      `and deleting that original at cleanup would detach them (promoted to standalone databases holding the old data, or stopped): ` +
      `they would no longer follow ${identifier}, and Rewind does not rebuild them. ` +
      `Remove them first (aws rds delete-db-instance --db-instance-identifier ${first} --skip-final-snapshot, for each), ` +
      `restore, then recreate them (aws rds create-db-instance-read-replica --db-instance-identifier ${first} --source-db-instance-identifier ${identifier})`,
  );
}

export function rejectClusterWithReplicas(cluster: DBCluster, identifier: string): void {
  if (cluster.GlobalClusterIdentifier) {
    throw new Rejection(
      'has-read-replicas',
      `${identifier} is a member of the global database ${cluster.GlobalClusterIdentifier}: an in-place restore would take it out of the global database ` +
        `and leave the other Regions replicating from the set-aside original. Remove it from the global database first ` +
        `(aws rds remove-from-global-cluster --global-cluster-identifier ${cluster.GlobalClusterIdentifier} --db-cluster-identifier ${cluster.DBClusterArn ?? identifier}), restore, then add it back`,
    );
  }
  const replicas = cluster.ReadReplicaIdentifiers ?? [];
  if (!replicas.length) return;
  throw new Rejection(
    'has-read-replicas',
    `${identifier} has read replica clusters (${list(replicas)}). An in-place restore would leave them replicating from the set-aside original, ` +
      `and deleting that original at cleanup would detach them: they would no longer follow ${identifier}, and Rewind does not rebuild them. ` +
      `Promote or delete them first (aws rds promote-read-replica-db-cluster --db-cluster-identifier <replica>, in its Region), restore, then recreate them`,
  );
}
