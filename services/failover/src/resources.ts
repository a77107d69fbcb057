import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  FailoverGlobalReplicationGroupCommand,
  type GlobalReplicationGroup,
} from '@aws-sdk/client-elasticache';
import {
  CopyDBClusterSnapshotCommand,
  CreateDBInstanceReadReplicaCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  PromoteReadReplicaCommand,
  SwitchoverGlobalClusterCommand,
  type DBCluster,
  type DBInstance,
  type GlobalCluster,
} from '@aws-sdk/client-rds';
import {
  addressScope,
  findInstance,
  FAILED_INSTANCE_STATUSES,
  errorName,
  isRdsError,
  resourceKey,
  REWIND_TAGS,
  type AddressKind,
  type DrOrigin,
  type DrResource,
  type OpState,
  type PhaseOp,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { cloudWatchFor, elastiCacheFor, rdsIn, type Where } from './clients';

/**
 * What each type of DR resource does, exactly as AWS documents it (aws-facts-copies-dr.md, section 4):
 * - an Aurora global database: `SwitchoverGlobalCluster` (planned: called in the current primary's
 *   region, no data loss) or `FailoverGlobalCluster` with `AllowDataLoss` (unplanned: called in the
 *   target's region). Finished when `FailoverState` is gone and the target is the writer; the writer
 *   endpoint's event (RDS-EVENT-0397) and the switchover/failover events trigger the looks. A switchover
 *   Aurora cancels (it rolls back: the old primary stays) is reported as rolled back;
 * - a cross-region read replica: `PromoteReadReplica`. RDS sends no event for a promotion, so deadline
 *   checks decide; it is refused while the replica is backing up, and then sent again later, within the
 *   deadline. For a failback, the replica is first created from the new primary (`sourceId`) and
 *   promoted once it is replicating;
 * - an ElastiCache global datastore: `FailoverGlobalReplicationGroup` to the target region's group, then
 *   deadline checks until that group is the primary and the datastore is `available` again.
 * Every operation's look decides from describe calls where it stands, so a run after a partial failure
 * passes over what already moved.
 */

export type DrDirection = 'failover' | 'failback';
export type DrMode = 'planned' | 'unplanned';

export interface DrContext {
  ctx: ServiceContext;
  run?: RunRecord;
  direction: DrDirection;
  mode: DrMode;
}

/** Where a resource stands now: its primary, whether it is at the target, and (planned) what blocks it. */
export interface Inspection {
  origin?: DrOrigin;
  /** The target is already the primary (nothing to do). */
  atTarget: boolean;
  /** A move under way (FailoverState, a promoting replica, a modifying datastore). */
  moving: boolean;
  /** Why it cannot be moved now (empty: ready). */
  problems: string[];
  /** What was seen, for reports. */
  detail: string;
}

export interface Adapter<R extends DrResource = DrResource> {
  /** The address it is locked and reported at. */
  address(r: R): { kind: AddressKind; id: string; region: string };
  /** Also locked: the database in the target region (a restore must not touch it meanwhile). */
  alsoLocks?(r: R): { kind: AddressKind; id: string; region: string }[];
  inspect(dr: DrContext, r: R): Promise<Inspection>;
  /** The operations, by stage: the stages of a layer run one after the other. */
  stages(dr: DrContext, r: R, sent: (op: PhaseOp) => boolean): PhaseOp[][];
  /** The command that does it by hand. */
  command(dr: DrContext, r: R): string;
}

const accountOf = (ctx: ServiceContext, r: DrResource) =>
  r.account ?? ctx.config.home?.account ?? '000000000000';
const where = (ctx: ServiceContext, r: DrResource, region: string): Where => ({
  account: accountOf(ctx, r),
  region,
});
const scopeOf = (ctx: ServiceContext, w: Where) => addressScope(w, ctx.config.home) || undefined;
const regionOfArn = (arn: string | undefined) => arn?.split(':')[3] ?? '';
/** The resource id of `arn:aws:rds:<region>:<account>:<type>:<id>`. */
const idOfArn = (arn: string | undefined) => arn?.split(':').slice(6).join(':') ?? '';

/** A refusal ElastiCache answers as `*Exception` (a bad parameter): judged as permanent, like RDS faults. */
class ElastiCacheRefusal extends Error {
  constructor(err: Error) {
    super(`${err.name}: ${err.message}`);
    this.name = err.name.replace(/Exception$/, 'Fault');
  }
}

function asRefusal(err: unknown): unknown {
  const e = err as { name?: string; $fault?: string } | undefined;
  return e?.$fault === 'client' && e.name?.endsWith('Exception') ? new ElastiCacheRefusal(err as Error) : err;
}

// ---- Aurora global databases ----

type AuroraGlobal = Extract<DrResource, { type: 'aurora-global' }>;

async function describeGlobal(dr: DrContext, r: AuroraGlobal): Promise<GlobalCluster | undefined> {
  try {
    const out = await rdsIn(dr.ctx, where(dr.ctx, r, r.targetRegion)).send(
      new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: r.globalClusterId }),
    );
    return out.GlobalClusters?.[0];
  } catch (err) {
    if (isRdsError(err, 'GlobalClusterNotFoundFault')) return undefined;
    throw err;
  }
}

