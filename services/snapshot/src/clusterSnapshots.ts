import { CreateDBClusterSnapshotCommand } from '@aws-sdk/client-rds';
import { findClusterSnapshot } from '@rewind/shared';
import { snapshotStep } from './snapshotStep';

/** The snapshot step of a cluster run: a manual cluster snapshot (RDS-EVENT-0074 / 0075, or describe calls). */
const clusterSnapshot = snapshotStep({
  resourceKind: 'cluster-snapshot',
  noun: 'cluster snapshot',
  action: 'CreateDBClusterSnapshot',
  alreadyExists: 'DBClusterSnapshotAlreadyExistsFault',
  create: async (ctx, run, tags) => {
    await ctx.rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterSnapshotIdentifier: run.names.snapshot!,
        DBClusterIdentifier: run.identifier,
        Tags: tags,
      }),
    );
  },
  find: async (ctx, name) => {
    const snap = await findClusterSnapshot(ctx.rds, name);
    return (
      snap && {
        status: snap.Status ?? 'unknown',
        arn: snap.DBClusterSnapshotArn,
        progress: snap.PercentProgress,
      }
    );
  },
});

export const startClusterSnapshot = clusterSnapshot.start;
export const clusterSnapshotWait = clusterSnapshot.wait;
