import { ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import {
  actOrFail,
  beginWait,
  completeRollback,
  completeStep,
  describeError,
  event,
  failRollback,
  failStep,
  FAILED_INSTANCE_STATUSES,
  findInstance,
  isRdsError,
  markActed,
  shouldActAgain,
  type Probe,
  type RunRecord,
  type ServiceContext,
  type WaitingStep,
  instanceConfigOf,
} from '@rewind/shared';

/**
 * Renames: `set-aside` (original -> temporary name) and the compensation `rename-back`.
 * An instance rename emits no RDS event: completion is confirmed by describe calls (the new name
 * `available` on two calls in a row, the old name gone); an instance restart event for the new name
 * only triggers an early look.
 */

type Purpose = 'set-aside' | 'rename-back';

function namesFor(run: RunRecord, purpose: Purpose): { from: string; to: string } {
  const temp = run.names.temporary!;
  return purpose === 'set-aside' ? { from: run.identifier, to: temp } : { from: temp, to: run.identifier };
}

function originalId(run: RunRecord): string | undefined {
  return instanceConfigOf(run).dbiResourceId;
}

async function callRename(ctx: ServiceContext, run: RunRecord, purpose: Purpose): Promise<void> {
  const { from, to } = namesFor(run, purpose);
  try {
    await ctx.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: from,
        NewDBInstanceIdentifier: to,
        ApplyImmediately: true,
      }),
    );
  } catch (err) {
    // Already renamed by an earlier call whose answer was lost.
    if (
      !isRdsError(err, 'DBInstanceNotFound') ||
      (await findInstance(ctx.rds, to))?.DbiResourceId !== originalId(run)
    ) {
      throw err;
    }
  }
  await markActed(ctx, run, purpose);
}

async function probeRename(ctx: ServiceContext, run: RunRecord, purpose: Purpose): Promise<Probe> {
  const { from, to } = namesFor(run, purpose);
  const target = await findInstance(ctx.rds, to);
  if (!target) {
    const source = await findInstance(ctx.rds, from);
    const deferred = run.expectation?.context?.deferred === 'true' && !run.expectation.acted;
    // A deferred rename waits for its source to be available; a lost call is made again after the act timeout.
    if ((deferred && source?.DBInstanceStatus === 'available') || (!deferred && shouldActAgain(ctx, run))) {
      await callRename(ctx, run, purpose);
    }
    return { state: 'waiting', status: source ? `${from} is ${source.DBInstanceStatus}` : 'renaming' };
  }
  const status = target.DBInstanceStatus ?? 'unknown';
  if (target.DbiResourceId !== originalId(run)) {
    return {
      state: 'failed',
      reason: `${to} is held by another database (${target.DbiResourceId})`,
      errorCode: 'NameTaken',
    };
  }
  if (FAILED_INSTANCE_STATUSES.has(status)) {
    return { state: 'failed', reason: `${to} is in status ${status}`, errorCode: status };
  }
  if (status !== 'available') return { state: 'waiting', status };
  if (await findInstance(ctx.rds, from)) return { state: 'waiting', status: `${from} still answers` };
  return { state: 'seen-once', status };
}

async function start(
  ctx: ServiceContext,
  run: RunRecord,
  purpose: Purpose,
  deadlineSeconds: number,
  deferred = false,
): Promise<RunRecord> {
  const { from, to } = namesFor(run, purpose);
  const waiting = await beginWait(ctx, run, {
    step: purpose,
    resourceKind: 'instance',
    resourceName: to,
    target: 'available',
    deadlineSeconds,
    context: { from, to, ...(deferred ? { deferred: 'true' } : {}) },
  });
  if (!deferred) await callRename(ctx, waiting, purpose);
  return waiting;
}

// ---- set-aside ----

export async function startSetAside(ctx: ServiceContext, run: RunRecord): Promise<void> {
  const { from, to } = namesFor(run, 'set-aside');
  await actOrFail(
    ctx,
    run,
    () => start(ctx, run, 'set-aside', ctx.config.wait.deadlines.rename),
    (latest, err) =>
      failStep(
        ctx,
        latest,
        'set-aside',
        `renaming ${from} to ${to} failed: ${describeError(err)}`,
        (err as Error).name,
      ),
  );
}

export const setAsideWait: WaitingStep = {
  step: 'set-aside',
  confirmations: 2,
  probe: (ctx, run) => probeRename(ctx, run, 'set-aside'),
  complete: async (ctx, run) => {
    const { from, to } = namesFor(run, 'set-aside');
    await completeStep(
      ctx,
      run,
      'set-aside',
      (block) => event('RenameCompleted', { run: block, from, to, purpose: 'set-aside' }),
      {
        resources: { ...run.resources, setAside: to },
      },
    );
  },
};

// ---- rename-back (compensation) ----

function manualFix(run: RunRecord): string {
  const { from, to } = namesFor(run, 'rename-back');
  return `rename it back by hand: aws rds modify-db-instance --db-instance-identifier ${from} --new-db-instance-identifier ${to} --apply-immediately`;
}

async function rollbackFailed(ctx: ServiceContext, run: RunRecord, reason: string): Promise<void> {
  const { from, to } = namesFor(run, 'rename-back');
  const original = await findInstance(ctx.rds, from).catch(() => undefined);
  const state = original
    ? `the original is ${original.DBInstanceStatus} under the temporary name ${from}; nothing answers as ${to}`
    : `the original is neither under ${from} nor confirmed under ${to}`;
  await failRollback(ctx, run, 'rename-back', reason, state, manualFix(run));
}

export async function startRenameBack(ctx: ServiceContext, run: RunRecord): Promise<void> {
  const { from, to } = namesFor(run, 'rename-back');
  const atName = await findInstance(ctx.rds, to);
  if (atName?.DbiResourceId === originalId(run) && !(await findInstance(ctx.rds, from))) {
    // The original never left (or is already back): nothing to rename.
    await completeRollback(ctx, run, 'rename-back', to);
    return;
  }
  if (atName) {
    await rollbackFailed(
      ctx,
      run,
      `${to} is held by another database (${atName.DbiResourceId}); the original cannot take its name back`,
    );
    return;
  }
  // The original may still be busy (a set-aside that outlived its deadline): rename once it is available.
  const source = await findInstance(ctx.rds, from);
  if (!source) {
    await rollbackFailed(ctx, run, `neither ${from} nor ${to} exists`);
    return;
  }
  await actOrFail(
    ctx,
    run,
    () =>
      start(
        ctx,
        run,
        'rename-back',
        ctx.config.wait.deadlines.rollback,
        source.DBInstanceStatus !== 'available',
      ),
    (latest, err) =>
      rollbackFailed(ctx, latest, `renaming ${from} back to ${to} failed: ${describeError(err)}`),
  );
}

export const renameBackWait: WaitingStep = {
  step: 'rename-back',
  confirmations: 2,
  probe: (ctx, run) => probeRename(ctx, run, 'rename-back'),
  complete: (ctx, run) => completeRollback(ctx, run, 'rename-back', run.identifier).then(() => undefined),
  fail: (ctx, run, reason) => rollbackFailed(ctx, run, reason),
};
