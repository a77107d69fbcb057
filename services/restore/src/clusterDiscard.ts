import { DeleteDBClusterCommand, DeleteDBInstanceCommand, ModifyDBClusterCommand } from '@aws-sdk/client-rds';
import {
  drivePhases,
  failRollback,
  findCluster,
  findInstance,
  startPhases,
  taggedByRun,
  type ClusterConfig,
  type ClusterMemberConfig,
  type PhaseOp,
  type Phases,
  type RunRecord,
  type ServiceContext,
  type WaitingStep,
  DELETE_BLOCKING_STATUSES,
  isAlreadyGoing,
} from '@rewind/shared';
import { clusterConfig } from './clusterRestore';
import { finishDiscard } from './discard';

/**
 * Compensation `discard` of a cluster run: delete what the restore created under the original names
 * (its members first: RDS deletes a cluster only once its instances are gone; then the cluster), so
 * the original cluster and its members can be renamed back. Only what this run created is deleted:
 * anything carrying an original resource id is left alone.
 */

function deleteMemberOp(ctx: ServiceContext, run: RunRecord, member: ClusterMemberConfig): PhaseOp {
  return {
    kind: 'instance',
    name: member.identifier,
    label: `delete the half-created member ${member.identifier}`,
    look: async () => {
      const db = await findInstance(ctx.rds, member.identifier);
      // Only a member this run created (never an original, never anybody else's).
      if (!db || db.DBClusterIdentifier !== run.identifier || !taggedByRun(db.TagList, run.runId))
        return { state: 'done' };
      const status = db.DBInstanceStatus ?? 'unknown';
      return DELETE_BLOCKING_STATUSES.has(status) ? { state: 'busy', status } : { state: 'todo' };
    },
    act: async () => {
      try {
        await ctx.rds.send(
          new DeleteDBInstanceCommand({
            DBInstanceIdentifier: member.identifier,
            SkipFinalSnapshot: true,
            DeleteAutomatedBackups: true,
          }),
        );
      } catch (err) {
        if (!isAlreadyGoing(err, 'DBInstanceNotFound')) throw err;
      }
    },
  };
}

async function restoredCluster(ctx: ServiceContext, run: RunRecord, config: ClusterConfig) {
  const c = await findCluster(ctx.rds, run.identifier);
  return c && c.DbClusterResourceId !== config.dbClusterResourceId && taggedByRun(c.TagList, run.runId)
    ? c
    : undefined;
}

function unprotectOp(ctx: ServiceContext, run: RunRecord, config: ClusterConfig): PhaseOp {
  return {
    kind: 'cluster',
    name: run.identifier,
    label: `lift deletion protection of the restored cluster ${run.identifier}`,
    look: async () => {
      const c = await restoredCluster(ctx, run, config);
      if (!c?.DeletionProtection) return { state: 'done' };
      return c.Status === 'available' ? { state: 'todo' } : { state: 'busy', status: c.Status ?? 'unknown' };
    },
    act: async () => {
      await ctx.rds.send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: run.identifier,
          DeletionProtection: false,
          ApplyImmediately: true,
        }),
      );
    },
  };
}

function deleteClusterOp(ctx: ServiceContext, run: RunRecord, config: ClusterConfig): PhaseOp {
  return {
    kind: 'cluster',
    name: run.identifier,
    label: `delete the half-restored cluster ${run.identifier}`,
    look: async () => {
      const c = await restoredCluster(ctx, run, config);
      if (!c) return { state: 'done' };
      const status = c.Status ?? 'unknown';
      return DELETE_BLOCKING_STATUSES.has(status) ? { state: 'busy', status } : { state: 'todo' };
    },
    act: async () => {
      try {
        await ctx.rds.send(
          new DeleteDBClusterCommand({ DBClusterIdentifier: run.identifier, SkipFinalSnapshot: true }),
        );
      } catch (err) {
        if (!isAlreadyGoing(err, 'DBClusterNotFoundFault')) throw err;
      }
    },
  };
}

function phasesFor(ctx: ServiceContext, run: RunRecord): Phases {
  const config = clusterConfig(run);
  return [
    config.members.map((m) => deleteMemberOp(ctx, run, m)),
    [unprotectOp(ctx, run, config)],
    [deleteClusterOp(ctx, run, config)],
  ];
}

function manualFix(run: RunRecord): string {
  const config = clusterConfig(run);
  return (
    `delete the half-restored members (${config.members.map((m) => `aws rds delete-db-instance --db-instance-identifier ${m.identifier}`).join('; ')}), ` +
    `then the cluster (aws rds delete-db-cluster --db-cluster-identifier ${run.identifier} --skip-final-snapshot), ` +
    `then rename the original cluster ${run.names.temporary} and its members back`
  );
}

const rollbackFailed = (ctx: ServiceContext, run: RunRecord, reason: string) =>
  failRollback(
    ctx,
    run,
    'discard',
    reason,
    `a half-restored cluster may still hold the name ${run.identifier}; the original is safe under ${run.names.temporary}`,
    manualFix(run),
  ).then(() => undefined);

export async function startClusterDiscard(ctx: ServiceContext, run: RunRecord): Promise<void> {
  const outcome = await startPhases(
    ctx,
    run,
    { step: 'discard', target: 'deleted', deadlineSeconds: ctx.config.wait.deadlines.rollback },
    phasesFor(ctx, run),
  );
  const latest = ('run' in outcome ? outcome.run : undefined) ?? (await ctx.store.getRun(run.runId)) ?? run;
  // Nothing was restored under the names: nothing to discard.
  if (outcome.state === 'complete') await finishDiscard(ctx, latest, null);
  if (outcome.state === 'failed') await rollbackFailed(ctx, latest, outcome.reason);
}

export const clusterDiscardWait: WaitingStep = {
  step: 'discard',
  probe: async (ctx, run) => {
    const outcome = await drivePhases(ctx, run, phasesFor(ctx, run));
    return outcome.state === 'complete' ? { state: 'done', data: { discarded: run.identifier } } : outcome;
  },
  complete: (ctx, run, data) => finishDiscard(ctx, run, String(data.discarded ?? run.identifier)),
  fail: rollbackFailed,
};
