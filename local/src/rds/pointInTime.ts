/**
 * Point-in-time restores: the restorable window of instances and clusters, RestoreDBClusterToPointInTime
 * and DescribeDBInstanceAutomatedBackups (the active backups of each instance, with their window).
 */
import { err, RdsError } from './errors';
import type { DbCluster, DbInstance } from './model';
import type { Params, XmlObject } from './protocol';
import { xmlList } from './protocol';
import type { RdsState } from './state';

const DAY = 86_400_000;

export interface RestorableWindow {
  earliest: Date;
  latest: Date;
}

/**
 * The window a database with automated backups can be restored to (none without them, or before it was
 * first available): from its creation, or the retention limit, to the present minus the log upload lag
 * (about five minutes in RDS). Simulated durations follow the time scale, so the lag and the retention
 * shrink with it.
 */
export function restorableWindow(s: RdsState, db: DbInstance | DbCluster): RestorableWindow | undefined {
  if (!db.createTime || db.backupRetentionPeriod <= 0) return undefined;
  const now = s.clock.now();
  const scale = s.sched.timeScale;
  const created = db.createTime.getTime();
  return {
    earliest: new Date(Math.max(created, now - db.backupRetentionPeriod * DAY * scale)),
    latest: new Date(Math.max(created, now - s.durations.restorableLag * scale)),
  };
}

/** The time a restore asks for (RestoreTime / RestoreToTime, or UseLatestRestorableTime), inside the window. */
export function restoreTimeOf(
  s: RdsState,
  p: Params,
  source: DbInstance | DbCluster,
  timeParam: 'RestoreTime' | 'RestoreToTime',
): Date {
  const time = p.date(timeParam);
  const useLatest = p.bool('UseLatestRestorableTime') === true;
  if (time !== undefined && useLatest) {
    throw err.combination(`Cannot specify both ${timeParam} and UseLatestRestorableTime.`);
  }
  const noun = source.kind === 'cluster' ? 'DB cluster' : 'DB instance';
  if (source.backupRetentionPeriod <= 0) {
    throw new RdsError(
      'PointInTimeRestoreNotEnabled',
      `Source ${noun} ${source.id} has BackupRetentionPeriod equal to 0.`,
    );
  }
  const window = restorableWindow(s, source);
  if (!window) {
    throw new RdsError('InvalidRestoreFault', `${noun} ${source.id} has no restorable time yet.`);
  }
  if (time === undefined) return window.latest;
  if (time < window.earliest || time > window.latest) {
    throw new RdsError(
      'InvalidRestoreFault',
      `Restore time ${time.toISOString()} is outside the restorable window ${window.earliest.toISOString()} to ${window.latest.toISOString()}.`,
    );
  }
  return time;
}

export function describeDBInstanceAutomatedBackups(s: RdsState, p: Params): XmlObject {
  const id = p.str('DBInstanceIdentifier')?.toLowerCase();
  const dbi = p.str('DbiResourceId');
  const list = [...s.instances.values()].filter(
    (i) =>
      i.backupRetentionPeriod > 0 &&
      i.createTime !== undefined &&
      (id === undefined || i.id === id) &&
      (dbi === undefined || i.resourceId === dbi),
  );
  if (list.length === 0 && (id !== undefined || dbi !== undefined)) {
    throw new RdsError('DBInstanceAutomatedBackupNotFound', `No automated backup found for ${id ?? dbi}.`);
  }
  return {
    DBInstanceAutomatedBackups: xmlList(
      'DBInstanceAutomatedBackup',
      list.map((i) => {
        const window = restorableWindow(s, i)!;
        return {
          DBInstanceArn: s.arnOf(i),
          DbiResourceId: i.resourceId,
          Region: s.identity.region,
          DBInstanceIdentifier: i.id,
          RestoreWindow: { EarliestTime: window.earliest, LatestTime: window.latest },
          AllocatedStorage: i.allocatedStorage,
          Status: 'active',
          Port: i.port,
          AvailabilityZone: i.availabilityZone,
          Engine: i.engine,
          EngineVersion: i.engineVersion,
          MasterUsername: i.masterUsername,
          Encrypted: i.storageEncrypted,
          KmsKeyId: i.kmsKeyId,
          BackupRetentionPeriod: i.backupRetentionPeriod,
          DBInstanceAutomatedBackupsArn: `arn:aws:rds:${s.identity.region}:${s.identity.accountId}:auto-backup:ab-${i.resourceId.slice(3).toLowerCase()}`,
        };
      }),
    ),
  };
}
