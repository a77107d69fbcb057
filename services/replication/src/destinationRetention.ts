import {
  describeError,
  isPermanentRdsError,
  isRdsError,
  planRetention,
  REWIND_TAGS,
  snapshotsInUse,
  SNAPSHOT_KINDS,
} from '@rewind/shared';
import { COPY_PURPOSE, jobsOf, REPLICATION_TAGS } from './destinationJobs';
import type { Look } from './destinationLook';

/**
 * Retention of the policy's copies in this account (`destination.retention`): only copies this service
 * made for the policy (its tags), never one being copied, one a run in progress restores from, nor the
 * copy this replication just restored from (the newest). A copy that cannot be deleted is said in the
 * completion's warnings and tried again by the next replication.
 */
export async function expireCopies(l: Look): Promise<void> {
  const { ctx, deps, job } = l;
  const api = SNAPSHOT_KINDS[job.kind];
  const rds = deps.rdsIn(job.region);
  const ours = (await api.listManual(rds)).filter(
    (s) =>
      s.tags[REWIND_TAGS.createdBy] === 'rewind' &&
      s.tags[REWIND_TAGS.purpose] === COPY_PURPOSE &&
      s.tags[REPLICATION_TAGS.policy] === job.policy,
  );
  const inUse = await snapshotsInUse(ctx.store);
  inUse.set(job.copyIdentifier, `restored from by replication ${job.replicationId}`);
  const plan = planRetention(
    ours.map((s) => ({
      snapshotIdentifier: s.snapshotIdentifier,
      status: s.status,
      createdAt: s.createTime ?? ctx.now(),
    })),
    job.destination.retention,
    ctx.now(),
    inUse,
  );
  const warnings: string[] = [];
  for (const d of plan.delete) {
    try {
      await api.delete(rds, d.snapshotIdentifier);
    } catch (err) {
      if (isRdsError(err, 'DBSnapshotNotFound') || isRdsError(err, 'DBClusterSnapshotNotFoundFault'))
        continue;
      if (!isPermanentRdsError(err)) throw err;
      warnings.push(`copy ${d.snapshotIdentifier} could not be deleted: ${describeError(err)}`);
    }
  }
  ctx.log.info('replication copies expired', {
    policy: job.policy,
    deleted: plan.delete.length - warnings.length,
    kept: plan.keep.length,
  });
  if (warnings.length) await jobsOf(deps).set(job, { warnings: [...(job.warnings ?? []), ...warnings] });
}