const isTargetArn = (r: AuroraGlobal) => (arn: string | undefined) =>
  regionOfArn(arn) === r.targetRegion && idOfArn(arn) === r.targetClusterId;

function auroraState(g: GlobalCluster, r: AuroraGlobal) {
  const members = g.GlobalClusterMembers ?? [];
  const writer = members.find((m) => m.IsWriter);
  const target = members.find((m) => isTargetArn(r)(m.DBClusterArn));
  // During a switchover the old writer still shows IsWriter: only FailoverState's absence says it ended.
  const moving = Boolean(g.FailoverState?.Status);
  const atTarget = !moving && Boolean(writer && isTargetArn(r)(writer.DBClusterArn));
  return { writer, target, moving, atTarget };
}

async function describeCluster(dr: DrContext, r: DrResource, id: string, region: string) {
  try {
    const out = await rdsIn(dr.ctx, where(dr.ctx, r, region)).send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: id }),
    );
    return out.DBClusters?.[0];
  } catch (err) {
    if (isRdsError(err, 'DBClusterNotFoundFault')) return undefined;
    throw err;
  }
}

const optedIn = (dr: DrContext, tags: { Key?: string; Value?: string }[] | undefined) =>
  (tags ?? []).some((t) => t.Key === dr.ctx.config.optIn.key && t.Value === dr.ctx.config.optIn.value);

function optInProblem(dr: DrContext, what: string, tags: { Key?: string; Value?: string }[] | undefined) {
  const { key, value } = dr.ctx.config.optIn;
  return optedIn(dr, tags) ? [] : [`${what} has no tag ${key}=${value}; add the tag to let Rewind move it`];
}

/** The automated snapshots Aurora takes of an old primary before it rejoins after an unplanned failover. */
const UNPLANNED_PREFIX = 'rds:unplanned-global-failover-';

/** The manual copy's name: the automated name without `rds:` (63 characters at most, as CopyDBClusterSnapshot allows). */
export function keptSnapshotName(automated: string): string {
  const bare = automated
    .replace(/^rds:/, '')
    .replace(/[^A-Za-z0-9-]/g, '-')
    .replace(/-+/g, '-');
  return bare.length <= 63 ? bare.replace(/-$/, '') : `kept-${bare.slice(-58)}`.replace(/-$/, '');
}

