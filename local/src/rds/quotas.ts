/**
 * Account quotas per region (CHAP_Limits): "Manual DB instance snapshots: 100" and "Manual DB cluster
 * snapshots: 100", both adjustable (`behaviour.manualSnapshotQuota` / `manualClusterSnapshotQuota`).
 * Automated snapshots do not count; every manual snapshot the account owns in the region does,
 * whatever its status (creating, copying, available, failed), until it is deleted. Exceeding it is
 * `SnapshotQuotaExceeded` (400), the wire code of both `SnapshotQuotaExceededFault` shapes.
 */
import { RdsError } from './errors';
import { xmlList, type XmlObject } from './protocol';
import type { RdsState } from './state';

function manualSnapshots(s: RdsState, kind: 'snapshot' | 'cluster-snapshot'): { used: number; max: number } {
  const cluster = kind === 'cluster-snapshot';
  const max = cluster ? s.behaviour.manualClusterSnapshotQuota : s.behaviour.manualSnapshotQuota;
  let used = 0;
  for (const snap of cluster ? s.clusterSnapshots.values() : s.snapshots.values())
    if (snap.snapshotType === 'manual') used++;
  return { used, max };
}

export function checkManualSnapshotQuota(s: RdsState, kind: 'snapshot' | 'cluster-snapshot'): void {
  const cluster = kind === 'cluster-snapshot';
  const { used: manual, max: quota } = manualSnapshots(s, kind);
  if (manual >= quota) {
    throw new RdsError(
      'SnapshotQuotaExceeded',
      `Cannot create more than ${quota} manual ${cluster ? 'cluster snapshots' : 'snapshots'}`,
    );
  }
}

/**
 * DescribeAccountAttributes: the account's quotas in the region with their usage (`AccountQuotaName`,
 * `Used`, `Max`), here the two the emulator enforces: `ManualSnapshots` and `ManualClusterSnapshots`.
 */
export function describeAccountAttributes(s: RdsState): XmlObject {
  const quotas = [
    { AccountQuotaName: 'ManualSnapshots', ...manualSnapshots(s, 'snapshot') },
    { AccountQuotaName: 'ManualClusterSnapshots', ...manualSnapshots(s, 'cluster-snapshot') },
  ];
  return {
    AccountQuotas: xmlList(
      'AccountQuota',
      quotas.map((q) => ({ AccountQuotaName: q.AccountQuotaName, Used: q.used, Max: q.max })),
    ),
  };
}
