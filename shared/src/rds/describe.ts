import { DescribeDBInstancesCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import { isRdsError } from './rdsErrors';

/** Describe calls that answer `undefined` instead of throwing when the resource does not exist. */
export async function findInstance(rds: RDSClient, identifier: string): Promise<DBInstance | undefined> {
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
    return out.DBInstances?.[0];
  } catch (err) {
    if (isRdsError(err, 'DBInstanceNotFound')) return undefined;
    throw err;
  }
}

/** Statuses from which an instance never becomes available by itself. */
export const FAILED_INSTANCE_STATUSES = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-credentials',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'storage-full',
  'restore-error',
]);

/** Statuses in which a database answers at its endpoint. */
export const SERVING_INSTANCE_STATUSES = new Set(['available', 'backing-up', 'storage-optimization']);
