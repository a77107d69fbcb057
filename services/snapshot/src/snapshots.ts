import { CreateDBClusterSnapshotCommand, CreateDBSnapshotCommand } from '@aws-sdk/client-rds';
import {
  completeStep,
  defineStep,
  event,
  findClusterSnapshot,
  findSnapshot,
  isRdsError,
  REWIND_TAGS,
  type Kind,
  type PhaseOp,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';

/**
 * The snapshot step: a new manual snapshot (a DB snapshot of an instance, a cluster snapshot of a
 * cluster) with a name unique to the run, tagged as Rewind's. Earlier snapshots are never touched, so a
 * failed snapshot never leaves a database without one. One phase of one operation; RDS-EVENT-0040/0042
 * (instance) or 0074/0075 (cluster), else the deadline checks, trigger the looks.
 */

interface Found {
  status: string;
  arn?: string;
  progress?: number;
}

/** How each kind of database is snapshotted. */
interface SnapshotApi {
  resourceKind: 'snapshot' | 'cluster-snapshot';
  noun: string;
  action: string;
  /** Error code of a create call for a name that exists (ours: an earlier call whose answer was lost). */
  alreadyExists: string;
  create(ctx: ServiceContext, run: RunRecord, tags: { Key: string; Value: string }[]): Promise<unknown>;
  find(ctx: ServiceContext, name: string): Promise<Found | undefined>;
}

const API: Record<Kind, SnapshotApi> = {
  instance: {
    resourceKind: 'snapshot',
    noun: 'snapshot',
    action: 'CreateDBSnapshot',
    alreadyExists: 'DBSnapshotAlreadyExists',
    create: (ctx, run, tags) =>
      ctx.rds.send(
        new CreateDBSnapshotCommand({
          DBSnapshotIdentifier: run.names.snapshot!,
          DBInstanceIdentifier: run.identifier,
          Tags: tags,
        }),
      ),
    find: async (ctx, name) => {
      const s = await findSnapshot(ctx.rds, name);
      return s && { status: s.Status ?? 'unknown', arn: s.DBSnapshotArn, progress: s.PercentProgress };
    },
  },
  cluster: {
    resourceKind: 'cluster-snapshot',
    noun: 'cluster snapshot',
    action: 'CreateDBClusterSnapshot',
    alreadyExists: 'DBClusterSnapshotAlreadyExistsFault',
    create: (ctx, run, tags) =>
      ctx.rds.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterSnapshotIdentifier: run.names.snapshot!,
          DBClusterIdentifier: run.identifier,
          Tags: tags,
        }),
      ),
    find: async (ctx, name) => {
      const s = await findClusterSnapshot(ctx.rds, name);
      return s && { status: s.Status ?? 'unknown', arn: s.DBClusterSnapshotArn, progress: s.PercentProgress };
    },
  },
};

const FAILED_SNAPSHOT_STATUSES = new Set(['failed', 'error', 'incompatible-restore']);

function createSnapshot(ctx: ServiceContext, run: RunRecord): PhaseOp {
  const api = API[run.kind];
  const name = run.names.snapshot!;
  return {
    kind: api.resourceKind,
    name,
    label: `${api.action} ${name} of ${run.identifier}`,
    look: async () => {
      const snap = await api.find(ctx, name);
      if (!snap) {
        return run.expectation?.acted
          ? {
              state: 'failed',
              reason: `${api.noun} ${name} disappeared while being created`,
              errorCode: 'SnapshotMissing',
            }
          : { state: 'todo' };
      }
      if (snap.status === 'available') return { state: 'done', data: { arn: snap.arn ?? '' } };
      if (FAILED_SNAPSHOT_STATUSES.has(snap.status)) {
        return {
          state: 'failed',
          reason: `${api.noun} ${name} ended in status ${snap.status}`,
          errorCode: snap.status,
        };
      }
      return { state: 'busy', status: `${snap.status} ${snap.progress ?? 0}%` };
    },
    act: async () => {
      try {
        await api.create(ctx, run, [
          { Key: REWIND_TAGS.createdBy, Value: 'rewind' },
          { Key: REWIND_TAGS.runId, Value: run.runId },
          { Key: REWIND_TAGS.sourceIdentifier, Value: run.identifier },
          { Key: REWIND_TAGS.purpose, Value: run.task },
        ]);
      } catch (err) {
        // The name is unique to this run: if it exists, an earlier call of ours created it.
        if (!isRdsError(err, api.alreadyExists)) throw err;
      }
    },
  };
}

export const snapshot = defineStep({
  step: 'snapshot',
  role: 'forward',
  target: 'available',
  deadlineSeconds: (ctx) => ctx.config.wait.deadlines.snapshot,
  phases: (ctx, run) => [[createSnapshot(ctx, run)]],
  complete: (ctx, run, data) =>
    completeStep(
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
    ),
});

export const startSnapshot = snapshot.start;
export const snapshotWait = snapshot.wait;
