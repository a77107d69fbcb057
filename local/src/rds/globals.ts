/**
 * Aurora global databases, following aws-facts-copies-dr.md §4c: membership, describe, create, modify,
 * delete, remove, the global writer endpoint and the replication-lag metrics. Switchover and failover are
 * in `globalSwitch.ts`.
 * - a global cluster belongs to the account (every region describes it; its ARN has no region); it is kept
 *   in the region where CreateGlobalCluster was called, and its members are the clusters that name it;
 * - CreateGlobalCluster from an existing cluster (it becomes the primary) or empty (the first CreateDBCluster
 *   with GlobalClusterIdentifier is the primary, later ones are read-only secondaries in other regions,
 *   whose instances are all readers);
 * - the global writer endpoint follows the primary and does not answer between the shutdown and 0397.
 */
import { err, RdsError } from './errors';
import { defineTask } from './lifecycle';
import type { DbCluster, DbGlobalCluster, GlobalMembership, Resource } from './model';
import { defaultEngineVersion, parseRdsArn } from './naming';
import { ANSWERING_STATUSES, type AnsweringEndpoint } from './observe';
import { paginate } from './paging';
import { xmlList, type Params, type XmlObject } from './protocol';
import { normaliseId, validateIdentifier } from './settings';
import { RdsState } from './state';
import type { EventName } from './catalog';

export interface Member {
  owner: RdsState;
  cluster: DbCluster;
}

/** The RDS states of the caller's account, every region. */
function accountStates(s: RdsState): RdsState[] {
  return s.world.all().filter((p) => p.identity.accountId === s.identity.accountId);
}

function globalIdOf(ref: string): string {
  return normaliseId(/^arn:aws[\w-]*:rds::\d{12}:global-cluster:(.+)$/.exec(ref)?.[1] ?? ref);
}

/** The global cluster with this identifier (or ARN) in the caller's account, and the region that keeps it. */
export function findGlobal(s: RdsState, ref: string): { home: RdsState; g: DbGlobalCluster } {
  const id = globalIdOf(ref);
  for (const home of accountStates(s)) {
    const g = home.globalClusters.get(id);
    if (g) return { home, g };
  }
  throw err.globalNotFound(ref);
}

/** A cluster by ARN (any region of the caller's account) or by identifier (the caller's region). */
export function locateCluster(s: RdsState, ref: string): Member {
  const arn = parseRdsArn(ref);
  if (!arn) return { owner: s, cluster: s.cluster(ref) };
  if (arn.type !== 'cluster' || arn.accountId !== s.identity.accountId) throw err.clusterNotFound(ref);
  const owner = s.world.partition({ accountId: arn.accountId, region: arn.region });
  return { owner, cluster: owner.cluster(arn.id) };
}

/** The member clusters of a global cluster, the primary first. */
export function membersOf(s: RdsState, g: DbGlobalCluster): Member[] {
  const out: Member[] = [];
  for (const owner of accountStates(s)) {
    for (const cluster of owner.clusters.values()) {
      if (cluster.global?.id === g.id) out.push({ owner, cluster });
    }
  }
  return out.sort(
    (a, b) => Number(b.cluster.global?.role === 'primary') - Number(a.cluster.global?.role === 'primary'),
  );
}

export function primaryOf(members: Member[]): Member | undefined {
  return members.find((m) => m.cluster.global?.role === 'primary');
}

export function memberByArn(s: RdsState, arn: string): Member | undefined {
  try {
    return locateCluster(s, arn);
  } catch {
    return undefined;
  }
}

/** Emits a global-failover event on a member cluster, in its region, naming it and its region. */
export function emitOn(m: Member, name: EventName, vars: Record<string, string> = {}): void {
  m.owner.events.emit('CLUSTER', name, m.cluster.id, m.owner.arnOf(m.cluster), {
    cluster: m.cluster.id,
    region: m.owner.identity.region,
    ...vars,
  });
}

