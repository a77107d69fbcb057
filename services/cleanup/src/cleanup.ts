import {
  completeStep,
  defineStep,
  event,
  finalSnapshotIdentifier,
  nameOf,
  type Preparation,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { replicatedSourceWarning } from './replicaGuard';
import { SET_ASIDE } from './setAside';

/**
 * The cleanup step: delete the set-aside original (an instance; or a cluster, its members first) once
 * the restored database is verified, keeping a final snapshot unless the request or the deployment says
 * otherwise, and lifting deletion protection just before. Only the original recorded by the run (its
 * resource id) is deleted. A finishing step: if the deletion fails, nothing is rolled back; the run
 * completes with a warning saying what remains and the commands to remove it.
 */

/** Whether the set-aside original is deleted with a final snapshot (request, else deployment policy). */
export function keepFinalSnapshot(ctx: ServiceContext, run: RunRecord): boolean {
  const requested = (run.request as { finalSnapshot?: boolean }).finalSnapshot;
  return requested ?? ctx.config.finalSnapshot === 'always';
}

/** What remains and how to remove it, for the warning of a cleanup that did not delete. */
function removalAdvice(ctx: ServiceContext, run: RunRecord) {
  const setAside = SET_ASIDE[run.kind];
  const finalSnapshot = finalSnapshotIdentifier(run.identifier, run.runId, ctx.now());
  return {
    state: setAside.remains(run),
    action: `remove it when you no longer need it: ${setAside.removal(run, finalSnapshot).join(' && ')}`,
  };
}

/** `reason`, then what remains and how to remove it. */
function leftInPlace(ctx: ServiceContext, run: RunRecord, reason: string): Preparation {
  const advice = removalAdvice(ctx, run);
  return { finish: { warning: `${reason}; ${advice.state}; ${advice.action}` } };
}

/** Before any call: is the set-aside original there, is it the one recorded, may it be deleted. */
async function prepare(ctx: ServiceContext, run: RunRecord): Promise<Preparation> {
  const setAside = SET_ASIDE[run.kind];
  const temp = nameOf(run, 'temporary');
  const recorded = setAside.recordedId(run);
  if (!run.resources.restored) {
    return leftInPlace(
      ctx,
      run,
      `cleanup skipped: the restore of ${run.identifier} is not recorded as verified`,
    );
  }
  const seen = await setAside.sight(ctx, temp);
  if (!seen) {
    const warning = `the set-aside ${setAside.noun} ${temp} was not found; it may have been deleted by hand`;
    return { finish: { warning } };
  }
  if (seen.resourceId !== recorded) {
    // Never delete anything not recorded in the run.
    const warning = `${temp} is not the ${setAside.noun} recorded by this run (${seen.resourceId}); left untouched`;
    return { finish: { warning } };
  }
  const replicated = replicatedSourceWarning(temp, seen.db);
  if (replicated) return leftInPlace(ctx, run, replicated);
  const names = keepFinalSnapshot(ctx, run)
    ? { ...run.names, finalSnapshot: finalSnapshotIdentifier(run.identifier, run.runId, ctx.now()) }
    : run.names;
  return { changes: { names }, phases: setAside.phases(ctx, { ...run, names }, seen) };
}

/** CleanupCompleted (with the warning when the set-aside original remains), and the run completes. */
async function completeCleanup(ctx: ServiceContext, run: RunRecord, warning?: string) {
  const deleted = warning === undefined;
  return completeStep(
    ctx,
    run,
    'cleanup',
    (block) =>
      event('CleanupCompleted', {
        run: block,
        deletedIdentifier: deleted ? nameOf(run, 'temporary') : null,
        finalSnapshotIdentifier: deleted ? (run.names.finalSnapshot ?? null) : null,
        warning,
      }),
    { warnings: deleted ? run.warnings : [...run.warnings, warning] },
  );
}

export const cleanup = defineStep({
  step: 'cleanup',
  role: 'finishing',
  target: 'deleted',
  deadlineSeconds: (ctx) => ctx.config.wait.deadlines.delete,
  prepare,
  phases: (ctx, run) => SET_ASIDE[run.kind].phases(ctx, run),
  complete: (ctx, run, _data, warning) => completeCleanup(ctx, run, warning),
  advice: removalAdvice,
});
