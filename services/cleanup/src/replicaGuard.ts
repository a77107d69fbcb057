import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';

/**
 * Intake refuses databases with read replicas, but a replica may be created during the run (from the
 * set-aside original, under its temporary name). Deleting a source detaches its replicas (RDS promotes
 * them, or stops them), so the set-aside original is then left in place, with a warning naming them.
 */
export function replicatedSourceWarning(name: string, db: DBInstance | DBCluster): string | undefined {
  const replicas = [
    ...((db as DBInstance).ReadReplicaDBInstanceIdentifiers ?? []),
    ...((db as DBInstance).ReadReplicaDBClusterIdentifiers ?? []),
    ...((db as DBCluster).ReadReplicaIdentifiers ?? []),
  ].map((r) => r.split(':').at(-1)!);
  if (!replicas.length) return undefined;
  return (
    `${name} has read replicas (${replicas.join(', ')}), created since the run started: deleting it would detach them, so it is left in place. ` +
    `Move them to the restored database (delete and recreate them from it), then remove ${name}`
  );
}
