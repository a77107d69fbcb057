import { CreateDBSnapshotCommand } from '@aws-sdk/client-rds';
import {
  beginWait,
  completeStep,
  describeError,
  event,
  failStep,
  findSnapshot,
  isRdsError,
  isRetryable,
  markActed,
  REWIND_TAGS,
  shouldActAgain,
  StaleWriteError,
  type Probe,
  type RunRecord,
  type ServiceContext,
  type WaitingStep,
} from '@rewind/shared';

/**
 * The snapshot step: a new manual snapshot with a name unique to the run, tagged as Rewind's.
 * Earlier snapshots are never touched, so a failed snapshot never leaves a database without one.
 */

const FAILED_SNAPSHOT_STATUSES = new Set(['failed', 'error', 'incompatible-restore']);

async function callCreate(ctx: ServiceContext, run: RunRecord): Promise<void> {
  try {
    await ctx.rds.send(
      new CreateDBSnapshotCommand({
        DBSnapshotIdentifier: run.names.snapshot!,
        DBInstanceIdentifier: run.identifier,
        Tags: [
          { Key: REWIND_TAGS.createdBy, Value: 'rewind' },
          { Key: REWIND_TAGS.runId, Value: run.runId },
          { Key: REWIND_TAGS.sourceIdentifier, Value: run.identifier },
          { Key: REWIND_TAGS.purpose, Value: run.task },
        ],
      }),
    );
  } catch (err) {
    // The name is unique to this run: if it exists, an earlier call of ours created it.
    if (!isRdsError(err, 'DBSnapshotAlreadyExists')) throw err;
  }
  await markActed(ctx, (await ctx.store.getRun(run.runId)) ?? run, 'snapshot');
}

export async function startSnapshot(ctx: ServiceContext, run: RunRecord): Promise<void> {
  const waiting = await beginWait(ctx, run, {
    step: 'snapshot',
    resourceKind: 'snapshot',
    resourceName: run.names.snapshot!,
    target: 'available',
    deadlineSeconds: ctx.config.wait.deadlines.snapshot,
  });
  try {
    await callCreate(ctx, waiting);
  } catch (err) {
    if (err instanceof StaleWriteError) throw err; // lost a race: the inbox handler re-reads and retries
    if (isRetryable(err)) return;
    const latest = (await ctx.store.getRun(run.runId)) ?? waiting;
    await failStep(
      ctx,
      latest,
      'snapshot',
      `CreateDBSnapshot of ${run.identifier} failed: ${describeError(err)}`,
      (err as Error).name,
    );
  }
}

async function probeSnapshot(ctx: ServiceContext, run: RunRecord): Promise<Probe> {
  const name = run.names.snapshot!;
  const snap = await findSnapshot(ctx.rds, name);
  if (!snap) {
    if (run.expectation?.acted)
      return {
        state: 'failed',
        reason: `snapshot ${name} disappeared while being created`,
        errorCode: 'SnapshotMissing',
      };
    if (shouldActAgain(ctx, run)) await callCreate(ctx, run);
    return { state: 'waiting', status: 'not created yet' };
  }
  const status = snap.Status ?? 'unknown';
  if (status === 'available') return { state: 'done', data: { arn: snap.DBSnapshotArn ?? '' } };
  if (FAILED_SNAPSHOT_STATUSES.has(status)) {
    return { state: 'failed', reason: `snapshot ${name} ended in status ${status}`, errorCode: status };
  }
  return { state: 'waiting', status: `${status} ${snap.PercentProgress ?? 0}%` };
}

export const snapshotWait: WaitingStep = {
  step: 'snapshot',
  probe: (ctx, run) => probeSnapshot(ctx, run),
  complete: async (ctx, run, data) => {
    await completeStep(
      ctx,
      run,
      'snapshot',
      (block) =>
        event('SnapshotReady', {
          run: block,
          snapshotIdentifier: run.names.snapshot!,
          snapshotArn: data.arn ? String(data.arn) : undefined,
        }),
      { resources: { ...run.resources, snapshot: run.names.snapshot! } },
    );
  },
};
