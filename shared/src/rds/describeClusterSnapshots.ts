import {
  DescribeDBClusterSnapshotsCommand,
  type DBClusterSnapshot,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { isRdsError } from './rdsErrors';

/** The cluster snapshot, or undefined when it does not exist. */
export async function findClusterSnapshot(
  rds: RDSClient,
  snapshotIdentifier: string,
): Promise<DBClusterSnapshot | undefined> {
  try {
    const out = await rds.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: snapshotIdentifier }),
    );
    return out.DBClusterSnapshots?.[0];
  } catch (err) {
    if (isRdsError(err, 'DBClusterSnapshotNotFoundFault')) return undefined;
    throw err;
  }
}
