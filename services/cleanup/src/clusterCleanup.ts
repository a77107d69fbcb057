import { DeleteDBClusterCommand, DeleteDBInstanceCommand, ModifyDBClusterCommand } from '@aws-sdk/client-rds';
import {
  derivedIdentifier,
  drivePhases,
  finalSnapshotIdentifier,
  findCluster,
  findInstance,
  startPhases,
  type PhaseOp,
  type Phases,
  type RunRecord,
  type ServiceContext,
  type WaitingStep,
  DELETE_BLOCKING_STATUSES,
  isAlreadyGoing,
  clusterConfigOf,
} from '@rewind/shared';
import { completeCleanup, keepFinalSnapshot } from './cleanup';
import { replicatedSourceWarning } from './replicaGuard';

/**
 * The cleanup step of a cluster run, once the restored cluster is verified: delete the set-aside
 * members, then lift deletion protection of the set-aside cluster and delete it, keeping a final
 * cluster snapshot unless the request or the deployment says otherwise. Only the originals recorded
 * at intake are deleted. A deletion that fails leaves the restore in place: the run completes with a
 * warning saying what remains and how to remove it.
 */

const config = (run: RunRecord) => clusterConfigOf(run);
const memberTemp = (run: RunRecord, member: string) => derivedIdentifier(member, run.runId, 'old');
function removalHint(run: RunRecord): string {
  const temp = run.names.temporary!;
  const members = config(run).members.map((m) => memberTemp(run, m.identifier));
  return (
    `the set-aside original cluster ${temp} (members ${members.join(', ') || 'none'}) remains; remove it when you no longer need it: ` +
    members.map((m) => `aws rds delete-db-instance --db-instance-identifier ${m} && `).join('') +
    `aws rds modify-db-cluster --db-cluster-identifier ${temp} --no-deletion-protection --apply-immediately && ` +
    `aws rds delete-db-cluster --db-cluster-identifier ${temp} --final-db-snapshot-identifier ${finalSnapshotIdentifier(run.identifier, run.runId)}`
  );
}

async function setAsideCluster(ctx: ServiceContext, run: RunRecord) {
  const c = await findCluster(ctx.rds, run.names.temporary!);
  return c && c.DbClusterResourceId === config(run).dbClusterResourceId ? c : undefined;
}

function phasesFor(ctx: ServiceContext, run: RunRecord): Phases {
  const temp = run.names.temporary!;
  const members: PhaseOp[] = config(run).members.map((m) => {
    const name = memberTemp(run, m.identifier);
    return {
      kind: 'instance',
      name,
      label: `delete the set-aside member ${name}`,
      look: async () => {
        const db = await findInstance(ctx.rds, name);
        // Never delete anything not recorded in the run.
        if (!db || db.DbiResourceId !== m.dbiResourceId) return { state: 'done' };
        const status = db.DBInstanceStatus ?? 'unknown';
        return DELETE_BLOCKING_STATUSES.has(status) ? { state: 'busy', status } : { state: 'todo' };
      },
      act: async () => {
        try {
          await ctx.rds.send(
            new DeleteDBInstanceCommand({ DBInstanceIdentifier: name, SkipFinalSnapshot: true }),
          );
        } catch (err) {
          if (!isAlreadyGoing(err, 'DBInstanceNotFound')) throw err;
        }
      },
    };
  });
  const unprotect: PhaseOp = {
    kind: 'cluster',
    name: temp,
    label: `lift deletion protection of the set-aside cluster ${temp}`,
    look: async () => {
      const c = await setAsideCluster(ctx, run);
      if (!c?.DeletionProtection) return { state: 'done' };
      return c.Status === 'available' ? { state: 'todo' } : { state: 'busy', status: c.Status ?? 'unknown' };
    },
    act: async () => {
      await ctx.rds.send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: temp,
          DeletionProtection: false,
          ApplyImmediately: true,
        }),
      );
    },
  };
  const finalSnapshot = run.names.finalSnapshot;
  const remove: PhaseOp = {
    kind: 'cluster',
    name: temp,
    label: `delete the set-aside cluster ${temp}`,
    look: async () => {
      const c = await setAsideCluster(ctx, run);
      if (!c) return { state: 'done' };
      const status = c.Status ?? 'unknown';
      return DELETE_BLOCKING_STATUSES.has(status) ? { state: 'busy', status } : { state: 'todo' };
    },
    act: async () => {
      try {
        await ctx.rds.send(
          new DeleteDBClusterCommand({
            DBClusterIdentifier: temp,
            ...(finalSnapshot ? { FinalDBSnapshotIdentifier: finalSnapshot } : { SkipFinalSnapshot: true }),
          }),
        );
      } catch (err) {
        if (!isAlreadyGoing(err, 'DBClusterNotFoundFault')) throw err;
      }
    },
  };
  return [members, [unprotect], [remove]];
}

export async function startClusterCleanup(ctx: ServiceContext, run: RunRecord): Promise<void> {
  const temp = run.names.temporary!;
  if (!run.resources.restored) {
    await completeCleanup(
      ctx,
      run,
      false,
      `cleanup skipped: the restore of ${run.identifier} is not recorded as verified; ${removalHint(run)}`,
    );
    return;
  }
  const c = await findCluster(ctx.rds, temp);
  if (!c) {
    await completeCleanup(
      ctx,
      run,
      false,
      `the set-aside original cluster ${temp} was not found; it may have been deleted by hand`,
    );
    return;
  }
  if (c.DbClusterResourceId !== config(run).dbClusterResourceId) {
    await completeCleanup(
      ctx,
      run,
      false,
      `${temp} is not the original cluster recorded by this run (${c.DbClusterResourceId}); left untouched`,
    );
    return;
  }
  const replicated = replicatedSourceWarning(temp, c);
  if (replicated) return completeCleanup(ctx, run, false, `${replicated}; ${removalHint(run)}`);
  const names = keepFinalSnapshot(ctx, run)
    ? { ...run.names, finalSnapshot: finalSnapshotIdentifier(run.identifier, run.runId, ctx.now()) }
    : run.names;
  const withNames = { ...run, names };
  const outcome = await startPhases(
    ctx,
    run,
    { step: 'cleanup', target: 'deleted', deadlineSeconds: ctx.config.wait.deadlines.delete },
    phasesFor(ctx, withNames),
    { names },
  );
  if (outcome.state === 'failed') {
    const latest = outcome.run ?? (await ctx.store.getRun(run.runId)) ?? withNames;
    await completeCleanup(ctx, latest, false, `${outcome.reason}; ${removalHint(run)}`);
  }
}

export const clusterCleanupWait: WaitingStep = {
  step: 'cleanup',
  probe: async (ctx, run) => {
    const outcome = await drivePhases(ctx, run, phasesFor(ctx, run));
    return outcome.state === 'complete' ? { state: 'done' } : outcome;
  },
  complete: (ctx, run) => completeCleanup(ctx, run, true),
  fail: (ctx, run, reason) => completeCleanup(ctx, run, false, `${reason}; ${removalHint(run)}`),
};