/** The global writer endpoint while it answers: it resolves to the primary cluster's writer. */
export function globalWriterEndpoint(home: RdsState, g: DbGlobalCluster): AnsweringEndpoint | undefined {
  if (g.writerEndpointDown || g.status === 'deleting') return undefined;
  const primary = primaryOf(membersOf(home, g));
  if (!primary || !ANSWERING_STATUSES.has(primary.cluster.status)) return undefined;
  const writer = primary.owner
    .members(primary.cluster.id)
    .some((i) => i.clusterWriter && ANSWERING_STATUSES.has(i.status));
  if (!writer) return undefined;
  return {
    address: home.naming.globalAddress(g.id),
    kind: 'global',
    identifier: primary.owner.arnOf(primary.cluster),
  };
}

/** A member cluster (or one of its instances) changed: the region keeping its global cluster re-evaluates the global endpoint. */
export function refreshGlobalEndpoint(s: RdsState, res: Resource): void {
  let cluster: DbCluster | undefined;
  if (res.kind === 'cluster') cluster = res;
  else if (res.kind === 'instance' && res.clusterId !== undefined) cluster = s.clusters.get(res.clusterId);
  if (!cluster?.global) return;
  for (const home of accountStates(s)) {
    if (home !== s && home.globalClusters.has(cluster.global.id)) home.refreshAvailability();
  }
}

export function renderGlobal(s: RdsState, g: DbGlobalCluster): XmlObject {
  const members = membersOf(s, g);
  const arnOf = (m: Member) => m.owner.arnOf(m.cluster);
  const isWriter = (m: Member) =>
    g.failover ? g.failover.fromArn === arnOf(m) : m.cluster.global?.role === 'primary';
  return {
    GlobalClusterIdentifier: g.id,
    GlobalClusterResourceId: g.resourceId,
    GlobalClusterArn: s.naming.globalArn(g.id),
    Status: g.status,
    Engine: g.engine,
    EngineVersion: g.engineVersion,
    EngineLifecycleSupport: g.engineLifecycleSupport,
    DatabaseName: g.databaseName,
    StorageEncrypted: g.storageEncrypted,
    DeletionProtection: g.deletionProtection,
    GlobalClusterMembers: xmlList(
      'GlobalClusterMember',
      members.map((m) => ({
        DBClusterArn: arnOf(m),
        Readers: xmlList('member', isWriter(m) ? members.filter((o) => !isWriter(o)).map(arnOf) : []),
        IsWriter: isWriter(m),
        GlobalWriteForwardingStatus: 'disabled',
        SynchronizationStatus: m.cluster.global?.synchronization,
      })),
    ),
    Endpoint: s.naming.globalAddress(g.id),
    FailoverState: g.failover
      ? {
          Status: g.failover.status,
          FromDbClusterArn: g.failover.fromArn,
          ToDbClusterArn: g.failover.toArn,
          IsDataLossAllowed: g.failover.dataLoss,
        }
      : undefined,
    TagList: xmlList('Tag', g.tags),
  };
}