function keepSnapshots(dr: DrContext, r: AuroraGlobal): PhaseOp {
  const w = where(dr.ctx, r, r.targetRegion);
  const rds = rdsIn(dr.ctx, w);
  const list = async () => {
    const out = await rds.send(
      new DescribeDBClusterSnapshotsCommand({
        DBClusterIdentifier: r.targetClusterId,
        SnapshotType: 'automated',
      }),
    );
    return (out.DBClusterSnapshots ?? []).filter((s) =>
      s.DBClusterSnapshotIdentifier?.startsWith(UNPLANNED_PREFIX),
    );
  };
  const copyOf = async (name: string) => {
    try {
      const out = await rds.send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: name }),
      );
      return out.DBClusterSnapshots?.[0];
    } catch (err) {
      if (isRdsError(err, 'DBClusterSnapshotNotFoundFault')) return undefined;
      throw err;
    }
  };
  return {
    kind: 'cluster-snapshot',
    name: `${r.targetClusterId}-kept`,
    scope: scopeOf(dr.ctx, w),
    label: `keep (copy) the snapshots Aurora took of ${r.targetClusterId} after an unplanned failover`,
    look: async () => {
      const automated = await list();
      const copies = await Promise.all(
        automated.map((s) => copyOf(keptSnapshotName(s.DBClusterSnapshotIdentifier!))),
      );
      if (copies.some((c) => !c)) return { state: 'todo' };
      const busy = copies.filter((c) => c!.Status !== 'available');
      if (busy.length) return { state: 'busy', status: `copying ${busy.length} snapshot(s)` };
      return {
        state: 'done',
        data: { [`kept:${r.targetClusterId}`]: copies.map((c) => c!.DBClusterSnapshotIdentifier!) },
      };
    },
    act: async () => {
      for (const s of await list()) {
        const target = keptSnapshotName(s.DBClusterSnapshotIdentifier!);
        if (await copyOf(target)) continue;
        try {
          await rds.send(
            new CopyDBClusterSnapshotCommand({
              SourceDBClusterSnapshotIdentifier: s.DBClusterSnapshotIdentifier!,
              TargetDBClusterSnapshotIdentifier: target,
              CopyTags: true,
            }),
          );
        } catch (err) {
          if (!isRdsError(err, 'DBClusterSnapshotAlreadyExistsFault')) throw err;
        }
      }
    },
  };
}

const aurora: Adapter<AuroraGlobal> = {
  address: (r) => ({ kind: 'global-cluster', id: r.globalClusterId, region: r.targetRegion }),
  alsoLocks: (r) => [{ kind: 'cluster', id: r.targetClusterId, region: r.targetRegion }],
  async inspect(dr, r) {
    const g = await describeGlobal(dr, r);
    if (!g) {
      return {
        atTarget: false,
        moving: false,
        problems: [`global cluster ${r.globalClusterId} does not exist`],
        detail: 'not found',
      };
    }
    const { writer, target, moving, atTarget } = auroraState(g, r);
    const origin: DrOrigin | undefined = writer && {
      region: regionOfArn(writer.DBClusterArn),
      id: idOfArn(writer.DBClusterArn),
      arn: writer.DBClusterArn,
      targetArn: target?.DBClusterArn,
    };
    const detail = `writer ${origin ? `${origin.id} (${origin.region})` : 'none'}; status ${g.Status ?? 'unknown'}${
      g.FailoverState?.Status ? `; ${g.FailoverState.Status}` : ''
    }`;
    if (atTarget) return { origin, atTarget, moving, problems: [], detail };
    const problems: string[] = [];
    if (!target) {
      problems.push(
        `${r.targetClusterId} (${r.targetRegion}) is not a member of global cluster ${r.globalClusterId}; add it as a secondary or fix the plan`,
      );
    }
    if (moving) problems.push(`a ${g.FailoverState!.Status} is already under way on ${r.globalClusterId}`);
    const cluster = target && (await describeCluster(dr, r, r.targetClusterId, r.targetRegion));
    if (target && !cluster) problems.push(`cluster ${r.targetClusterId} not found in ${r.targetRegion}`);
    if (cluster) problems.push(...clusterProblems(dr, r, cluster));
    if (dr.mode === 'planned' && target) {
      if (g.Status !== 'available') problems.push(`global cluster status is ${g.Status}, not available`);
      if (target.SynchronizationStatus && target.SynchronizationStatus !== 'connected') {
        problems.push(
          `${r.targetClusterId} is ${target.SynchronizationStatus}, not synchronised with the primary (a switchover waits for it)`,
        );
      }
    }
    return { origin, atTarget, moving, problems, detail };
  },
  stages(dr, r, sent) {
    const move = moveAurora(dr, r, sent);
    return dr.direction === 'failback' ? [[keepSnapshots(dr, r)], [move]] : [[move]];
  },
  command(dr, r) {
    const origin = dr.run?.dr?.origins[resourceKey(r)];
    const targetArn = origin?.targetArn ?? `<ARN of ${r.targetClusterId}>`;
    return dr.mode === 'planned'
      ? `aws rds switchover-global-cluster --region ${origin?.region ?? '<primary region>'} --global-cluster-identifier ${r.globalClusterId} --target-db-cluster-identifier ${targetArn}`
      : `aws rds failover-global-cluster --region ${r.targetRegion} --global-cluster-identifier ${r.globalClusterId} --target-db-cluster-identifier ${targetArn} --allow-data-loss`;
  },
};

