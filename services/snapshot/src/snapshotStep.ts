import {
  actOrFail,
  beginWait,
  completeStep,
  describeError,
  event,
  failStep,
  isRdsError,
  markActed,
  REWIND_TAGS,
  shouldActAgain,
  type Probe,
  type RunRecord,
  type ServiceContext,
  type WaitingStep,
} from '@rewind/shared';

/**
 * The snapshot step, for either kind of snapshot: a new manual snapshot with a name unique to the run,
 * tagged as Rewind's. Earlier snapshots are never touched, so a failed snapshot never leaves a database
 * without one. `SnapshotKind` says how to create and describe it.
 */

export interface SnapshotKind {
  resourceKind: 'snapshot' | 'cluster-snapshot';
  /** "snapshot" / "cluster snapshot", for messages. */
  noun: string;
  /** The API call, for messages: "CreateDBSnapshot". */
  action: string;
  /** Error code of a create call for a name that exists (ours: an earlier call whose answer was lost). */
  alreadyExists: string;
  create(ctx: ServiceContext, run: RunRecord, tags: { Key: string; Value: string }[]): Promise<void>;
  find(
    ctx: ServiceContext,
    name: string,
  ): Promise<{ status: string; arn?: string; progress?: number } | undefined>;
}

const FAILED_SNAPSHOT_STATUSES = new Set(['failed', 'error', 'incompatible-restore']);

async function callCreate(ctx: ServiceContext, run: RunRecord, kind: SnapshotKind): Promise<void> {
  try {
    await kind.create(ctx, run, [
      { Key: REWIND_TAGS.createdBy, Value: 'rewind' },
      { Key: REWIND_TAGS.runId, Value: run.runId },
      { Key: REWIND_TAGS.sourceIdentifier, Value: run.identifier },
      { Key: REWIND_TAGS.purpose, Value: run.task },
    ]);
  } catch (err) {
    // The name is unique to this run: if it exists, an earlier call of ours created it.
    if (!isRdsError(err, kind.alreadyExists)) throw err;
  }
  await markActed(ctx, run, 'snapshot');
}

async function probe(ctx: ServiceContext, run: RunRecord, kind: SnapshotKind): Promise<Probe> {
  const name = run.names.snapshot!;
  const snap = await kind.find(ctx, name);
  if (!snap) {
    if (run.expectation?.acted) {
      return {
        state: 'failed',
        reason: `${kind.noun} ${name} disappeared while being created`,
        errorCode: 'SnapshotMissing',
      };
    }
    if (shouldActAgain(ctx, run)) await callCreate(ctx, run, kind);
    return { state: 'waiting', status: 'not created yet' };
  }
  if (snap.status === 'available') return { state: 'done', data: { arn: snap.arn ?? '' } };
  if (FAILED_SNAPSHOT_STATUSES.has(snap.status)) {
    return {
      state: 'failed',
      reason: `${kind.noun} ${name} ended in status ${snap.status}`,
      errorCode: snap.status,
    };
  }
  return { state: 'waiting', status: `${snap.status} ${snap.progress ?? 0}%` };
}

/** The step's start and its waiting step for one kind of snapshot. */
export function snapshotStep(kind: SnapshotKind): {
  start: (ctx: ServiceContext, run: RunRecord) => Promise<void>;
  wait: WaitingStep;
} {
  const start = async (ctx: ServiceContext, run: RunRecord): Promise<void> => {
    await beginWait(
      ctx,
      run,
      {
        step: 'snapshot',
        resourceKind: kind.resourceKind,
        resourceName: run.names.snapshot!,
        target: 'available',
        deadlineSeconds: ctx.config.wait.deadlines.snapshot,
      },
      {},
      (waiting) =>
        actOrFail(
          ctx,
          waiting,
          () => callCreate(ctx, waiting, kind),
          (latest, err) =>
            failStep(
              ctx,
              latest,
              'snapshot',
              `${kind.action} of ${run.identifier} failed: ${describeError(err)}`,
              (err as Error).name,
            ),
        ),
    );
  };
  const wait: WaitingStep = {
    step: 'snapshot',
    probe: (ctx, run) => probe(ctx, run, kind),
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
  return { start, wait };
}
