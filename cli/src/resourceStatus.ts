import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { findInstance, type Expectation } from '@rewind/shared';

/** The RDS status of the resource a step waits on ("absent" when it does not exist). */
export async function resourceStatus(
  rds: RDSClient,
  expectation: Pick<Expectation, 'resourceKind' | 'resourceName'>,
): Promise<string> {
  const name = expectation.resourceName;
  const notFound = (err: unknown) => {
    if (/NotFound/.test((err as Error).name ?? '')) return undefined;
    throw err;
  };
  switch (expectation.resourceKind) {
    case 'instance':
      return (await findInstance(rds, name))?.DBInstanceStatus ?? 'absent';
    case 'cluster': {
      const out = await rds
        .send(new DescribeDBClustersCommand({ DBClusterIdentifier: name }))
        .catch(notFound);
      return out?.DBClusters?.[0]?.Status ?? 'absent';
    }
    case 'snapshot': {
      const out = await rds
        .send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: name }))
        .catch(notFound);
      return out?.DBSnapshots?.[0]?.Status ?? 'absent';
    }
    case 'cluster-snapshot': {
      const out = await rds
        .send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: name }))
        .catch(notFound);
      return out?.DBClusterSnapshots?.[0]?.Status ?? 'absent';
    }
    case 'global-replication-group':
      // ElastiCache, not RDS: a DR run's view shows it (rewind failover --json / rewind status).
      return 'see the DR run';
  }
}