function clusterProblems(dr: DrContext, r: AuroraGlobal, cluster: DBCluster): string[] {
  const problems = optInProblem(dr, `cluster ${r.targetClusterId} (${r.targetRegion})`, cluster.TagList);
  // "You can't switch or fail over to a headless secondary."
  if (!(cluster.DBClusterMembers ?? []).length) {
    problems.push(
      `${r.targetClusterId} has no DB instance (a headless secondary cannot become primary); add a reader to it`,
    );
  }
  if (dr.mode === 'planned' && cluster.Status !== 'available') {
    problems.push(`${r.targetClusterId} is ${cluster.Status}, not available`);
  }
  return problems;
}

function moveAurora(dr: DrContext, r: AuroraGlobal, sent: (op: PhaseOp) => boolean): PhaseOp {
  const w = where(dr.ctx, r, r.targetRegion);
  const planned = dr.mode === 'planned';
  const op: PhaseOp = {
    kind: 'cluster',
    name: r.targetClusterId,
    scope: scopeOf(dr.ctx, w),
    label: `${planned ? 'SwitchoverGlobalCluster' : 'FailoverGlobalCluster (AllowDataLoss)'} ${r.globalClusterId} to ${r.targetClusterId} (${r.targetRegion})`,
    look: async (): Promise<OpState> => {
      const g = await describeGlobal(dr, r);
      if (!g) {
        return {
          state: 'failed',
          reason: `global cluster ${r.globalClusterId} disappeared`,
          errorCode: 'GlobalClusterNotFoundFault',
        };
      }
      const { writer, moving, atTarget } = auroraState(g, r);
      if (atTarget) {
        return { state: 'done', data: { [`endpoint:${r.globalClusterId}`]: g.Endpoint ?? '' } };
      }
      if (moving) return { state: 'busy', status: `${g.Status}: ${g.FailoverState!.Status}` };
      if (!sent(op)) return { state: 'todo' };
      const primary = idOfArn(writer?.DBClusterArn) || 'no cluster';
      return planned
        ? {
            state: 'failed',
            reason: `the switchover of ${r.globalClusterId} to ${r.targetClusterId} did not finish and Aurora rolled it back: ${primary} is still the primary`,
            errorCode: 'SwitchoverRolledBack',
          }
        : {
            state: 'failed',
            reason: `the failover of ${r.globalClusterId} to ${r.targetClusterId} ended without making it the writer (writer: ${primary})`,
            errorCode: 'FailoverNotCompleted',
          };
    },
    act: async () => {
      const origin = dr.run?.dr?.origins[resourceKey(r)];
      const targetArn = origin?.targetArn;
      if (!targetArn) throw new Error(`the run recorded no ARN for ${r.targetClusterId}`);
      if (planned) {
        // Called in the region of the current primary.
        await rdsIn(dr.ctx, where(dr.ctx, r, origin.region)).send(
          new SwitchoverGlobalClusterCommand({
            GlobalClusterIdentifier: r.globalClusterId,
            TargetDbClusterIdentifier: targetArn,
          }),
        );
      } else {
        // Called in the region of the secondary being promoted.
        await rdsIn(dr.ctx, w).send(
          new FailoverGlobalClusterCommand({
            GlobalClusterIdentifier: r.globalClusterId,
            TargetDbClusterIdentifier: targetArn,
            AllowDataLoss: true,
          }),
        );
      }
    },
    // Another operation on the global cluster: sent again later, within the deadline.
    notNow: ['InvalidGlobalClusterStateFault'],
  };
  return op;
}

