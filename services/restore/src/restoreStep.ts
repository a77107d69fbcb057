import {
  clusterConfigOf,
  clusterSettingsAfterRestore,
  completeStep,
  defineStep,
  event,
  instanceConfigOf,
  nameOf,
  type InstanceConfig,
  type Phases,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { untagOp } from './created';
import { DATABASES, INSTANCE } from './databases';
import { configureOp, createMemberOp, placementOf, restoreOp, type Placement } from './restoreOps';
import { verifyRestored } from './verification';

/**
 * The restore steps: restore the snapshot with every captured setting (a cluster: then its members, the
 * former writer first, then the readers), apply in one modification what the restore cannot take,
 * remove the run's tag, then verify configuration and tags (and, in place, identifiers and endpoints)
 * before anything is deleted or renamed. `restore` puts the copy under the original's names once the
 * original is set aside; `restore-beside` (swap) puts it under staging names while the original serves.
 * One definition: the placement only changes the names, the kind only the operations.
 */

function phases(ctx: ServiceContext, run: RunRecord, p: Placement): Phases {
  const members = 'members' in p.config ? p.config.members : [];
  const writers = members.filter((m) => m.writer);
  const readers = members.filter((m) => !m.writer);
  return [
    [restoreOp(ctx, run, p)],
    ...(members.length
      ? [
          writers.map((m) => createMemberOp(ctx, run, p, m, 1)),
          readers.map((m) => createMemberOp(ctx, run, p, m, 2)),
        ]
      : []),
    [configureOp(ctx, run, p)],
    [
      untagOp(ctx, run, DATABASES[run.kind], p.name),
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

function restoreStep(step: Placement['step']) {
  return defineStep({
    step,
    role: 'forward',
    target: 'available',
    deadlineSeconds: (ctx) => ctx.config.wait.deadlines.restore,
    phases: (ctx, run) => phases(ctx, run, placementOf(run, step)),
    verify: (ctx, run) => verifyRestored(ctx, placementOf(run, step)),
    complete: (ctx, run, data) =>
      completeStep(
        ctx,
        run,
        step,
        (block) =>
          event('RestoreCompleted', {
            run: block,
            snapshotIdentifier: nameOf(run, 'restoreFrom'),
            endpoint: { address: String(data.address), port: Number(data.port) || undefined },
            appliedAfterRestore: appliedAfterRestore(run),
            ...(step === 'restore-beside' ? { stagingIdentifier: nameOf(run, 'staging') } : {}),
          }),
        // Beside, the copy is restored but not yet under the name: take-name records it.
        step === 'restore' ? { resources: { ...run.resources, restored: run.identifier } } : {},
      ),
  });
}

export const restore = restoreStep('restore');
export const restoreBeside = restoreStep('restore-beside');

export const startRestore = restore.start;
export const restoreWait = restore.wait;
