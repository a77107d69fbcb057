import { ModifyDBInstanceCommand, RestoreDBInstanceFromDBSnapshotCommand } from '@aws-sdk/client-rds';
import {
  actOrFail,
  beginWait,
  captureInstanceConfig,
  completeStep,
  describeError,
  diffInstanceConfig,
  event,
  failStep,
  FAILED_INSTANCE_STATUSES,
  findInstance,
  formatDifferences,
  isRdsError,
  isRetryable,
  markActed,
  postRestoreModification,
  restoreInstanceInput,
  REWIND_TAGS,
  SERVING_INSTANCE_STATUSES,
  shouldActAgain,
  type InstanceConfig,
  type Probe,
  type RunRecord,
  type ServiceContext,
  type WaitingStep,
  instanceConfigOf,
} from '@rewind/shared';

/**
 * The restore step: restore the snapshot under the original identifier with every captured setting,
 * apply what restore cannot take, then verify identifier, endpoint address and configuration before
 * anything is deleted. Phases (in the expectation's context): `restoring`, then `configuring`.
 */

export function capturedConfig(run: RunRecord): InstanceConfig {
  return instanceConfigOf(run);
}

async function callRestore(ctx: ServiceContext, run: RunRecord): Promise<void> {
  const config = capturedConfig(run);
  const snapshot = run.names.restoreFrom!;
  const input = restoreInstanceInput(config, snapshot, [{ Key: REWIND_TAGS.runId, Value: run.runId }]);
  try {
    await ctx.rds.send(new RestoreDBInstanceFromDBSnapshotCommand(input));
  } catch (err) {
    // Our own earlier call (a retry after a lost answer): the instance under the name is not the original.
    if (!isRdsError(err, 'DBInstanceAlreadyExists')) throw err;
    const current = await findInstance(ctx.rds, run.identifier);
    if (!current || current.DbiResourceId === config.dbiResourceId) throw err;
  }
  await markActed(ctx, run, 'restore');
}

export async function startRestore(ctx: ServiceContext, run: RunRecord): Promise<void> {
  await beginWait(
    ctx,
    run,
    {
      step: 'restore',
      resourceKind: 'instance',
      resourceName: run.identifier,
      target: 'available',
      deadlineSeconds: ctx.config.wait.deadlines.restore,
      context: { phase: 'restoring' },
    },
    {},
    (waiting) =>
      actOrFail(
        ctx,
        waiting,
        () => callRestore(ctx, waiting),
        (latest, err) =>
          failStep(
            ctx,
            latest,
            'restore',
            `RestoreDBInstanceFromDBSnapshot failed: ${describeError(err)}`,
            (err as Error).name,
          ),
      ),
  );
}

async function probeRestore(ctx: ServiceContext, run: RunRecord): Promise<Probe> {
  const config = capturedConfig(run);
  const exp = run.expectation!;
  const db = await findInstance(ctx.rds, run.identifier);
  if (!db) {
    if (shouldActAgain(ctx, run)) await callRestore(ctx, run);
    return { state: 'waiting', status: 'not created yet' };
  }
  if (db.DbiResourceId === config.dbiResourceId) {
    return {
      state: 'failed',
      reason: `the original still holds the name ${run.identifier}; nothing was restored`,
      errorCode: 'NameNotFree',
    };
  }
  const status = db.DBInstanceStatus ?? 'unknown';
  if (FAILED_INSTANCE_STATUSES.has(status)) {
    return {
      state: 'failed',
      reason: `restored instance ${run.identifier} ended in status ${status}`,
      errorCode: status,
    };
  }
  if (!SERVING_INSTANCE_STATUSES.has(status)) return { state: 'waiting', status };
  const restored = captureInstanceConfig(db);
  const modification = postRestoreModification(config, restored);
  if (modification) {
    if (exp.context?.phase === 'configuring' && exp.acted)
      return { state: 'waiting', status: `${status} (configuring)` };
    // RDS accepts a modification only once the instance is available (not during the baseline backup).
    if (status !== 'available') return { state: 'waiting', status };
    try {
      await ctx.rds.send(new ModifyDBInstanceCommand(modification.input));
    } catch (err) {
      if (isRdsError(err, 'InvalidDBInstanceState') || isRetryable(err)) return { state: 'waiting', status };
      return {
        state: 'failed',
        reason: `applying ${modification.applied.join(', ')} failed: ${describeError(err)}`,
        errorCode: (err as Error).name,
      };
    }
    const updated = await ctx.store.updateRun(run, {
      expectation: {
        ...exp,
        acted: true,
        context: { ...exp.context, phase: 'configuring', applied: modification.applied.join(',') },
      },
    });
    // No RDS event marks the end of a modification: look again soon rather than at the chain's backoff.
    return { state: 'waiting', status: 'modifying', run: updated, recheck: true };
  }
  const differences = diffInstanceConfig(config, restored);
  if (differences.length) {
    return {
      state: 'failed',
      reason: `restored instance differs from the original: ${formatDifferences(differences)}`,
      errorCode: 'ConfigurationMismatch',
    };
  }
  if (config.endpointAddress && db.Endpoint?.Address !== config.endpointAddress) {
    return {
      state: 'failed',
      reason: `restored endpoint ${db.Endpoint?.Address} differs from the original ${config.endpointAddress}`,
      errorCode: 'EndpointMismatch',
    };
  }
  return {
    state: 'done',
    data: {
      address: db.Endpoint?.Address ?? '',
      port: db.Endpoint?.Port ?? 0,
      applied: exp.context?.applied ?? '',
    },
  };
}

export const restoreWait: WaitingStep = {
  step: 'restore',
  probe: (ctx, run) => probeRestore(ctx, run),
  complete: async (ctx, run, data) => {
    const applied = String(data.applied ?? '')
      .split(',')
      .filter(Boolean);
    await completeStep(
      ctx,
      run,
      'restore',
      (block) =>
        event('RestoreCompleted', {
          run: block,
          snapshotIdentifier: run.names.restoreFrom!,
          endpoint: { address: String(data.address), port: Number(data.port) || undefined },
          appliedAfterRestore: applied,
        }),
      { resources: { ...run.resources, restored: run.identifier } },
    );
  },
};