// ---- cross-region read replicas ----

type RdsReplica = Extract<DrResource, { type: 'rds-replica' }>;

const replicaSourceOf = (i: DBInstance) => i.ReadReplicaSourceDBInstanceIdentifier;
const DEFAULT_MAX_LAG_SECONDS = 30;

/**
 * The replica's lag in seconds from CloudWatch (`AWS/RDS` `ReplicaLag`, the newest minute of the last
 * five), -1 when replication is not active, undefined when RDS published no datapoint.
 */
async function replicaLag(dr: DrContext, r: RdsReplica): Promise<number | undefined> {
  const now = dr.ctx.now();
  const out = await cloudWatchFor(dr.ctx, where(dr.ctx, r, r.replicaRegion)).send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/RDS',
      MetricName: 'ReplicaLag',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: r.replicaId }],
      StartTime: new Date(now.getTime() - 5 * 60_000),
      EndTime: now,
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  const newest = [...(out.Datapoints ?? [])].sort(
    (a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0),
  )[0];
  return newest?.Maximum;
}

/** Why the replica is too far behind to be promoted without losing writes, if it is. */
async function lagProblem(dr: DrContext, r: RdsReplica): Promise<string | undefined> {
  const lag = await replicaLag(dr, r);
  const max = r.maxLagSeconds ?? DEFAULT_MAX_LAG_SECONDS;
  if (lag === undefined || (lag >= 0 && lag <= max)) return undefined;
  return lag < 0
    ? 'replication is not active (ReplicaLag -1)'
    : `replica lag is ${lag} s, above ${max} s (maxLagSeconds)`;
}
const replicating = (i: DBInstance) =>
  (i.StatusInfos ?? []).find((s) => s.StatusType === 'read replication')?.Status ?? 'unknown';

