import {
  clusterConfigOf,
  clusterSettingsAfterRestore,
  completeStep,
  defineStep,
  event,
  instanceConfigOf,
  type InstanceConfig,
  type Phases,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { untagOp } from './created';
import { DATABASES, INSTANCE } from './databases';
import { configureOp, createMemberOp, restoreOp } from './restoreOps';
import { verifyRestored } from './verification';

/**
 * The restore step: restore the snapshot under the original identifier with every captured setting
 * (a cluster: then its members under their names, the former writer first, then the readers), apply in
 * one modification what the restore cannot take, remove the run's tag, then verify identifiers,
 * endpoints, configuration and tags before anything is deleted. The kind only changes the operations.
 */

function phases(ctx: ServiceContext, run: RunRecord): Phases {
  const members = run.kind === 'cluster' ? clusterConfigOf(run).members : [];
  const writers = members.filter((m) => m.writer);
  const readers = members.filter((m) => !m.writer);
  return [
    [restoreOp(ctx, run)],
    ...(members.length
      ? [
          writers.map((m) => createMemberOp(ctx, run, m, 1)),
          readers.map((m) => createMemberOp(ctx, run, m, 2)),
        ]
      : []),
    [configureOp(ctx, run)],
    [
      untagOp(ctx, run, DATABASES[run.kind], run.identifier),
      ...members.map((m) => untagOp(ctx, run, INSTANCE, m.identifier)),
    ],
  ];
}

/** Settings an instance restore cannot take, applied afterwards with ModifyDBInstance (when the original has them). */
function instanceSettingsAfterRestore(config: InstanceConfig): string[] {
  return [
    ...(config.monitoringInterval ? ['MonitoringInterval'] : []),
    ...(config.performanceInsightsEnabled ? ['EnablePerformanceInsights'] : []),
    ...(config.preferredMaintenanceWindow ? ['PreferredMaintenanceWindow'] : []),
    ...(config.maxAllocatedStorage ? ['MaxAllocatedStorage'] : []),
    ...(config.deletionProtection ? ['DeletionProtection'] : []),
    ...(config.manageMasterUserPassword ? ['ManageMasterUserPassword'] : []),
  ];
}

const appliedAfterRestore = (run: RunRecord) =>
  run.kind === 'instance'
    ? instanceSettingsAfterRestore(instanceConfigOf(run))
    : clusterSettingsAfterRestore(clusterConfigOf(run));

/**
 * The step restoring under the run's identifier: `restore` (in place, once the original is set aside) or
 * `restore-new` (a clone: a new name, nothing else touched). Both restore from the run's snapshot or
 * point in time, with the same operations and the same verification.
 */
function restoreStep(step: 'restore' | 'restore-new') {
  return defineStep({
    step,
    role: 'forward',
    target: 'available',
    deadlineSeconds: (ctx) => ctx.config.wait.deadlines.restore,
    phases,
    verify: (ctx, run) => verifyRestored(ctx, run),
    complete: (ctx, run, data) =>
      completeStep(
        ctx,
        run,
        step,
        (block) =>
          event('RestoreCompleted', {
            run: block,
            snapshotIdentifier: run.pointInTime ? undefined : run.names.restoreFrom,
            restoreTime: run.pointInTime?.time,
            endpoint: { address: String(data.address), port: Number(data.port) || undefined },
            appliedAfterRestore: appliedAfterRestore(run),
          }),
        { resources: { ...run.resources, restored: run.identifier } },
      ),
  });
}

export const restore = restoreStep('restore');
/** A clone: the source's snapshot or point in time restored under the new name. */
export const restoreNew = restoreStep('restore-new');

export const startRestore = restore.start;
export const restoreWait = restore.wait;