export function createGlobalCluster(s: RdsState, p: Params): XmlObject {
  const id = normaliseId(p.req('GlobalClusterIdentifier'));
  validateIdentifier(id, 'GlobalClusterIdentifier');
  if (accountStates(s).some((h) => h.globalClusters.has(id))) throw err.globalExists(id);
  const sourceRef = p.str('SourceDBClusterIdentifier');
  const source = sourceRef === undefined ? undefined : locateCluster(s, sourceRef);
  const c = source?.cluster;
  const engine = c?.engine ?? p.str('Engine');
  if (engine === undefined) {
    throw err.combination(
      'Give Engine (aurora-mysql or aurora-postgresql) for an empty global cluster, or SourceDBClusterIdentifier to build it on an existing cluster.',
    );
  }
  if (c) {
    for (const [param, value] of [
      ['Engine', c.engine],
      ['EngineVersion', c.engineVersion],
    ] as const) {
      const given = p.str(param);
      if (given !== undefined && given !== value) {
        throw err.combination(
          `${param} ${given} does not match the source cluster ${c.id} (${value}): leave it out, Aurora takes it from the source cluster.`,
        );
      }
    }
    if (c.global)
      throw err.clusterState(`DB cluster ${c.id} is already a member of global cluster ${c.global.id}.`);
    if (c.status !== 'available') throw err.clusterState(`DB cluster ${c.id} is not in available state.`);
  }
  if (!engine.startsWith('aurora')) {
    throw err.value(
      `Global clusters need an Aurora engine (aurora-mysql or aurora-postgresql), not ${engine}.`,
    );
  }
  const g: DbGlobalCluster = {
    kind: 'global-cluster',
    key: '',
    id,
    status: 'creating',
    tags: p.tags() ?? [],
    resourceId: s.naming.resourceId('cluster'),
    engine,
    engineVersion: c?.engineVersion ?? p.str('EngineVersion') ?? defaultEngineVersion(engine),
    engineLifecycleSupport: p.str('EngineLifecycleSupport'),
    databaseName: c ? c.databaseName : p.str('DatabaseName'),
    storageEncrypted: c ? c.storageEncrypted : (p.bool('StorageEncrypted') ?? false),
    deletionProtection: p.bool('DeletionProtection') ?? false,
  };
  g.key = s.nextKey(`global-cluster:${g.resourceId}`);
  s.globalClusters.set(id, g);
  if (source && c) {
    c.global = { id, role: 'primary', synchronization: 'connected', lagMs: 0 };
    source.owner.note(c, `primary of global cluster ${id}`);
  }
  s.setStatus(g, 'creating');
  s.sched.task(s.durations.globalClusterCreate, g, globalAvailable(g));
  return { GlobalCluster: renderGlobal(s, g) };
}

const globalAvailable = defineTask('global.available', (s: RdsState, g: DbGlobalCluster) => {
  s.setStatus(g, 'available');
});

/**
 * CreateDBCluster with GlobalClusterIdentifier: the primary when the global cluster has none, else a
 * read-only secondary in a region that has no member yet. Sets the engine, version, user and encryption
 * the membership implies; returns the membership and how long the cluster takes to create.
 */
export function joinGlobal(
  s: RdsState,
  p: Params,
  c: DbCluster,
): { membership: GlobalMembership; duration: number } {
  const { g } = findGlobal(s, p.req('GlobalClusterIdentifier'));
  if (g.status !== 'available' || g.failover) {
    throw err.globalState(`Global cluster ${g.id} is ${g.status}: wait until it is available.`);
  }
  if (c.engine !== g.engine) {
    throw err.combination(`The engine ${c.engine} does not match the global cluster's engine ${g.engine}.`);
  }
  const members = membersOf(s, g);
  const primary = primaryOf(members);
  const here = members.find((m) => m.owner.identity.region === s.identity.region);
  if (here) {
    throw err.globalState(
      `Global cluster ${g.id} already has a member in ${s.identity.region} (${here.cluster.id}); a secondary must be in another Region.`,
    );
  }
  c.engineVersion = g.engineVersion;
  c.storageEncrypted = c.storageEncrypted || g.storageEncrypted;
  if (!primary) {
    p.req('MasterUsername');
    c.databaseName = c.databaseName ?? g.databaseName;
    return {
      membership: { id: g.id, role: 'primary', synchronization: 'connected', lagMs: 0 },
      duration: s.durations.clusterCreate,
    };
  }
  c.masterUsername = primary.cluster.masterUsername;
  c.databaseName = primary.cluster.databaseName;
  return {
    membership: { id: g.id, role: 'secondary', synchronization: 'connected', lagMs: 0 },
    duration: s.durations.globalSecondaryCreate,
  };
}