const replica: Adapter<RdsReplica> = {
  address: (r) => ({ kind: 'instance', id: r.replicaId, region: r.replicaRegion }),
  async inspect(dr, r) {
    const rds = rdsIn(dr.ctx, where(dr.ctx, r, r.replicaRegion));
    const i = await findInstance(rds, r.replicaId);
    const creates = dr.direction === 'failback' && r.sourceId;
    if (!i) {
      if (!creates) {
        return {
          atTarget: false,
          moving: false,
          problems: [`instance ${r.replicaId} not found in ${r.replicaRegion}`],
          detail: 'not found',
        };
      }
      // Failback: the replica is created from the new primary, which must exist and be opted in.
      const source = await findInstance(rdsIn(dr.ctx, where(dr.ctx, r, r.sourceRegion)), r.sourceId!);
      const problems = source
        ? [
            ...optInProblem(dr, `instance ${r.sourceId} (${r.sourceRegion})`, source.TagList),
            ...(source.BackupRetentionPeriod
              ? []
              : [
                  `${r.sourceId} has automated backups off; a read replica needs them: aws rds modify-db-instance --region ${r.sourceRegion} --db-instance-identifier ${r.sourceId} --backup-retention-period 7 --apply-immediately`,
                ]),
          ]
        : [`instance ${r.sourceId} (the primary to replicate from) not found in ${r.sourceRegion}`];
      return {
        origin: source && { region: r.sourceRegion, id: r.sourceId!, arn: source.DBInstanceArn },
        atTarget: false,
        moving: false,
        problems,
        detail: `${r.replicaId} to be created from ${r.sourceId}`,
      };
    }
    const source = replicaSourceOf(i);
    const detail = `${r.replicaId} ${i.DBInstanceStatus}${source ? `, replica of ${source} (${replicating(i)})` : ', standalone'}`;
    const origin: DrOrigin = {
      region: source ? regionOfArn(source) || r.sourceRegion : r.replicaRegion,
      id: source ? idOfArn(source) || source : r.replicaId,
      arn: source,
    };
    if (!source) {
      if (creates && i.DBInstanceStatus === 'available') {
        return {
          origin,
          atTarget: false,
          moving: false,
          problems: [
            `${r.replicaId} exists in ${r.replicaRegion} and is not a replica of ${r.sourceId}; name a new replica (replicaId) for the failback`,
          ],
          detail,
        };
      }
      return {
        origin,
        atTarget: i.DBInstanceStatus === 'available',
        moving: i.DBInstanceStatus !== 'available',
        problems: [],
        detail,
      };
    }
    const problems = optInProblem(dr, `instance ${r.replicaId} (${r.replicaRegion})`, i.TagList);
    if (FAILED_INSTANCE_STATUSES.has(i.DBInstanceStatus ?? ''))
      problems.push(`${r.replicaId} is ${i.DBInstanceStatus}`);
    if (dr.mode === 'planned') {
      const state = replicating(i);
      if (state !== 'replicating') {
        problems.push(
          `replication state is ${state} (not replicating); the replica may be behind its source`,
        );
      } else {
        const lag = await lagProblem(dr, r);
        if (lag) problems.push(lag);
      }
      if (i.DBInstanceStatus !== 'available' && i.DBInstanceStatus !== 'backing-up') {
        problems.push(`${r.replicaId} is ${i.DBInstanceStatus}, not available`);
      }
    }
    return { origin, atTarget: false, moving: false, problems, detail };
  },
  stages(dr, r, sent) {
    const promote = promoteReplica(dr, r, sent);
    return dr.direction === 'failback' && r.sourceId ? [[createReplica(dr, r)], [promote]] : [[promote]];
  },
  command(_dr, r) {
    return `aws rds promote-read-replica --region ${r.replicaRegion} --db-instance-identifier ${r.replicaId} --backup-retention-period 7`;
  },
};

function createReplica(dr: DrContext, r: RdsReplica): PhaseOp {
  const w = where(dr.ctx, r, r.replicaRegion);
  const rds = rdsIn(dr.ctx, w);
  return {
    kind: 'instance',
    name: r.replicaId,
    scope: scopeOf(dr.ctx, w),
    label: `CreateDBInstanceReadReplica ${r.replicaId} (${r.replicaRegion}) of ${r.sourceId} (${r.sourceRegion})`,
    look: async () => {
      const i = await findInstance(rds, r.replicaId);
      if (!i) return { state: 'todo' };
      if (FAILED_INSTANCE_STATUSES.has(i.DBInstanceStatus ?? '')) {
        return {
          state: 'failed',
          reason: `replica ${r.replicaId} ended ${i.DBInstanceStatus}`,
          errorCode: i.DBInstanceStatus,
        };
      }
      return { state: 'done' };
    },
    act: async () => {
      const source = dr.run?.dr?.origins[resourceKey(r)]?.arn;
      if (!source) throw new Error(`the run recorded no ARN for ${r.sourceId}`);
      try {
        // Called in the replica's region with the source's ARN (the SDK presigns for the source region);
        // opted in from its creation, so that Rewind may promote it (and move it in a later plan).
        const { key, value } = dr.ctx.config.optIn;
        await rds.send(
          new CreateDBInstanceReadReplicaCommand({
            DBInstanceIdentifier: r.replicaId,
            SourceDBInstanceIdentifier: source,
            KmsKeyId: r.kmsKeyId,
            Tags: [
              { Key: key, Value: value },
              { Key: REWIND_TAGS.runId, Value: dr.run!.runId },
            ],
          }),
        );
      } catch (err) {
        if (!isRdsError(err, 'DBInstanceAlreadyExists')) throw err;
      }
    },
  };
}

