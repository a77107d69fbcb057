import { DescribeDBInstanceAutomatedBackupsCommand } from '@aws-sdk/client-rds';
import {
  findCluster,
  isRdsError,
  type CapturedConfig,
  type ClusterConfig,
  type InstanceConfig,
  type Kind,
  type PointInTime,
  type ServiceContext,
} from '@rewind/shared';
import { Rejection } from './rejection';

/**
 * A point-in-time restore reads the source's automated backups, by its resource id (which survives the
 * set-aside rename). Intake checks the requested time against the restorable window RDS reports, so a
 * time RDS would refuse is rejected before anything is touched, with the window in the message:
 * instances report theirs in DescribeDBInstanceAutomatedBackups (`RestoreWindow`), clusters in
 * DescribeDBClusters (`EarliestRestorableTime`, `LatestRestorableTime`). The latest restorable time lags
 * the present by about five minutes (RDS uploads transaction logs every five minutes).
 */

interface Window {
  earliest?: Date;
  latest?: Date;
}

const noBackups = (noun: string, id: string, command: string) =>
  new Rejection(
    'unsupported',
    `${noun} ${id} has no automated backups to restore from (backup retention 0): a point-in-time restore needs them. ` +
      `Turn them on (${command} --backup-retention-period 7 --apply-immediately) and retry once the first backup is done, or restore from a snapshot`,
  );

async function instanceWindow(ctx: ServiceContext, config: InstanceConfig): Promise<Window> {
  if (!config.backupRetentionPeriod || !config.dbiResourceId) {
    throw noBackups(
      'DB instance',
      config.identifier,
      `aws rds modify-db-instance --db-instance-identifier ${config.identifier}`,
    );
  }
  const out = await ctx.rds
    .send(new DescribeDBInstanceAutomatedBackupsCommand({ DbiResourceId: config.dbiResourceId }))
    .catch((err: unknown) => {
      // None yet (the first backup is not done): no restorable time, said below.
      if (isRdsError(err, 'DBInstanceAutomatedBackupNotFound')) return { DBInstanceAutomatedBackups: [] };
      throw err;
    });
  const backup = (out.DBInstanceAutomatedBackups ?? []).find((b) => b.DbiResourceId === config.dbiResourceId);
  return { earliest: backup?.RestoreWindow?.EarliestTime, latest: backup?.RestoreWindow?.LatestTime };
}

async function clusterWindow(ctx: ServiceContext, config: ClusterConfig): Promise<Window> {
  const cluster = await findCluster(ctx.rds, config.identifier);
  if (!config.backupRetentionPeriod && !cluster?.BackupRetentionPeriod) {
    throw noBackups(
      'cluster',
      config.identifier,
      `aws rds modify-db-cluster --db-cluster-identifier ${config.identifier}`,
    );
  }
  return { earliest: cluster?.EarliestRestorableTime, latest: cluster?.LatestRestorableTime };
}

/** The point in time a request names, once it is inside the source's restorable window. */
export async function pointInTimeOf(
  ctx: ServiceContext,
  kind: Kind,
  config: CapturedConfig,
  time: string,
): Promise<PointInTime> {
  const cluster = kind === 'cluster' && 'members' in config ? config : undefined;
  const instance = cluster ? undefined : (config as InstanceConfig);
  const resourceId = cluster ? cluster.dbClusterResourceId : instance!.dbiResourceId;
  const window = cluster ? await clusterWindow(ctx, cluster) : await instanceWindow(ctx, instance!);
  const id = config.identifier;
  if (!resourceId || !window.latest) {
    throw new Rejection(
      'not-available',
      `${id} has no restorable time yet (its first automated backup is not done); retry later, or restore from a snapshot`,
    );
  }
  const shown = `from ${(window.earliest ?? window.latest).toISOString()} to ${window.latest.toISOString()} (UTC)`;
  if (time !== 'latest') {
    const at = new Date(time);
    if (at > window.latest || (window.earliest && at < window.earliest)) {
      throw new Rejection(
        'outside-restorable-window',
        `restoreTime ${at.toISOString()} is outside the restorable window of ${id}: ${shown}. ` +
          `Pick a time inside it, or "latest"; the window's end trails the present by about five minutes`,
      );
    }
  }
  return {
    time: time === 'latest' ? 'latest' : new Date(time).toISOString(),
    sourceIdentifier: id,
    sourceResourceId: resourceId,
  };
}
