import {
  CreateDBInstanceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type DBCluster,
  type DBInstance,
} from '@aws-sdk/client-rds';
import {
  captureClusterConfig,
  captureInstanceConfig,
  clusterConfigOf,
  findCluster,
  findInstance,
  instanceConfigOf,
  memberCreateInput,
  nameOf,
  postRestoreClusterModification,
  postRestoreModification,
  restoreClusterInput,
  restoreInstanceInput,
  SERVING_INSTANCE_STATUSES,
  stagingIdentifier,
  type CapturedConfig,
  type ClusterConfig,
  type ClusterMemberConfig,
  type InstanceConfig,
  type Kind,
  type PhaseOp,
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

/**
 * Where a restore puts the copy: under the original's names (`restore`, in place, once the original is
 * set aside), or beside the original under staging names (`restore-beside`, swap, while the original
 * serves). `config` is the captured configuration with the copy's names (the database's and each
 * member's); the resource ids stay the original's, so nothing ever takes the original for the copy.
 */
export interface Placement {
  step: 'restore' | 'restore-beside';
  /** The name of the restored database. */
  name: string;
  config: CapturedConfig;
  /** Whether the copy's endpoints must be the original's (in place; beside, they follow the staging names). */
  sameEndpoints: boolean;
}

/** The placement of a run's restore step (`step`). */
export function placementOf(run: RunRecord, step: Placement['step']): Placement {
  const config = run.kind === 'instance' ? instanceConfigOf(run) : clusterConfigOf(run);
  if (step === 'restore') return { step, name: run.identifier, config, sameEndpoints: true };
  const name = nameOf(run, 'staging');
  const staged: CapturedConfig =
    'members' in config
      ? {
          ...config,
          identifier: name,
          members: config.members.map((m) => ({
            ...m,
            identifier: stagingIdentifier(m.identifier, run.runId),
          })),
        }
      : { ...config, identifier: name };
  return { step, name, config: staged, sameEndpoints: false };
}

const instanceOf = (p: Placement) => p.config as InstanceConfig;
const clusterOf = (p: Placement) => p.config as ClusterConfig;

/** Whether the run's restore has moved past phase `index` (its earlier operations are over). */
const past = (run: RunRecord, p: Placement, index: number) =>
  run.expectation?.step === p.step && (run.expectation.phase?.index ?? -1) > index;

/** The restore call of each kind; it answers the new database's resource id. */
const RESTORE_CALLS: Record<
  Kind,
  (ctx: ServiceContext, run: RunRecord, p: Placement, snapshot: string) => Promise<string | undefined>
> = {
  instance: async (ctx, run, p, snapshot) => {
    const input = restoreInstanceInput(instanceOf(p), snapshot, [runTagOf(run)]);
    return (await ctx.rds.send(new RestoreDBInstanceFromDBSnapshotCommand(input))).DBInstance?.DbiResourceId;
  },
  cluster: async (ctx, run, p, snapshot) => {
    const input = restoreClusterInput(clusterOf(p), snapshot, [runTagOf(run)]);
    return (await ctx.rds.send(new RestoreDBClusterFromSnapshotCommand(input))).DBCluster
      ?.DbClusterResourceId;
  },
};

/** The snapshot restored under the placement's name, with every captured setting and the run's tag. */
export function restoreOp(ctx: ServiceContext, run: RunRecord, p: Placement): PhaseOp {
  const api = DATABASES[run.kind];
  const snapshot = nameOf(run, 'restoreFrom');
  return createOp(ctx, run, {
    api,
    name: p.name,
    label: `restore ${api.noun} ${p.name} from ${snapshot}`,
    what: `restored ${api.noun}`,
    originalId: run.kind === 'instance' ? instanceOf(p).dbiResourceId : clusterOf(p).dbClusterResourceId,
    // A restored instance serves during its baseline backup (its configuration can be checked then);
    // a cluster takes its members once available.
    doneWhen: run.kind === 'instance' ? SERVING_INSTANCE_STATUSES : AVAILABLE,
    passed: past(run, p, 0),
    create: () => RESTORE_CALLS[run.kind](ctx, run, p, snapshot),
  });
}

/** A member of the restored cluster, under its placed name with its settings (`phase`: its phase). */
export function createMemberOp(
  ctx: ServiceContext,
  run: RunRecord,
  p: Placement,
  member: ClusterMemberConfig,
  phase: number,
): PhaseOp {
  const config = clusterOf(p);
  return createOp(ctx, run, {
    api: INSTANCE,
    name: member.identifier,
    label: `create ${member.writer ? 'writer' : 'reader'} ${member.identifier} in ${p.name}`,
    what: 'member',
    originalId: member.dbiResourceId,
    doneWhen: AVAILABLE,
    passed: past(run, p, phase),
    belongs: (db) => db.cluster === p.name,
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
    config: CapturedConfig,
    d: D,
  ): { send(ctx: ServiceContext): Promise<unknown>; applied: string[] } | undefined;
}

const INSTANCE_MODIFIER: Modifier<DBInstance> = {
  api: INSTANCE,
  find: (ctx, name) => findInstance(ctx.rds, name),
  status: (db) => db.DBInstanceStatus ?? 'unknown',
  modification: (config, db) => {
    const mod = postRestoreModification(config as InstanceConfig, captureInstanceConfig(db));
    return (
      mod && { applied: mod.applied, send: (ctx) => ctx.rds.send(new ModifyDBInstanceCommand(mod.input)) }
    );
  },
};

const CLUSTER_MODIFIER: Modifier<DBCluster> = {
  api: CLUSTER,
  find: (ctx, name) => findCluster(ctx.rds, name),
  status: (c) => c.Status ?? 'unknown',
  modification: (config, c) => {
    const mod = postRestoreClusterModification(config as ClusterConfig, captureClusterConfig(c, []));
    return (
      mod && { applied: mod.applied, send: (ctx) => ctx.rds.send(new ModifyDBClusterCommand(mod.input)) }
    );
  },
};

/**
 * One modification with what the restore could not take (RDS accepts it once the database is
 * available: not during the baseline backup); done when nothing differs any more.
 */
export function configureOp(ctx: ServiceContext, run: RunRecord, p: Placement): PhaseOp {
  const m = (run.kind === 'instance' ? INSTANCE_MODIFIER : CLUSTER_MODIFIER) as Modifier<unknown>;
  const look = async () => {
    const d = await m.find(ctx, p.name);
    return { d, mod: d === undefined ? undefined : m.modification(p.config, d) };
  };
  return {
    kind: run.kind,
    name: p.name,
    label: `apply what the restore could not take to ${p.name}`,
    notNow: [m.api.busyError],
    look: async () => {
      const { d, mod } = await look();
      if (d === undefined) {
        return {
          state: 'failed',
          reason: `restored ${m.api.noun} ${p.name} disappeared`,
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
