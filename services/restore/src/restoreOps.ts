import {
  CreateDBInstanceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
  type DBCluster,
  type DBInstance,
} from '@aws-sdk/client-rds';
import {
  captureClusterConfig,
  captureInstanceConfig,
  clusterConfigOf,
  describeRestoreFrom,
  findCluster,
  findInstance,
  instanceConfigOf,
  memberCreateInput,
  pointInTimeClusterInput,
  pointInTimeInstanceInput,
  postRestoreClusterModification,
  postRestoreModification,
  restoreClusterInput,
  restoreFromOf,
  restoreInstanceInput,
  SERVING_INSTANCE_STATUSES,
  type ClusterConfig,
  type ClusterMemberConfig,
  type Kind,
  type PhaseOp,
  type RestoreFrom,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { createOp, runTagOf } from './created';
import { CLUSTER, DATABASES, INSTANCE, type DatabaseApi } from './databases';

/**
 * The operations of the restore step that depend on the kind: the restore call itself, the members of
 * a cluster, and the one modification that applies what a restore cannot take.
 */

const AVAILABLE: ReadonlySet<string> = new Set(['available']);

/** The steps that restore a database (their phases are these operations). */
const RESTORING_STEPS: ReadonlySet<string> = new Set(['restore', 'restore-beside', 'restore-new']);

/** Whether the run's restore has moved past phase `index` (its earlier operations are over). */
const past = (run: RunRecord, index: number) =>
  RESTORING_STEPS.has(run.expectation?.step ?? '') && (run.expectation?.phase?.index ?? -1) > index;

/** The restore call of each kind, from a snapshot or a point in time; it answers the new database's resource id. */
const RESTORE_CALLS: Record<
  Kind,
  (ctx: ServiceContext, run: RunRecord, from: RestoreFrom) => Promise<string | undefined>
> = {
  instance: async (ctx, run, from) => {
    const config = instanceConfigOf(run);
    const tags = [runTagOf(run)];
    if ('pointInTime' in from) {
      const input = pointInTimeInstanceInput(config, from.pointInTime, tags);
      return (await ctx.rds.send(new RestoreDBInstanceToPointInTimeCommand(input))).DBInstance?.DbiResourceId;
    }
    const input = restoreInstanceInput(config, from.snapshot, tags);
    return (await ctx.rds.send(new RestoreDBInstanceFromDBSnapshotCommand(input))).DBInstance?.DbiResourceId;
  },
  cluster: async (ctx, run, from) => {
    const config = clusterConfigOf(run);
    const tags = [runTagOf(run)];
    if ('pointInTime' in from) {
      const input = pointInTimeClusterInput(config, from.pointInTime, tags);
      return (await ctx.rds.send(new RestoreDBClusterToPointInTimeCommand(input))).DBCluster
        ?.DbClusterResourceId;
    }
    const input = restoreClusterInput(config, from.snapshot, tags);
    return (await ctx.rds.send(new RestoreDBClusterFromSnapshotCommand(input))).DBCluster
      ?.DbClusterResourceId;
  },
};

/**
 * The restore under the run's identifier, with every captured setting and the run's tag, from a snapshot
 * or a point in time (`from`; by default the run's own source).
 */
export function restoreOp(
  ctx: ServiceContext,
  run: RunRecord,
  from: RestoreFrom = restoreFromOf(run),
): PhaseOp {
  const api = DATABASES[run.kind];
  return createOp(ctx, run, {
    api,
    name: run.identifier,
    label: `restore ${api.noun} ${run.identifier} from ${describeRestoreFrom(from)}`,
    what: `restored ${api.noun}`,
    originalId:
      run.kind === 'instance'
        ? instanceConfigOf(run).dbiResourceId
        : clusterConfigOf(run).dbClusterResourceId,
    // A restored instance serves during its baseline backup (its configuration can be checked then);
    // a cluster takes its members once available.
    doneWhen: run.kind === 'instance' ? SERVING_INSTANCE_STATUSES : AVAILABLE,
    passed: past(run, 0),
    create: () => RESTORE_CALLS[run.kind](ctx, run, from),
  });
}

/** A member of the restored cluster, under its original name with its settings (`phase`: its phase). */
export function createMemberOp(
  ctx: ServiceContext,
  run: RunRecord,
  member: ClusterMemberConfig,
  phase: number,
): PhaseOp {
  const config = clusterConfigOf(run);
  return createOp(ctx, run, {
    api: INSTANCE,
    name: member.identifier,
    label: `create ${member.writer ? 'writer' : 'reader'} ${member.identifier} in ${run.identifier}`,
    what: 'member',
    originalId: member.dbiResourceId,
    doneWhen: AVAILABLE,
    passed: past(run, phase),
    belongs: (db) => db.cluster === run.identifier,
    // Creating members while another operation runs on the cluster is refused for a moment.
    notNow: [CLUSTER.busyError],
    create: async () => {
      const input = memberCreateInput(config, member, [runTagOf(run)]);
      const out = await ctx.rds.send(new CreateDBInstanceCommand(input));
      return out.DBInstance?.DbiResourceId;
    },
  });
}

/** How one kind of database takes the settings a restore cannot: described, compared, modified. */
interface Modifier<D> {
  api: DatabaseApi;
  find(ctx: ServiceContext, name: string): Promise<D | undefined>;
  status(d: D): string;
  modification(
    run: RunRecord,
    d: D,
  ): { send(ctx: ServiceContext): Promise<unknown>; applied: string[] } | undefined;
}

const INSTANCE_MODIFIER: Modifier<DBInstance> = {
  api: INSTANCE,
  find: (ctx, name) => findInstance(ctx.rds, name),
  status: (db) => db.DBInstanceStatus ?? 'unknown',
  modification: (run, db) => {
    const mod = postRestoreModification(instanceConfigOf(run), captureInstanceConfig(db));
    return (
      mod && { applied: mod.applied, send: (ctx) => ctx.rds.send(new ModifyDBInstanceCommand(mod.input)) }
    );
  },
};

const CLUSTER_MODIFIER: Modifier<DBCluster> = {
  api: CLUSTER,
  find: (ctx, name) => findCluster(ctx.rds, name),
  status: (c) => c.Status ?? 'unknown',
  modification: (run, c) => {
    const config: ClusterConfig = clusterConfigOf(run);
    const mod = postRestoreClusterModification(config, captureClusterConfig(c, []));
    return (
      mod && { applied: mod.applied, send: (ctx) => ctx.rds.send(new ModifyDBClusterCommand(mod.input)) }
    );
  },
};

/**
 * One modification with what the restore could not take (RDS accepts it once the database is
 * available: not during the baseline backup); done when nothing differs any more.
 */
export function configureOp(ctx: ServiceContext, run: RunRecord): PhaseOp {
  const m = (run.kind === 'instance' ? INSTANCE_MODIFIER : CLUSTER_MODIFIER) as Modifier<unknown>;
  const look = async () => {
    const d = await m.find(ctx, run.identifier);
    return { d, mod: d === undefined ? undefined : m.modification(run, d) };
  };
  return {
    kind: run.kind,
    name: run.identifier,
    label: `apply what the restore could not take to ${run.identifier}`,
    notNow: [m.api.busyError],
    look: async () => {
      const { d, mod } = await look();
      if (d === undefined) {
        return {
          state: 'failed',
          reason: `restored ${m.api.noun} ${run.identifier} disappeared`,
          errorCode: 'Missing',
        };
      }
      if (!mod) return { state: 'done' };
      const status = m.status(d);
      return status === 'available'
        ? { state: 'todo' }
        : { state: 'busy', status: `${status} (configuring)` };
    },
    act: async () => {
      const { mod } = await look();
      if (mod) await mod.send(ctx);
    },
  };
}
