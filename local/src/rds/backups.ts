/**
 * Daily automated backups as the cloud clock passes: each instance (not a cluster member) and each
 * cluster with `BackupRetentionPeriod` > 0 gets an automated snapshot (`rds:<id>-yyyy-mm-dd-hh-mm`,
 * SnapshotType `automated`) at the start of its `PreferredBackupWindow` (UTC) every day, and its automated
 * snapshots older than the retention period are removed ("at the end of their retention period", RDS
 * User Guide). Automated snapshots do not count toward the manual snapshot quota and cannot be deleted
 * with DeleteDBSnapshot / DeleteDBClusterSnapshot. A database that is not `available` (or in
 * `storage-optimization`) at its window skips that day. No instance status change and no event
 * accompany these backups here (the real service may show `backing-up` and RDS-EVENT-0001/0002).
 */
import { startClusterSnapshot } from './clusterSnapshots';
import { defineTask } from './lifecycle';
import type { DbCluster, DbInstance } from './model';
import { automatedSnapshotId, startSnapshot } from './snapshots';
import { RdsState } from './state';

const DAY_MS = 86_400_000;

/** The next start of a `hh:mm-hh:mm` window (UTC) strictly after `now`. */
function nextWindowStart(window: string, now: number): number {
  const m = /^(\d{2}):(\d{2})-/.exec(window);
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : 3 * 60;
  const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
  const today = dayStart + minutes * 60_000;
  return today > now ? today : today + DAY_MS;
}

type Backed = DbInstance | DbCluster;

function backedUp(res: Backed): boolean {
  return res.backupRetentionPeriod > 0 && !(res.kind === 'instance' && res.clusterId !== undefined);
}

/** Sets the database's next daily backup, unless one is set or it keeps no backups. */
function armDailyBackup(s: RdsState, res: Backed): void {
  if (s.dailyBackups.has(res.key) || !backedUp(res)) return;
  s.dailyBackups.add(res.key);
  s.sched.taskAt(nextWindowStart(res.preferredBackupWindow, s.clock.now()), res, dailyBackup(res));
}

const dailyBackup = defineTask('backup.daily', (s: RdsState, res: Backed) => {
  s.dailyBackups.delete(res.key);
  const current = res.kind === 'instance' ? s.instances.get(res.id) : s.clusters.get(res.id);
  if (current !== res || !backedUp(res)) return;
  if (['available', 'storage-optimization'].includes(res.status)) {
    const id = automatedSnapshotId(res.id, s.clock.date());
    if (res.kind === 'instance' && !s.snapshots.has(id))
      startSnapshot(s, res, { id, type: 'automated', tags: [] });
    if (res.kind === 'cluster' && !s.clusterSnapshots.has(id))
      startClusterSnapshot(s, res, { id, type: 'automated', tags: [] });
  }
  expireAutomated(s, res);
  armDailyBackup(s, res);
});

/** Removes the database's automated snapshots older than its retention period. */
function expireAutomated(s: RdsState, res: Backed): void {
  const cutoff = s.clock.now() - res.backupRetentionPeriod * DAY_MS;
  const store = res.kind === 'instance' ? s.snapshots : s.clusterSnapshots;
  for (const snap of [...store.values()]) {
    if (snap.snapshotType !== 'automated' || snap.createTime.getTime() > cutoff) continue;
    const mine =
      snap.kind === 'snapshot'
        ? res.kind === 'instance' && snap.dbiResourceId === res.resourceId
        : res.kind === 'cluster' && snap.clusterResourceId === res.resourceId;
    if (!mine || !['available', 'failed'].includes(snap.status)) continue;
    store.delete(snap.id);
    s.setStatus(snap, 'deleted', 'automated backup retention period ended');
  }
}

RdsState.onAvailable.push((s, res) => {
  if (res.kind === 'instance' || res.kind === 'cluster') armDailyBackup(s, res);
});