function promoteReplica(dr: DrContext, r: RdsReplica, sent: (op: PhaseOp) => boolean): PhaseOp {
  const w = where(dr.ctx, r, r.replicaRegion);
  const rds = rdsIn(dr.ctx, w);
  const catchUp = dr.direction === 'failback' && Boolean(r.sourceId);
  const op: PhaseOp = {
    kind: 'instance',
    name: r.replicaId,
    scope: scopeOf(dr.ctx, w),
    label: `PromoteReadReplica ${r.replicaId} (${r.replicaRegion})`,
    look: async (): Promise<OpState> => {
      const i = await findInstance(rds, r.replicaId);
      if (!i) {
        return {
          state: 'failed',
          reason: `instance ${r.replicaId} not found in ${r.replicaRegion}`,
          errorCode: 'DBInstanceNotFound',
        };
      }
      const status = i.DBInstanceStatus ?? 'unknown';
      if (FAILED_INSTANCE_STATUSES.has(status)) {
        return { state: 'failed', reason: `${r.replicaId} is ${status}`, errorCode: status };
      }
      if (!replicaSourceOf(i)) {
        return status === 'available'
          ? { state: 'done', data: { [`endpoint:${r.replicaId}`]: i.Endpoint?.Address ?? '' } }
          : { state: 'busy', status: `promoting: ${status}` };
      }
      if (sent(op) && status !== 'available' && status !== 'backing-up') {
        return { state: 'busy', status: `promoting: ${status}` };
      }
      // RDS refuses to promote a replica that is backing up: wait for it (the check looks again).
      if (status === 'backing-up') return { state: 'busy', status: 'backing-up (a promotion waits for it)' };
      if (status !== 'available') return { state: 'busy', status };
      // Failback: the new replica is promoted once it has caught up with the new primary.
      if (catchUp && replicating(i) !== 'replicating') {
        return { state: 'busy', status: `catching up (replication ${replicating(i)})` };
      }
      const behind = catchUp ? await lagProblem(dr, r) : undefined;
      if (behind) return { state: 'busy', status: `catching up (${behind})` };
      return { state: 'todo' };
    },
    act: async () => {
      await rds.send(
        new PromoteReadReplicaCommand({ DBInstanceIdentifier: r.replicaId, BackupRetentionPeriod: 7 }),
      );
    },
    // "A read replica cannot be promoted ... when it is in the backing-up status": sent again later.
    notNow: ['InvalidDBInstanceState'],
  };
  return op;
}

// ---- ElastiCache global datastores ----

type CacheGlobal = Extract<DrResource, { type: 'elasticache-global' }>;

async function describeDatastore(dr: DrContext, r: CacheGlobal): Promise<GlobalReplicationGroup | undefined> {
  try {
    const out = await elastiCacheFor(dr.ctx, where(dr.ctx, r, r.targetRegion)).send(
      new DescribeGlobalReplicationGroupsCommand({
        GlobalReplicationGroupId: r.globalReplicationGroupId,
        ShowMemberInfo: true,
      }),
    );
    return out.GlobalReplicationGroups?.[0];
  } catch (err) {
    if (errorName(err) === 'GlobalReplicationGroupNotFoundFault') return undefined;
    throw err;
  }
}

function cacheState(g: GlobalReplicationGroup, r: CacheGlobal) {
  const members = g.Members ?? [];
  const primary = members.find((m) => m.Role?.toUpperCase() === 'PRIMARY');
  const target = members.find(
    (m) => m.ReplicationGroupId === r.targetReplicationGroupId && m.ReplicationGroupRegion === r.targetRegion,
  );
  const moving = g.Status !== 'available';
  const atTarget = !moving && primary === target && Boolean(target);
  return { primary, target, moving, atTarget };
}

