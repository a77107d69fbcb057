import {
  DeleteDBInstanceCommand,
  ModifyDBInstanceCommand,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { isRdsError } from './rdsErrors';

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
    if (!isRdsError(err, 'DBInstanceNotFound') && !/already being deleted/i.test((err as Error).message))
      throw err;
  }
}
