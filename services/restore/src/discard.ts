import type { DBInstance } from '@aws-sdk/client-rds';
import {
  actOrFail,
  beginWait,
  completeRollback,
  completeStep,
  DELETE_BLOCKING_STATUSES,
  deleteInstance,
  describeError,
  event,
  failRollback,
  findInstance,
  markActed,
  shouldActAgain,
  type Probe,
  type RunRecord,
  type ServiceContext,
  type WaitingStep,
} from '@rewind/shared';
import { capturedConfig } from './restoreStep';

/**
 * Compensation `discard`: delete a half-restored copy that holds the original's name, so the
 * original can be renamed back. Only a copy this run restored is deleted: never the original.
 */

function manualFix(run: RunRecord): string {
  const temp = run.names.temporary;
  return (
    `delete the half-restored copy (aws rds delete-db-instance --db-instance-identifier ${run.identifier} --skip-final-snapshot), ` +
    `then rename the original back (aws rds modify-db-instance --db-instance-identifier ${temp} --new-db-instance-identifier ${run.identifier} --apply-immediately)`
  );
}

/** The discard is over: DiscardCompleted (the rename-back follows), or the rollback is complete. */
export async function finishDiscard(ctx: ServiceContext, run: RunRecord, discarded: string | null) {
  const after = run.run.plan[run.run.plan.indexOf('discard') + 1];
  if (!after) {
    await completeRollback(ctx, run, 'discard', run.identifier);
    return;
  }
  await completeStep(ctx, run, 'discard', (block) =>
    event('DiscardCompleted', { run: block, discardedIdentifier: discarded }),
  );
}

/** `db`: the half-restored copy as just described (saves a describe call). */
async function callDelete(ctx: ServiceContext, run: RunRecord, db: DBInstance): Promise<void> {
  await deleteInstance(ctx.rds, run.identifier, db, { deleteAutomatedBackups: true });
  await markActed(ctx, run, 'discard');
}

export async function startDiscard(ctx: ServiceContext, run: RunRecord): Promise<void> {
  const config = capturedConfig(run);
  const db = await findInstance(ctx.rds, run.identifier);
  if (!db || db.DbiResourceId === config.dbiResourceId) {
    // Nothing was restored under the name (or the original never left it): nothing to discard.
    await finishDiscard(ctx, run, null);
    return;
  }
  // A copy still being created (a cancel, or a deadline passed mid-restore) cannot be deleted yet: wait for
  // it to settle, then delete (the probe makes the call once RDS accepts it).
  const busy = DELETE_BLOCKING_STATUSES.has(db.DBInstanceStatus ?? '');
  await beginWait(
    ctx,
    run,
    {
      step: 'discard',
      resourceKind: 'instance',
      resourceName: run.identifier,
      target: 'deleted',
      deadlineSeconds: ctx.config.wait.deadlines.rollback,
      context: busy ? { deferred: db.DBInstanceStatus ?? 'busy' } : undefined,
    },
    {},
    busy
      ? undefined
      : (waiting) =>
          actOrFail(
            ctx,
            waiting,
            () => callDelete(ctx, waiting, db),
            (latest, err) =>
              failRollback(
                ctx,
                latest,
                'discard',
                `deleting the half-restored copy failed: ${describeError(err)}`,
                `a half-restored copy holds the name ${run.identifier}; the original is safe under ${run.names.temporary}`,
                manualFix(run),
              ),
          ),
  );
}

async function probeDiscard(ctx: ServiceContext, run: RunRecord): Promise<Probe> {
  const db = await findInstance(ctx.rds, run.identifier);
  if (!db) return { state: 'done', data: { discarded: run.identifier } };
  // The original holds the name (never the copy to delete): nothing to discard; rename-back sees it is back.
  if (db.DbiResourceId === capturedConfig(run).dbiResourceId) return { state: 'done', data: { kept: true } };
  const status = db.DBInstanceStatus ?? 'unknown';
  const deferred = run.expectation?.context?.deferred !== undefined && !run.expectation.acted;
  if (!DELETE_BLOCKING_STATUSES.has(status) && (deferred || shouldActAgain(ctx, run))) {
    await callDelete(ctx, run, db);
  }
  return { state: 'waiting', status };
}

export const discardWait: WaitingStep = {
  step: 'discard',
  probe: (ctx, run) => probeDiscard(ctx, run),
  complete: (ctx, run, data) =>
    finishDiscard(ctx, run, data.kept ? null : String(data.discarded ?? run.identifier)),
  fail: async (ctx, run, reason) => {
    await failRollback(
      ctx,
      run,
      'discard',
      reason,
      `a half-restored copy may still hold the name ${run.identifier}; the original is safe under ${run.names.temporary}`,
      manualFix(run),
    );
  },
};
