import { DescribeDBClusterSnapshotsCommand, type DBCluster, type DBInstance } from '@aws-sdk/client-rds';
import {
  captureClusterConfig,
  findCluster,
  findClusterSnapshot,
  findInstance,
  isTrapheusSnapshot,
  traceRunTag,
  trapheusSnapshotIdentifier,
  type ClusterConfig,
  type EventDetail,
  type ServiceContext,
} from '@rewind/shared';
import { checkOptedIn } from './optIn';
import { Rejection } from './rejection';
import { rejectClusterWithReplicas } from './replicas';

type Request = EventDetail<'RestoreRequested'>;

/**
 * Intake of a cluster request: the cluster exists, is opted in and available with every member
 * available; its configuration and every member's are captured.
 */
export async function inspectCluster(ctx: ServiceContext, req: Request): Promise<ClusterConfig> {
  const cluster = await findCluster(ctx.rds, req.identifier);
  if (!cluster) {
    const instance = await findInstance(ctx.rds, req.identifier).catch(() => undefined);
    throw new Rejection(
      'unknown-database',
      `no Aurora cluster named ${req.identifier} in this account and region` +
        (instance
          ? `; ${req.identifier} is a DB instance: send "isCluster": false`
          : '; check the identifier and the region'),
    );
  }
  checkEligible(ctx, cluster, req.identifier);
  rejectClusterWithReplicas(cluster, req.identifier);
  const members: DBInstance[] = [];
  for (const m of cluster.DBClusterMembers ?? []) {
    const db = await findInstance(ctx.rds, m.DBInstanceIdentifier!);
    if (!db)
      throw new Rejection(
        'not-available',
        `member ${m.DBInstanceIdentifier} of ${req.identifier} is not found; retry later`,
      );
    if (db.DBInstanceStatus !== 'available') {
      throw new Rejection(
        'not-available',
        `member ${m.DBInstanceIdentifier} of ${req.identifier} is ${db.DBInstanceStatus}; Rewind starts only when every member is available`,
      );
    }
    members.push(db);
  }
  // Each member is renamed and deleted under its own tags: every one must opt in too.
  checkOptedIn(
    members.map((m) => ({
      what: `member ${m.DBInstanceIdentifier}`,
      identifier: m.DBInstanceIdentifier!,
      arn: m.DBInstanceArn,
      tags: m.TagList,
    })),
    ctx.config.optIn,
    req.identifier,
  );
  return captureClusterConfig(cluster, members);
}

function checkEligible(ctx: ServiceContext, cluster: DBCluster, identifier: string) {
  checkOptedIn(
    [{ what: `cluster ${identifier}`, identifier, arn: cluster.DBClusterArn, tags: cluster.TagList }],
    ctx.config.optIn,
    identifier,
  );
  if (cluster.Status !== 'available') {
    throw new Rejection(
      'not-available',
      `${identifier} is ${cluster.Status}; Rewind starts only on an available cluster. Retry when it is available`,
    );
  }
  if (cluster.ReplicationSourceIdentifier) {
    throw new Rejection(
      'unsupported',
      `${identifier} replicates from ${cluster.ReplicationSourceIdentifier}; restoring it in place would detach it`,
    );
  }
}

/** db_restore of a cluster: the given cluster snapshot, else the newest Rewind one, else `<identifier>-snapshot`. */
export async function resolveClusterSnapshot(ctx: ServiceContext, req: Request): Promise<string> {
  if (req.snapshotIdentifier) {
    const snap = await findClusterSnapshot(ctx.rds, req.snapshotIdentifier);
    if (!snap) {
      throw new Rejection(
        'snapshot-not-found',
        `cluster snapshot ${req.snapshotIdentifier} does not exist in this account and region; check the name (rewind snapshots are named <identifier>-rw<tag>-snapshot-<time>)`,
      );
    }
    if (snap.Status !== 'available') {
      throw new Rejection(
        'not-available',
        `cluster snapshot ${req.snapshotIdentifier} is ${snap.Status}; retry when it is available`,
      );
    }
    return req.snapshotIdentifier;
  }
  const out = await ctx.rds.send(
    new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: req.identifier, SnapshotType: 'manual' }),
  );
  const available = (out.DBClusterSnapshots ?? []).filter((s) => s.Status === 'available');
  const ours = available
    .filter((s) => traceRunTag(s.DBClusterSnapshotIdentifier ?? '')?.role === 'snapshot')
    .sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0));
  if (ours[0]?.DBClusterSnapshotIdentifier) return ours[0].DBClusterSnapshotIdentifier;
  const legacy = available.find((s) =>
    isTrapheusSnapshot(s.DBClusterSnapshotIdentifier ?? '', req.identifier),
  );
  if (legacy?.DBClusterSnapshotIdentifier) return legacy.DBClusterSnapshotIdentifier;
  const named = await findClusterSnapshot(ctx.rds, trapheusSnapshotIdentifier(req.identifier));
  if (named?.Status === 'available') return named.DBClusterSnapshotIdentifier!;
  throw new Rejection(
    'snapshot-not-found',
    `no cluster snapshot to restore ${req.identifier} from: no available Rewind snapshot of it and no ${trapheusSnapshotIdentifier(req.identifier)}; ` +
      `pass "snapshotIdentifier", or run the create_snapshot task`,
  );
}