const cache: Adapter<CacheGlobal> = {
  address: (r) => ({
    kind: 'global-replication-group',
    id: r.globalReplicationGroupId,
    region: r.targetRegion,
  }),
  async inspect(dr, r) {
    const g = await describeDatastore(dr, r);
    if (!g) {
      return {
        atTarget: false,
        moving: false,
        problems: [`global datastore ${r.globalReplicationGroupId} does not exist`],
        detail: 'not found',
      };
    }
    const { primary, target, moving, atTarget } = cacheState(g, r);
    const origin: DrOrigin | undefined = primary && {
      region: primary.ReplicationGroupRegion ?? '',
      id: primary.ReplicationGroupId ?? '',
    };
    const detail = `primary ${primary ? `${primary.ReplicationGroupId} (${primary.ReplicationGroupRegion})` : 'none'}; status ${g.Status}`;
    if (atTarget) return { origin, atTarget, moving, problems: [], detail };
    const problems: string[] = [];
    if (!target) {
      problems.push(
        `${r.targetReplicationGroupId} (${r.targetRegion}) is not a member of global datastore ${r.globalReplicationGroupId}; fix the plan`,
      );
    }
    if (dr.mode === 'planned') {
      if (moving) problems.push(`global datastore status is ${g.Status}, not available`);
      if (target && target.Status && target.Status !== 'associated') {
        problems.push(`${r.targetReplicationGroupId} is ${target.Status}, not associated`);
      }
      if (target) {
        const out = await elastiCacheFor(dr.ctx, where(dr.ctx, r, r.targetRegion)).send(
          new DescribeReplicationGroupsCommand({ ReplicationGroupId: r.targetReplicationGroupId }),
        );
        const group = out.ReplicationGroups?.[0];
        if (group?.Status !== 'available') {
          problems.push(
            `replication group ${r.targetReplicationGroupId} is ${group?.Status ?? 'missing'}, not available`,
          );
        }
      }
    }
    return { origin, atTarget, moving, problems, detail };
  },
  stages(dr, r, sent) {
    return [[failoverCache(dr, r, sent)]];
  },
  command(_dr, r) {
    return `aws elasticache failover-global-replication-group --region ${r.targetRegion} --global-replication-group-id ${r.globalReplicationGroupId} --primary-region ${r.targetRegion} --primary-replication-group-id ${r.targetReplicationGroupId}`;
  },
};

function failoverCache(dr: DrContext, r: CacheGlobal, sent: (op: PhaseOp) => boolean): PhaseOp {
  const w = where(dr.ctx, r, r.targetRegion);
  const op: PhaseOp = {
    kind: 'global-replication-group',
    name: r.globalReplicationGroupId,
    scope: scopeOf(dr.ctx, w),
    label: `FailoverGlobalReplicationGroup ${r.globalReplicationGroupId} to ${r.targetReplicationGroupId} (${r.targetRegion})`,
    look: async (): Promise<OpState> => {
      const g = await describeDatastore(dr, r);
      if (!g) {
        return {
          state: 'failed',
          reason: `global datastore ${r.globalReplicationGroupId} disappeared`,
          errorCode: 'GlobalReplicationGroupNotFoundFault',
        };
      }
      const { primary, moving, atTarget } = cacheState(g, r);
      if (atTarget) return { state: 'done' };
      if (moving) return { state: 'busy', status: `${g.Status}` };
      if (!sent(op)) return { state: 'todo' };
      return {
        state: 'failed',
        reason: `${r.globalReplicationGroupId} is available with ${primary?.ReplicationGroupId ?? 'no group'} still primary after the failover call`,
        errorCode: 'FailoverNotCompleted',
      };
    },
    act: async () => {
      try {
        await elastiCacheFor(dr.ctx, w).send(
          new FailoverGlobalReplicationGroupCommand({
            GlobalReplicationGroupId: r.globalReplicationGroupId,
            PrimaryRegion: r.targetRegion,
            PrimaryReplicationGroupId: r.targetReplicationGroupId,
          }),
        );
      } catch (err) {
        throw asRefusal(err);
      }
    },
    notNow: ['InvalidGlobalReplicationGroupStateFault'],
  };
  return op;
}

const ADAPTERS: { [T in DrResource['type']]: Adapter<Extract<DrResource, { type: T }>> } = {
  'aurora-global': aurora,
  'rds-replica': replica,
  'elasticache-global': cache,
};

export function adapterOf<R extends DrResource>(r: R): Adapter<R> {
  return ADAPTERS[r.type] as unknown as Adapter<R>;
}
