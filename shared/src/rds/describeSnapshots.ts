import { DescribeDBSnapshotsCommand, type DBSnapshot, type RDSClient } from '@aws-sdk/client-rds';
import { isRdsError } from './rdsErrors';

/** The snapshot, or undefined when it does not exist. */
export async function findSnapshot(
  rds: RDSClient,
  snapshotIdentifier: string,
): Promise<DBSnapshot | undefined> {
  try {
    const out = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotIdentifier }));
    return out.DBSnapshots?.[0];
  } catch (err) {
    if (isRdsError(err, 'DBSnapshotNotFound')) return undefined;
    throw err;
  }
}