export function describeGlobalClusters(s: RdsState, p: Params): XmlObject {
  const id = p.str('GlobalClusterIdentifier');
  let list =
    id !== undefined
      ? [findGlobal(s, id).g]
      : accountStates(s).flatMap((h) => [...h.globalClusters.values()]);
  // The one filter RDS documents: global clusters with a member in one of the regions.
  for (const f of p.filters()) {
    if (f.name !== 'region')
      throw err.value(`Unrecognized filter name: ${f.name}; the supported filter is region.`);
    list = list.filter((g) => membersOf(s, g).some((m) => f.values.includes(m.owner.identity.region)));
  }
  const page = paginate(p, list);
  return {
    Marker: page.marker,
    GlobalClusters: xmlList(
      'GlobalClusterMember',
      page.items.map((g) => renderGlobal(s, g)),
    ),
  };
}

/** ModifyGlobalCluster: `DeletionProtection` only (other changes are refused with what to do instead). */
export function modifyGlobalCluster(s: RdsState, p: Params): XmlObject {
  const { home, g } = findGlobal(s, p.req('GlobalClusterIdentifier'));
  for (const param of ['NewGlobalClusterIdentifier', 'EngineVersion', 'AllowMajorVersionUpgrade']) {
    if (p.has(param)) {
      throw err.value(`The local cloud's ModifyGlobalCluster changes DeletionProtection only, not ${param}.`);
    }
  }
  const protect = p.bool('DeletionProtection');
  if (protect !== undefined) {
    g.deletionProtection = protect;
    home.note(g, `deletion protection ${protect ? 'on' : 'off'}`);
  }
  return { GlobalCluster: renderGlobal(s, g) };
}

export function deleteGlobalCluster(s: RdsState, p: Params): XmlObject {
  const { home, g } = findGlobal(s, p.req('GlobalClusterIdentifier'));
  if (g.deletionProtection) {
    throw err.combination(
      `Global cluster ${g.id} has deletion protection: turn it off (ModifyGlobalCluster DeletionProtection=false) first.`,
    );
  }
  const members = membersOf(s, g);
  if (members.length > 0) {
    throw err.globalState(
      `Global cluster ${g.id} still has members (${members.map((m) => m.cluster.id).join(', ')}): detach them with RemoveFromGlobalCluster first.`,
    );
  }
  if (g.status === 'deleting') throw err.globalState(`Global cluster ${g.id} is already being deleted.`);
  home.setStatus(g, 'deleting');
  home.sched.task(home.durations.globalClusterDelete, g, globalDeleted(g));
  return { GlobalCluster: renderGlobal(s, g) };
}

const globalDeleted = defineTask('global.deleted', (s: RdsState, g: DbGlobalCluster) => {
  s.globalClusters.delete(g.id);
  s.setStatus(g, 'deleted');
});

/** RemoveFromGlobalCluster: a secondary becomes a standalone read-write cluster after `promoting`. */
export function removeFromGlobalCluster(s: RdsState, p: Params): XmlObject {
  const { g } = findGlobal(s, p.req('GlobalClusterIdentifier'));
  const m = locateCluster(s, p.req('DbClusterIdentifier'));
  if (m.cluster.global?.id !== g.id) {
    throw err.combination(`DB cluster ${m.cluster.id} is not a member of global cluster ${g.id}.`);
  }
  if (g.failover) throw err.globalState(`Global cluster ${g.id} is ${g.status}: wait until it is available.`);
  const members = membersOf(s, g);
  if (m.cluster.global.role === 'primary' && members.length > 1) {
    throw err.globalState(
      `DB cluster ${m.cluster.id} is the primary of global cluster ${g.id}: remove its secondary clusters first, or switch over to one of them.`,
    );
  }
  const wasSecondary = m.cluster.global.role === 'secondary';
  m.cluster.global = undefined;
  if (wasSecondary) {
    m.owner.sched.cancel(m.cluster);
    m.owner.setStatus(m.cluster, 'promoting', `removed from global cluster ${g.id}`);
    m.owner.sched.task(m.owner.durations.globalMemberPromote, m.cluster, detached(m.cluster));
  } else {
    m.owner.note(m.cluster, `removed from global cluster ${g.id}`);
  }
  return { GlobalCluster: renderGlobal(s, g) };
}

