/**
 * Account quotas per region (CHAP_Limits): "Manual DB instance snapshots: 100" and "Manual DB cluster
 * snapshots: 100", both adjustable (`behaviour.manualSnapshotQuota` / `manualClusterSnapshotQuota`).
 * Automated snapshots do not count; every manual snapshot the account owns in the region does,
 * whatever its status (creating, copying, available, failed), until it is deleted. Exceeding it is
 * `SnapshotQuotaExceeded` (400), the wire code of both `SnapshotQuotaExceededFault` shapes.
 */
import { RdsError } from './errors';
import type { RdsState } from './state';

export function checkManualSnapshotQuota(s: RdsState, kind: 'snapshot' | 'cluster-snapshot'): void {
  const cluster = kind === 'cluster-snapshot';
  const quota = cluster ? s.behaviour.manualClusterSnapshotQuota : s.behaviour.manualSnapshotQuota;
  const owned = cluster ? s.clusterSnapshots.values() : s.snapshots.values();
  let manual = 0;
  for (const snap of owned) if (snap.snapshotType === 'manual') manual++;
  if (manual >= quota) {
    throw new RdsError(
      'SnapshotQuotaExceeded',
      `Cannot create more than ${quota} manual ${cluster ? 'cluster snapshots' : 'snapshots'}`,
    );
  }
}
