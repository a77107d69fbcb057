import {
  describeError,
  isPermanentRdsError,
  isRdsError,
  SNAPSHOT_KINDS,
  type EventDetail,
  type EventInput,
  type EventName,
  type ServiceContext,
} from '@rewind/shared';
import type { ReplicationDeps } from './deps';
import { jobsOf, REPLICATION_TAGS, type DestinationJob } from './destinationJobs';

/**
 * One look at a destination job, and the end of a replication that failed: what every part of the
 * destination side shares.
 */

export type Stage = EventDetail<'ReplicationFailed'>['stage'];

export interface Look {
  ctx: ServiceContext;
  deps: ReplicationDeps;
  job: DestinationJob;
  /** Something is still under way: look again later. */
  pending: boolean;
}

export async function publish<N extends EventName>(ctx: ServiceContext, name: N, detail: EventInput<N>) {
  await ctx.publisher.publish(name, detail);
}

/** Runs `action` once per job (`JobStore.once`). */
export function once(l: Look, mark: string, action: () => Promise<void>): Promise<boolean> {
  return jobsOf(l.deps).once(l.job, mark, l.ctx.now().toISOString(), action);
}

/**
 * Ends the replication with `ReplicationFailed` (once): what this replication made and no longer needs
 * (its copy) is deleted first, and listed.
 */
export async function fail(
  l: Look,
  stage: Stage,
  reason: string,
  action: string,
  extra: { errorCode?: string; runId?: string; rolledBack?: boolean } = {},
): Promise<void> {
  const { ctx, deps, job } = l;
  await once(l, 'ended', async () => {
    const { cleanedUp, left } = await removeCopy(l);
    // A copy RDS refused to delete is said, with the command: nothing is left behind unknown.
    if (left) action = `${action}; ${left}`;
    ctx.log.warn('replication failed', { job: job.pk, stage, reason });
    await jobsOf(deps).set(job, {
      failure: {
        stage,
        reason,
        action,
        cleanedUp,
        errorCode: extra.errorCode,
        rolledBack: extra.rolledBack,
        at: ctx.now().toISOString(),
      },
    });
    await publish(ctx, 'ReplicationFailed', {
      replicationId: job.replicationId,
      policy: job.policy,
      account: deps.accountId,
      sourceAccount: job.sourceAccount,
      destinationAccount: deps.accountId,
      stage,
      reason,
      errorCode: extra.errorCode,
      runId: extra.runId ?? job.runId,
      rolledBack: extra.rolledBack,
      cleanedUp,
      action,
    });
  });
}

/**
 * Deletes this replication's copy (a half-made one is cancelled by its deletion): what was removed, or
 * what is left and how to remove it.
 */
async function removeCopy(l: Look): Promise<{ cleanedUp: string[]; left?: string }> {
  const { deps, job } = l;
  const api = SNAPSHOT_KINDS[job.kind];
  const rds = deps.rdsIn(job.region);
  const found = await api.find(rds, job.copyIdentifier);
  if (!found || found.status === 'deleting') return { cleanedUp: [] };
  if (found.tags[REPLICATION_TAGS.replicationId] !== job.replicationId) return { cleanedUp: [] };
  try {
    await api.delete(rds, job.copyIdentifier);
  } catch (err) {
    if (isRdsError(err, 'DBSnapshotNotFound') || isRdsError(err, 'DBClusterSnapshotNotFoundFault'))
      return { cleanedUp: [] };
    if (!isPermanentRdsError(err)) throw err;
    l.ctx.log.warn('the copy could not be deleted', { job: job.pk, error: describeError(err) });
    const command =
      job.kind === 'cluster'
        ? `aws rds delete-db-cluster-snapshot --db-cluster-snapshot-identifier ${job.copyIdentifier}`
        : `aws rds delete-db-snapshot --db-snapshot-identifier ${job.copyIdentifier}`;
    return {
      cleanedUp: [],
      left: `the copy ${job.copyIdentifier} could not be deleted (${describeError(err)}): ${command}`,
    };
  }
  return { cleanedUp: [`${api.noun} ${job.copyIdentifier} (the copy in account ${deps.accountId})`] };
}
