import type { DBInstance } from '@aws-sdk/client-rds';
import {
  actOrFail,
  beginWait,
  completeStep,
  deleteInstance,
  describeError,
  event,
  finalSnapshotIdentifier,
  findInstance,
  markActed,
  shouldActAgain,
  type Probe,
  type RunRecord,
  type ServiceContext,
  type WaitingStep,
  instanceConfigOf,
} from '@rewind/shared';
import { replicatedSourceWarning } from './replicaGuard';

/**
 * The cleanup step: delete the set-aside original once the restored database is verified, keeping a
 * final snapshot unless the request or the deployment says otherwise. Deletion protection is lifted on
 * the set-aside copy just before deleting it. If the deletion fails, the restore is NOT rolled back:
 * the run completes with a warning saying which copy remains and how to remove it.
 */

/** Whether the set-aside original is deleted with a final snapshot (request, else deployment policy). */
export function keepFinalSnapshot(ctx: ServiceContext, run: RunRecord): boolean {
  const requested = (run.request as { finalSnapshot?: boolean }).finalSnapshot;
  return requested ?? ctx.config.finalSnapshot === 'always';
}

function removalHint(run: RunRecord): string {
  const temp = run.names.temporary!;
  return (
    `the set-aside original ${temp} remains; remove it when you no longer need it: ` +
    `aws rds modify-db-instance --db-instance-identifier ${temp} --no-deletion-protection --apply-immediately && ` +
    `aws rds delete-db-instance --db-instance-identifier ${temp} --final-db-snapshot-identifier ${temp}-final`
  );
}

/** CleanupCompleted (with a warning when the set-aside original remains), and the run completes. */
export async function completeCleanup(
  ctx: ServiceContext,
  run: RunRecord,
  deleted: boolean,
  warning?: string,
) {
  const finalSnapshot = deleted && run.names.finalSnapshot ? run.names.finalSnapshot : null;
  await completeStep(
    ctx,
    run,
    'cleanup',
    (block) =>
      event('CleanupCompleted', {
        run: block,
        deletedIdentifier: deleted ? run.names.temporary! : null,
        finalSnapshotIdentifier: finalSnapshot,
        warning,
      }),
    { warnings: warning ? [...run.warnings, warning] : run.warnings },
  );
}

/** `db`: the set-aside copy as just described (saves a describe call). */
async function callDelete(ctx: ServiceContext, run: RunRecord, db: DBInstance | undefined): Promise<void> {
  if (!db) return;
  await deleteInstance(ctx.rds, run.names.temporary!, db, {
    finalSnapshot: run.names.finalSnapshot,
    deleteAutomatedBackups: false,
  });
  await markActed(ctx, run, 'cleanup');
}

export async function startCleanup(ctx: ServiceContext, run: RunRecord): Promise<void> {
  const temp = run.names.temporary!;
  const original = instanceConfigOf(run).dbiResourceId;
  if (!run.resources.restored) {
    await completeCleanup(
      ctx,
      run,
      false,
      `cleanup skipped: the restore of ${run.identifier} is not recorded as verified; ${removalHint(run)}`,
    );
    return;
  }
  const db = await findInstance(ctx.rds, temp);
  if (!db) {
    await completeCleanup(
      ctx,
      run,
      false,
      `the set-aside original ${temp} was not found; it may have been deleted by hand`,
    );
    return;
  }
  if (db.DbiResourceId !== original) {
    // Never delete anything not recorded in the run.
    await completeCleanup(
      ctx,
      run,
      false,
      `${temp} is not the original recorded by this run (${db.DbiResourceId}); left untouched`,
    );
    return;
  }
  const replicated = replicatedSourceWarning(temp, db);
  if (replicated) return completeCleanup(ctx, run, false, `${replicated}; ${removalHint(run)}`);
  const names = keepFinalSnapshot(ctx, run)
    ? { ...run.names, finalSnapshot: finalSnapshotIdentifier(run.identifier, run.runId, ctx.now()) }
    : run.names;
  await beginWait(
    ctx,
    run,
    {
      step: 'cleanup',
      resourceKind: 'instance',
      resourceName: temp,
      target: 'deleted',
      deadlineSeconds: ctx.config.wait.deadlines.delete,
    },
    { names },
    (waiting) =>
      actOrFail(
        ctx,
        waiting,
        () => callDelete(ctx, waiting, db),
        (latest, err) =>
          completeCleanup(
            ctx,
            latest,
            false,
            `deleting ${temp} failed (${describeError(err)}); ${removalHint(run)}`,
          ),
      ),
  );
}

async function probeCleanup(ctx: ServiceContext, run: RunRecord): Promise<Probe> {
  const db = await findInstance(ctx.rds, run.names.temporary!);
  if (!db) return { state: 'done' };
  if (shouldActAgain(ctx, run)) await callDelete(ctx, run, db);
  return { state: 'waiting', status: db.DBInstanceStatus };
}

export const cleanupWait: WaitingStep = {
  step: 'cleanup',
  probe: (ctx, run) => probeCleanup(ctx, run),
  complete: (ctx, run) => completeCleanup(ctx, run, true),
  fail: (ctx, run, reason) => completeCleanup(ctx, run, false, `${reason}; ${removalHint(run)}`),
};
