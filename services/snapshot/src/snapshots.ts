import { CreateDBSnapshotCommand } from '@aws-sdk/client-rds';
import { findSnapshot } from '@rewind/shared';
import { snapshotStep } from './snapshotStep';

/** The snapshot step of an instance run: a manual DB snapshot (RDS-EVENT-0040 / 0042, or describe calls). */
const instanceSnapshot = snapshotStep({
  resourceKind: 'snapshot',
  noun: 'snapshot',
  action: 'CreateDBSnapshot',
  alreadyExists: 'DBSnapshotAlreadyExists',
  create: async (ctx, run, tags) => {
    await ctx.rds.send(
      new CreateDBSnapshotCommand({
        DBSnapshotIdentifier: run.names.snapshot!,
        DBInstanceIdentifier: run.identifier,
        Tags: tags,
      }),
    );
  },
  find: async (ctx, name) => {
    const snap = await findSnapshot(ctx.rds, name);
    return (
      snap && { status: snap.Status ?? 'unknown', arn: snap.DBSnapshotArn, progress: snap.PercentProgress }
    );
  },
});

export const startSnapshot = instanceSnapshot.start;
export const snapshotWait = instanceSnapshot.wait;
