import { ModifyDBClusterCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import {
  completeRollback,
  completeStep,
  derivedIdentifier,
  drivePhases,
  event,
  failRollback,
  failStep,
  FAILED_CLUSTER_STATUSES,
  FAILED_INSTANCE_STATUSES,
  findCluster,
  findInstance,
  isRdsError,
  startPhases,
  type ClusterConfig,
  type PhaseOp,
  type PhaseOutcome,
  type Phases,
  type Probe,
  type RunRecord,
  type ServiceContext,
  type WaitingStep,
  clusterConfigOf,
} from '@rewind/shared';

/**
 * Cluster renames. Set-aside: the cluster to its temporary name (RDS-EVENT-0172 or describe calls),
 * then its members (they keep their names on a cluster rename) to theirs. Rename-back: every one of
 * them that left its name goes back, each once it is available. A rename is done when the new name is
 * available and the old one gone; the whole step needs two such looks in a row.
 */

type Purpose = 'set-aside' | 'rename-back';
type Found = { status: string; resourceId?: string } | undefined;

interface Rename {
  kind: 'cluster' | 'instance';
  from: string;
  to: string;
  resourceId?: string;
}

function config(run: RunRecord): ClusterConfig {
  return clusterConfigOf(run);
}

function renames(run: RunRecord, purpose: Purpose): { cluster: Rename; members: Rename[] } {
  const c = config(run);
  const swap = (r: Rename): Rename => (purpose === 'set-aside' ? r : { ...r, from: r.to, to: r.from });
  return {
    cluster: swap({
      kind: 'cluster',
      from: run.identifier,
      to: run.names.temporary!,
      resourceId: c.dbClusterResourceId,
    }),
    members: c.members.map((m) =>
      swap({
        kind: 'instance',
        from: m.identifier,
        to: derivedIdentifier(m.identifier, run.runId, 'old'),
        resourceId: m.dbiResourceId,
      }),
    ),
  };
}

async function find(ctx: ServiceContext, kind: Rename['kind'], name: string): Promise<Found> {
  if (kind === 'cluster') {
    const c = await findCluster(ctx.rds, name);
    return c && { status: c.Status ?? 'unknown', resourceId: c.DbClusterResourceId };
  }
  const db = await findInstance(ctx.rds, name);
  return db && { status: db.DBInstanceStatus ?? 'unknown', resourceId: db.DbiResourceId };
}

function renameOp(ctx: ServiceContext, r: Rename): PhaseOp {
  const failedStatuses = r.kind === 'cluster' ? FAILED_CLUSTER_STATUSES : FAILED_INSTANCE_STATUSES;
  const what = r.kind === 'cluster' ? 'cluster' : 'instance';
  return {
    kind: r.kind,
    name: r.to,
    label: `rename ${what} ${r.from} to ${r.to}`,
    look: async () => {
      const target = await find(ctx, r.kind, r.to);
      if (target) {
        if (target.resourceId !== r.resourceId) {
          return {
            state: 'failed',
            reason: `${r.to} is held by another database (${target.resourceId})`,
            errorCode: 'NameTaken',
          };
        }
        if (failedStatuses.has(target.status)) {
          return {
            state: 'failed',
            reason: `${what} ${r.to} is in status ${target.status}`,
            errorCode: target.status,
          };
        }
        if (target.status !== 'available') return { state: 'busy', status: target.status };
        if (await find(ctx, r.kind, r.from)) return { state: 'busy', status: `${r.from} still answers` };
        return { state: 'done' };
      }
      const source = await find(ctx, r.kind, r.from);
      if (!source) return { state: 'busy', status: 'renaming' };
      if (source.resourceId !== r.resourceId) {
        return {
          state: 'failed',
          reason: `${r.from} is not the database this run recorded (${source.resourceId})`,
          errorCode: 'NotOriginal',
        };
      }
      // RDS renames only an available database: a busy one is renamed once it is available again.
      return source.status === 'available'
        ? { state: 'todo' }
        : { state: 'busy', status: `${r.from} is ${source.status}` };
    },
    act: async () => {
      try {
        if (r.kind === 'cluster') {
          await ctx.rds.send(
            new ModifyDBClusterCommand({
              DBClusterIdentifier: r.from,
              NewDBClusterIdentifier: r.to,
              ApplyImmediately: true,
            }),
          );
        } else {
          await ctx.rds.send(
            new ModifyDBInstanceCommand({
              DBInstanceIdentifier: r.from,
              NewDBInstanceIdentifier: r.to,
              ApplyImmediately: true,
            }),
          );
        }
      } catch (err) {
        // Already renamed by an earlier call whose answer was lost.
        const notFound = isRdsError(
          err,
          r.kind === 'cluster' ? 'DBClusterNotFoundFault' : 'DBInstanceNotFound',
        );
        if (!notFound || (await find(ctx, r.kind, r.to))?.resourceId !== r.resourceId) throw err;
      }
    },
  };
}

function phasesFor(ctx: ServiceContext, run: RunRecord, purpose: Purpose): Phases {
  const { cluster, members } = renames(run, purpose);
  const memberOps = members.map((m) => renameOp(ctx, m));
  // Set-aside: the cluster first, then its members. Back: all at once, each when it can.
  return purpose === 'set-aside'
    ? [[renameOp(ctx, cluster)], memberOps]
    : [[renameOp(ctx, cluster), ...memberOps]];
}

/** The phases' outcome as a probe: all renamed counts as one sighting (two in a row complete the step). */
function asProbe(outcome: PhaseOutcome): Probe {
  return outcome.state === 'complete' ? { state: 'seen-once', status: 'renamed' } : outcome;
}

// ---- set-aside ----

export async function startClusterSetAside(ctx: ServiceContext, run: RunRecord): Promise<void> {
  const outcome = await startPhases(
    ctx,
    run,
    { step: 'set-aside', target: 'available', deadlineSeconds: ctx.config.wait.deadlines.rename },
    phasesFor(ctx, run, 'set-aside'),
  );
  if (outcome.state === 'failed') {
    await failStep(
      ctx,
      outcome.run ?? (await ctx.store.getRun(run.runId)) ?? run,
      'set-aside',
      outcome.reason,
      outcome.errorCode,
    );
  }
}

export const clusterSetAsideWait: WaitingStep = {
  step: 'set-aside',
  confirmations: 2,
  probe: async (ctx, run) => asProbe(await drivePhases(ctx, run, phasesFor(ctx, run, 'set-aside'))),
  complete: async (ctx, run) => {
    const { from, to } = renames(run, 'set-aside').cluster;
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
  const { cluster, members } = renames(run, 'rename-back');
  return [
    `rename what is still under a temporary name back by hand: aws rds modify-db-cluster --db-cluster-identifier ${cluster.from} --new-db-cluster-identifier ${cluster.to} --apply-immediately`,
    ...members.map(
      (m) =>
        `aws rds modify-db-instance --db-instance-identifier ${m.from} --new-db-instance-identifier ${m.to} --apply-immediately`,
    ),
  ].join('; ');
}

async function rollbackFailed(ctx: ServiceContext, run: RunRecord, reason: string): Promise<void> {
  const { cluster } = renames(run, 'rename-back');
  const original = await find(ctx, 'cluster', cluster.from).catch(() => undefined);
  const state = original
    ? `the original cluster is ${original.status} under the temporary name ${cluster.from}; nothing answers as ${cluster.to}`
    : `the original cluster is neither under ${cluster.from} nor confirmed under ${cluster.to}`;
  await failRollback(ctx, run, 'rename-back', reason, state, manualFix(run));
}

export async function startClusterRenameBack(ctx: ServiceContext, run: RunRecord): Promise<void> {
  const outcome = await startPhases(
    ctx,
    run,
    { step: 'rename-back', target: 'available', deadlineSeconds: ctx.config.wait.deadlines.rollback },
    phasesFor(ctx, run, 'rename-back'),
  );
  const latest = ('run' in outcome ? outcome.run : undefined) ?? (await ctx.store.getRun(run.runId)) ?? run;
  // Nothing had left its name (or everything is back already): the rollback is complete.
  if (outcome.state === 'complete') await completeRollback(ctx, latest, 'rename-back', run.identifier);
  if (outcome.state === 'failed') await rollbackFailed(ctx, latest, outcome.reason);
}

export const clusterRenameBackWait: WaitingStep = {
  step: 'rename-back',
  confirmations: 2,
  probe: async (ctx, run) => asProbe(await drivePhases(ctx, run, phasesFor(ctx, run, 'rename-back'))),
  complete: (ctx, run) => completeRollback(ctx, run, 'rename-back', run.identifier).then(() => undefined),
  fail: (ctx, run, reason) => rollbackFailed(ctx, run, reason),
};
