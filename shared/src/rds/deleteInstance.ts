import {
  DeleteDBInstanceCommand,
  ModifyDBInstanceCommand,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { isRdsError } from './rdsErrors';

/**
 * Statuses in which RDS refuses to delete an instance or cluster for now (it is accepted once they end):
 * a deletion waits them out instead of failing. One set for every step that deletes.
 */
export const DELETE_BLOCKING_STATUSES: ReadonlySet<string> = new Set([
  'creating',
  'deleting',
  'renaming',
  'starting',
  'stopping',
  'upgrading',
  'modifying',
  'rebooting',
  'backing-up',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
  'resetting-master-credentials',
]);

/** An RDS error that means "already gone, or already being deleted": an earlier call of ours did it. */
export function isAlreadyGoing(err: unknown, notFound: string): boolean {
  return isRdsError(err, notFound) || /already being deleted/i.test((err as Error).message);
}

/**
 * Deletes an instance Rewind is entitled to delete (`db`: as just described): lifts its deletion
 * protection first, then deletes it with a final snapshot or without one. An instance already gone or
 * already being deleted counts as done (an earlier call of ours whose answer was lost).
 */
export async function deleteInstance(
  rds: RDSClient,
  id: string,
  db: Pick<DBInstance, 'DeletionProtection'>,
  options: { finalSnapshot?: string; deleteAutomatedBackups: boolean },
): Promise<void> {
  if (db.DeletionProtection) {
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        DeletionProtection: false,
        ApplyImmediately: true,
      }),
    );
  }
  try {
    await rds.send(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: id,
        ...(options.finalSnapshot
          ? { FinalDBSnapshotIdentifier: options.finalSnapshot }
          : { SkipFinalSnapshot: true }),
        DeleteAutomatedBackups: options.deleteAutomatedBackups,
      }),
    );
  } catch (err) {
    if (!isAlreadyGoing(err, 'DBInstanceNotFound')) throw err;
  }
}
