import { DescribeDBClustersCommand, type DBCluster, type RDSClient } from '@aws-sdk/client-rds';
import { isRdsError } from './rdsErrors';

/** The Aurora cluster, or undefined when it does not exist. */
export async function findCluster(rds: RDSClient, identifier: string): Promise<DBCluster | undefined> {
  try {
    const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }));
    return out.DBClusters?.[0];
  } catch (err) {
    if (isRdsError(err, 'DBClusterNotFoundFault')) return undefined;
    throw err;
  }
}

/** Cluster statuses from which a cluster never becomes available by itself. */
export const FAILED_CLUSTER_STATUSES = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
]);
