import {
  CreateDBInstanceCommand,
  ModifyDBClusterCommand,
  RestoreDBClusterFromSnapshotCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import {
  captureClusterConfig,
  clusterSettingsAfterRestore,
  completeStep,
  diffClusterConfig,
  drivePhases,
  event,
  failStep,
  FAILED_CLUSTER_STATUSES,
  FAILED_INSTANCE_STATUSES,
  findCluster,
  findInstance,
  formatDifferences,
  isRdsError,
  memberCreateInput,
  postRestoreClusterModification,
  restoreClusterInput,
  REWIND_TAGS,
  startPhases,
  taggedByRun,
  type ClusterConfig,
  type ClusterMemberConfig,
  type PhaseOp,
  type Phases,
  type Probe,
  type RunRecord,
  type ServiceContext,
  type WaitingStep,
  clusterConfigOf,
} from '@rewind/shared';

/**
 * The restore step of a cluster run: restore the cluster snapshot under the original identifier with
 * the captured settings; once it is available create each member under its original name with its
 * settings, the former writer first (it becomes the writer), then the readers; apply what the restore
 * cannot take (maintenance window, deletion protection); then verify identifiers, writer, endpoints and
 * configuration before anything is deleted.
 */

export function clusterConfig(run: RunRecord): ClusterConfig {
  return clusterConfigOf(run);
}

const runTags = (run: RunRecord) => [{ Key: REWIND_TAGS.runId, Value: run.runId }];

function restoreClusterOp(ctx: ServiceContext, run: RunRecord, config: ClusterConfig): PhaseOp {
  return {
    kind: 'cluster',
    name: run.identifier,
    label: `restore cluster ${run.identifier} from ${run.names.restoreFrom}`,
    look: async () => {
      const c = await findCluster(ctx.rds, run.identifier);
      if (!c) return { state: 'todo' };
      if (c.DbClusterResourceId === config.dbClusterResourceId) {
        return {
          state: 'failed',
          reason: `the original still holds the name ${run.identifier}; nothing was restored`,
          errorCode: 'NameNotFree',
        };
      }
      const status = c.Status ?? 'unknown';
      if (FAILED_CLUSTER_STATUSES.has(status)) {
        return {
          state: 'failed',
          reason: `restored cluster ${run.identifier} ended in status ${status}`,
          errorCode: status,
        };
      }
      return status === 'available' ? { state: 'done' } : { state: 'busy', status };
    },
    act: async () => {
      try {
        await ctx.rds.send(
          new RestoreDBClusterFromSnapshotCommand(
            restoreClusterInput(config, run.names.restoreFrom!, runTags(run)),
          ),
        );
      } catch (err) {
        // Our own earlier call (its answer lost): the cluster under the name is not the original.
        if (!isRdsError(err, 'DBClusterAlreadyExistsFault')) throw err;
        const current = await findCluster(ctx.rds, run.identifier);
        if (!current || !taggedByRun(current.TagList, run.runId)) throw err;
      }
    },
  };
}

function createMemberOp(
  ctx: ServiceContext,
  run: RunRecord,
  config: ClusterConfig,
  member: ClusterMemberConfig,
): PhaseOp {
  const ours = (db: DBInstance) =>
    db.DBClusterIdentifier === run.identifier && taggedByRun(db.TagList, run.runId);
  return {
    kind: 'instance',
    name: member.identifier,
    label: `create ${member.writer ? 'writer' : 'reader'} ${member.identifier} in ${run.identifier}`,
    look: async () => {
      const db = await findInstance(ctx.rds, member.identifier);
      if (!db) return { state: 'todo' };
      if (!ours(db)) {
        return {
          state: 'failed',
          reason: `${member.identifier} is held by a database this run did not create (${db.DbiResourceId})`,
          errorCode: 'NameNotFree',
        };
      }
      const status = db.DBInstanceStatus ?? 'unknown';
      if (FAILED_INSTANCE_STATUSES.has(status)) {
        return {
          state: 'failed',
          reason: `member ${member.identifier} ended in status ${status}`,
          errorCode: status,
        };
      }
      return status === 'available' ? { state: 'done' } : { state: 'busy', status };
    },
    act: async () => {
      try {
        await ctx.rds.send(new CreateDBInstanceCommand(memberCreateInput(config, member, runTags(run))));
      } catch (err) {
        if (!isRdsError(err, 'DBInstanceAlreadyExists')) throw err;
        const current = await findInstance(ctx.rds, member.identifier);
        if (!current || !ours(current)) throw err;
      }
    },
  };
}

function configureOp(ctx: ServiceContext, run: RunRecord, config: ClusterConfig): PhaseOp {
  const modification = async () => {
    const c = await findCluster(ctx.rds, run.identifier);
    return { c, mod: c && postRestoreClusterModification(config, captureClusterConfig(c, [])) };
  };
  return {
    kind: 'cluster',
    name: run.identifier,
    label: `apply ${clusterSettingsAfterRestore(config).join(', ') || 'the remaining settings'} to ${run.identifier}`,
    look: async () => {
      const { c, mod } = await modification();
      if (!c)
        return {
          state: 'failed',
          reason: `restored cluster ${run.identifier} disappeared`,
          errorCode: 'ClusterMissing',
        };
      if (!mod) return { state: 'done' };
      return c.Status === 'available' ? { state: 'todo' } : { state: 'busy', status: c.Status ?? 'unknown' };
    },
    act: async () => {
      const { mod } = await modification();
      if (mod) await ctx.rds.send(new ModifyDBClusterCommand(mod.input));
    },
  };
}

function phasesFor(ctx: ServiceContext, run: RunRecord): Phases {
  const config = clusterConfig(run);
  const writers = config.members.filter((m) => m.writer);
  const readers = config.members.filter((m) => !m.writer);
  return [
    [restoreClusterOp(ctx, run, config)],
    writers.map((m) => createMemberOp(ctx, run, config, m)),
    readers.map((m) => createMemberOp(ctx, run, config, m)),
    [configureOp(ctx, run, config)],
  ];
}

/** Every phase done: the restored cluster must match the original before the set-aside one may go. */
async function verify(ctx: ServiceContext, run: RunRecord): Promise<Probe> {
  const config = clusterConfig(run);
  const c = await findCluster(ctx.rds, run.identifier);
  if (!c)
    return {
      state: 'failed',
      reason: `restored cluster ${run.identifier} disappeared`,
      errorCode: 'ClusterMissing',
    };
  const members: DBInstance[] = [];
  for (const m of c.DBClusterMembers ?? []) {
    const db = await findInstance(ctx.rds, m.DBInstanceIdentifier!);
    if (db) members.push(db);
  }
  const restored = captureClusterConfig(c, members);
  const differences = diffClusterConfig(config, restored);
  const endpoints = (cfg: ClusterConfig) => [
    cfg.endpointAddress,
    cfg.readerEndpointAddress,
    ...cfg.members.map((m) => `${m.identifier}=${m.endpointAddress}`).sort(),
  ];
  if (JSON.stringify(endpoints(restored)) !== JSON.stringify(endpoints(config))) {
    differences.push({ field: 'endpoints', expected: endpoints(config), actual: endpoints(restored) });
  }
  if (differences.length) {
    return {
      state: 'failed',
      reason: `restored cluster differs from the original: ${formatDifferences(differences)}`,
      errorCode: 'ConfigurationMismatch',
    };
  }
  return {
    state: 'done',
    data: {
      address: c.Endpoint ?? '',
      port: c.Port ?? 0,
      applied: clusterSettingsAfterRestore(config).join(','),
    },
  };
}

export async function startClusterRestore(ctx: ServiceContext, run: RunRecord): Promise<void> {
  const outcome = await startPhases(
    ctx,
    run,
    { step: 'restore', target: 'available', deadlineSeconds: ctx.config.wait.deadlines.restore },
    phasesFor(ctx, run),
  );
  if (outcome.state === 'failed') {
    const latest = outcome.run ?? (await ctx.store.getRun(run.runId)) ?? run;
    await failStep(ctx, latest, 'restore', outcome.reason, outcome.errorCode);
  }
}

export const clusterRestoreWait: WaitingStep = {
  step: 'restore',
  probe: async (ctx, run) => {
    const outcome = await drivePhases(ctx, run, phasesFor(ctx, run));
    return outcome.state === 'complete' ? verify(ctx, outcome.run) : outcome;
  },
  complete: async (ctx, run, data) => {
    await completeStep(
      ctx,
      run,
      'restore',
      (block) =>
        event('RestoreCompleted', {
          run: block,
          snapshotIdentifier: run.names.restoreFrom!,
          endpoint: { address: String(data.address), port: Number(data.port) || undefined },
          appliedAfterRestore: String(data.applied ?? '')
            .split(',')
            .filter(Boolean),
        }),
      { resources: { ...run.resources, restored: run.identifier } },
    );
  },
};
