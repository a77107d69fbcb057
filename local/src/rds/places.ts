/**
 * Finding a snapshot wherever it lives: an identifier names one in the caller's account and region; an
 * ARN may name one in another region (the caller's own account) or another account (only when shared
 * with the caller's account, or public). Anything else is "not found", as RDS answers.
 */
import { requireSourceKey } from './encryption';
import { err } from './errors';
import type { DbClusterSnapshot, DbSnapshot } from './model';
import { parseRdsArn } from './naming';
import type { RdsState } from './state';

export interface Located<T> {
  /** The account and region that own it. */
  owner: RdsState;
  item: T;
  crossRegion: boolean;
  crossAccount: boolean;
}

type SnapshotKind = 'snapshot' | 'cluster-snapshot';
type SnapshotOf<K extends SnapshotKind> = K extends 'snapshot' ? DbSnapshot : DbClusterSnapshot;

/** True when `account` may see another account's snapshot. */
export function sharedWith(snap: { sharedWith: string[] }, account: string): boolean {
  return snap.sharedWith.includes(account) || snap.sharedWith.includes('all');
}

export function locateSnapshot<K extends SnapshotKind>(
  s: RdsState,
  ref: string,
  kind: K,
): Located<SnapshotOf<K>> {
  const notFound = () => (kind === 'snapshot' ? err.snapshotNotFound(ref) : err.clusterSnapshotNotFound(ref));
  const arn = parseRdsArn(ref);
  if (!arn || (arn.region === s.identity.region && arn.accountId === s.identity.accountId)) {
    const item = (kind === 'snapshot' ? s.snapshot(ref) : s.clusterSnapshot(ref)) as SnapshotOf<K>;
    return { owner: s, item, crossRegion: false, crossAccount: false };
  }
  if (arn.type !== kind) throw notFound();
  const owner = s.world.partition({ accountId: arn.accountId, region: arn.region });
  const store = (kind === 'snapshot' ? owner.snapshots : owner.clusterSnapshots) as Map<
    string,
    SnapshotOf<K>
  >;
  const item = store.get(arn.id.toLowerCase());
  const crossAccount = arn.accountId !== s.identity.accountId;
  if (!item || (crossAccount && !sharedWith(item, s.identity.accountId))) throw notFound();
  return { owner, item, crossRegion: arn.region !== s.identity.region, crossAccount };
}

/**
 * The snapshot a restore names: the caller's own (identifier or ARN), or one shared with it (ARN), in
 * the caller's region. An instance cannot be restored from a snapshot that is both shared and
 * encrypted (copy it first); a cluster can, with access to its key.
 */
export function restorableSnapshot<K extends SnapshotKind>(s: RdsState, ref: string, kind: K): SnapshotOf<K> {
  const found = locateSnapshot(s, ref, kind);
  if (found.crossRegion) {
    throw kind === 'snapshot' ? err.snapshotNotFound(ref) : err.clusterSnapshotNotFound(ref);
  }
  const encrypted = found.item.source.storageEncrypted;
  if (found.crossAccount && encrypted && kind === 'snapshot') {
    throw err.combination(
      `You can't restore a DB instance from ${ref}: it is shared and encrypted. Copy it into this account with CopyDBSnapshot and a KmsKeyId of yours, then restore from the copy.`,
    );
  }
  if (encrypted) requireSourceKey(s, found.item.source.kmsKeyId);
  return found.item;
}