/** A detached secondary writes: its best reader (lowest promotion tier) becomes the writer. */
const detached = defineTask('global.detached', (s: RdsState, c: DbCluster) => {
  promoteWriterOf({ owner: s, cluster: c });
  s.setStatus(c, 'available');
});

export function promoteWriterOf(m: Member): void {
  const members = m.owner.members(m.cluster.id);
  if (members.some((i) => i.clusterWriter)) return;
  const next = members
    .filter((i) => i.status !== 'deleting')
    .sort((a, b) => (a.promotionTier ?? 1) - (b.promotionTier ?? 1))[0];
  if (next) {
    next.clusterWriter = true;
    m.owner.note(next, 'promoted to cluster writer');
  }
}

/**
 * The replication-lag metrics RDS publishes to CloudWatch (namespace AWS/RDS), as the emulator knows them:
 * `ReplicaLag` (seconds; dimension DBInstanceIdentifier) of an available read replica, and
 * `AuroraGlobalDBReplicationLag` / `AuroraGlobalDBRPOLag` (milliseconds; dimensions DBClusterIdentifier and
 * optionally SourceRegion, the primary's region) of a global secondary in this region. Undefined when the
 * metric has no data (not a replica, not available, unknown metric).
 */
export function lagMetric(s: RdsState, name: string, dimensions: Record<string, string>): number | undefined {
  if (name === 'ReplicaLag') {
    const i = s.instances.get((dimensions['DBInstanceIdentifier'] ?? '').toLowerCase());
    if (!i || i.replicaSourceArn === undefined || i.createTime === undefined) return undefined;
    // -1: replication is not active (RDS User Guide, USER_ReadRepl).
    return i.replicationTerminated ? -1 : (i.replicaLagMs ?? 0) / 1000;
  }
  if (name === 'AuroraGlobalDBReplicationLag' || name === 'AuroraGlobalDBRPOLag') {
    const c = s.clusters.get((dimensions['DBClusterIdentifier'] ?? '').toLowerCase());
    if (c?.global?.role !== 'secondary' || c.status !== 'available') return undefined;
    const source = dimensions['SourceRegion'];
    if (source !== undefined) {
      const { g } = findGlobal(s, c.global.id);
      const primary = primaryOf(membersOf(s, g));
      if (primary?.owner.identity.region !== source) return undefined;
    }
    return c.global.lagMs;
  }
  return undefined;
}

/** Admin: the replication lag of a global secondary cluster or a read replica (milliseconds). */
export function setReplicationLag(
  s: RdsState,
  target: { cluster?: string; instance?: string },
  lagMs: number,
): void {
  if (!(lagMs >= 0)) throw new RdsError('InvalidParameterValue', 'lagMs must be a number >= 0');
  if (target.cluster !== undefined) {
    const c = s.cluster(target.cluster);
    if (c.global?.role !== 'secondary') {
      throw new RdsError(
        'InvalidParameterValue',
        `DB cluster ${c.id} is not a secondary of a global cluster.`,
      );
    }
    c.global.lagMs = lagMs;
    return;
  }
  if (target.instance !== undefined) {
    const i = s.instance(target.instance);
    if (i.replicaSourceArn === undefined) {
      throw new RdsError('InvalidParameterValue', `DB instance ${i.id} is not a read replica.`);
    }
    i.replicaLagMs = lagMs;
    return;
  }
  throw new RdsError(
    'InvalidParameterValue',
    'name a cluster (global secondary) or an instance (read replica)',
  );
}

RdsState.onChange.push(refreshGlobalEndpoint);
RdsState.answering.push((s) =>
  [...s.globalClusters.values()].flatMap((g) => {
    const writer = globalWriterEndpoint(s, g);
    return writer ? [writer] : [];
  }),
);
