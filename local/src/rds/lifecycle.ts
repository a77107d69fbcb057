/** Durations of RDS operations (milliseconds of simulated time) and the timer scheduler. */

export interface Durations {
  /** CreateDBInstance: `creating`. */
  instanceCreate: number;
  /** Backup right after creation when BackupRetentionPeriod > 0: `backing-up`. */
  instanceInitialBackup: number;
  /** RestoreDBInstanceFromDBSnapshot: `creating`. */
  instanceRestore: number;
  /** Baseline backup after a restore with backups on: `backing-up` (can be hours in reality). */
  baselineBackup: number;
  /** RestoreDBInstanceToPointInTime: `creating`. */
  pointInTimeRestore: number;
  /** ModifyDBInstance applied immediately: `modifying`. */
  instanceModify: number;
  /** Rename: `renaming`. */
  renameRenaming: number;
  /** Rename: `available` flash before the reboot (0 = no flash). */
  renameAvailableFlash: number;
  /** Rename: `rebooting`. */
  renameRebooting: number;
  /** RebootDBInstance: `rebooting`. */
  reboot: number;
  /** DeleteDBInstance: `deleting` (plus snapshotCreate when a final snapshot is taken). */
  instanceDelete: number;
  /** CreateDBSnapshot: `creating` (PercentProgress rises meanwhile). */
  snapshotCreate: number;
  /** CopyDBSnapshot / CopyDBClusterSnapshot in one region: `creating`. */
  snapshotCopy: number;
  /** A cross-region copy waits in `pending` (RDS queues them, showing no progress)... */
  snapshotCopyQueued: number;
  /** ...then `copying` ("can take hours"; the first copy is always full). */
  snapshotCopyCrossRegion: number;
  /** CreateDBInstanceReadReplica: replica `creating` (cross-region "can take hours"). */
  replicaCreate: number;
  /** DeleteDBSnapshot: `deleting`. */
  snapshotDelete: number;
  clusterCreate: number;
  /** RestoreDBClusterFromSnapshot: `creating` (30 min and more). */
  clusterRestore: number;
  clusterModify: number;
  /** ModifyDBCluster with NewDBClusterIdentifier: `renaming`. */
  clusterRename: number;
  clusterDelete: number;
  clusterSnapshotCreate: number;
  clusterSnapshotDelete: number;
  /** CreateDBInstance into a cluster: `creating`. */
  clusterInstanceCreate: number;
}

const MIN = 60_000;

const REALISTIC: Durations = {
  instanceCreate: 8 * MIN,
  instanceInitialBackup: 2 * MIN,
  instanceRestore: 10 * MIN,
  baselineBackup: 15 * MIN,
  pointInTimeRestore: 12 * MIN,
  instanceModify: 1 * MIN,
  renameRenaming: 1 * MIN,
  renameAvailableFlash: 5_000,
  renameRebooting: 2 * MIN,
  reboot: 2 * MIN,
  instanceDelete: 5 * MIN,
  snapshotCreate: 5 * MIN,
  snapshotCopy: 6 * MIN,
  snapshotCopyQueued: 2 * MIN,
  snapshotCopyCrossRegion: 45 * MIN,
  replicaCreate: 40 * MIN,
  snapshotDelete: 30_000,
  clusterCreate: 5 * MIN,
  clusterRestore: 30 * MIN,
  clusterModify: 1 * MIN,
  clusterRename: 2 * MIN,
  clusterDelete: 5 * MIN,
  clusterSnapshotCreate: 5 * MIN,
  clusterSnapshotDelete: 30_000,
  clusterInstanceCreate: 10 * MIN,
};

/** Every transition still happens (and still in order), just fast. */
const INSTANT: Durations = Object.fromEntries(
  Object.entries(REALISTIC).map(([k, v]) => [k, k === 'renameAvailableFlash' ? 5 : v > 0 ? 20 : 0]),
) as unknown as Durations;

export function resolveDurations(
  profile: 'realistic' | 'instant' | Partial<Durations> | undefined,
): Durations {
  if (profile === undefined || profile === 'realistic') return { ...REALISTIC };
  if (profile === 'instant') return { ...INSTANT };
  return { ...REALISTIC, ...profile };
}

/** setTimeout with a time scale, owner-based cancellation, and close(). */
export class Scheduler {
  private readonly timers = new Map<NodeJS.Timeout, object | undefined>();

  constructor(public timeScale: number) {}

  /** Runs fn after `ms` simulated milliseconds. */
  after(ms: number, fn: () => void, owner?: object): void {
    this.afterReal(ms * this.timeScale, fn, owner);
  }

  /** Runs fn after `ms` real milliseconds. */
  afterReal(ms: number, fn: () => void, owner?: object): void {
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        fn();
      },
      Math.max(0, ms),
    );
    this.timers.set(t, owner);
  }

  /** Cancels the pending timers of one resource. */
  cancel(owner: object): void {
    for (const [t, o] of this.timers) {
      if (o === owner) {
        clearTimeout(t);
        this.timers.delete(t);
      }
    }
  }

  pending(): number {
    return this.timers.size;
  }

  close(): void {
    for (const t of this.timers.keys()) clearTimeout(t);
    this.timers.clear();
  }
}
