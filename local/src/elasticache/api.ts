/**
 * The ElastiCache calls a DR plan makes, following aws-facts-copies-dr.md §8 and the API reference:
 * replication groups (create, describe) and global datastores (create, describe with ShowMemberInfo,
 * failover to another region, disassociate a secondary). A global datastore belongs to the account (every
 * region describes it) and is kept where it was created; its members are the replication groups naming it.
 * Statuses: a global datastore is `creating`, then `primary-only` with one member, `modifying` while a
 * secondary joins or leaves or during a failover, `available` with a secondary.
 */
import { defineTask } from '../rds/lifecycle';
import { paginate } from '../rds/paging';
import { xmlList, type Params, type XmlObject } from '../rds/protocol';
import {
  ecErr,
  type ElastiCacheState,
  type GlobalDatastore,
  type ReplicationGroup,
  type Role,
} from './state';

interface Member {
  owner: ElastiCacheState;
  group: ReplicationGroup;
}

function accountStates(s: ElastiCacheState): ElastiCacheState[] {
  return s.world.all().filter((p) => p.identity.accountId === s.identity.accountId);
}

function findGlobal(s: ElastiCacheState, id: string): { home: ElastiCacheState; g: GlobalDatastore } {
  for (const home of accountStates(s)) {
    const g = home.globals.get(id);
    if (g) return { home, g };
  }
  throw ecErr.globalNotFound(id);
}

function membersOf(s: ElastiCacheState, g: GlobalDatastore): Member[] {
  const out: Member[] = [];
  for (const owner of accountStates(s)) {
    for (const group of owner.groups.values()) if (group.global?.id === g.id) out.push({ owner, group });
  }
  return out.sort(
    (a, b) => Number(b.group.global?.role === 'PRIMARY') - Number(a.group.global?.role === 'PRIMARY'),
  );
}

/** Replication group ids: 1-40 letters, digits or hyphens, starting with a letter, no `--`, no trailing `-`. */
function validateGroupId(id: string, param: string): void {
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(id) || id.includes('--') || id.endsWith('-')) {
    throw ecErr.value(
      `The parameter ${param} is not a valid identifier: 1 to 40 letters, digits or hyphens, starting with a letter, without two consecutive hyphens or a trailing hyphen.`,
    );
  }
}

export function renderGroup(s: ElastiCacheState, g: ReplicationGroup): XmlObject {
  const clusters = Array.from(
    { length: g.numCacheClusters },
    (_, i) => `${g.id}-${String(i + 1).padStart(3, '0')}`,
  );
  const port = 6379;
  return {
    ReplicationGroupId: g.id,
    Description: g.description,
    GlobalReplicationGroupInfo: g.global
      ? { GlobalReplicationGroupId: g.global.id, GlobalReplicationGroupMemberRole: g.global.role }
      : undefined,
    Status: g.status,
    PendingModifiedValues: {},
    MemberClusters: xmlList('ClusterId', clusters),
    NodeGroups: xmlList('NodeGroup', [
      {
        NodeGroupId: '0001',
        Status: g.status === 'creating' ? 'creating' : 'available',
        PrimaryEndpoint: { Address: s.endpoint(g.id, false), Port: port },
        ReaderEndpoint: { Address: s.endpoint(g.id, true), Port: port },
        NodeGroupMembers: xmlList(
          'NodeGroupMember',
          clusters.map((c, i) => ({
            CacheClusterId: c,
            CacheNodeId: '0001',
            ReadEndpoint: {
              Address: `${c}.${s.endpoint(g.id, false).split('.').slice(1).join('.')}`,
              Port: port,
            },
            PreferredAvailabilityZone: `${s.identity.region}${'abc'[i % 3]}`,
            // A global secondary has no writer: its primary node replicates from the primary region.
            CurrentRole: i === 0 && g.global?.role !== 'SECONDARY' ? 'primary' : 'replica',
          })),
        ),
      },
    ]),
    AutomaticFailover: g.automaticFailover ? 'enabled' : 'disabled',
    MultiAZ: g.multiAZ ? 'enabled' : 'disabled',
    SnapshotRetentionLimit: 0,
    ClusterEnabled: false,
    CacheNodeType: g.cacheNodeType,
    AuthTokenEnabled: false,
    TransitEncryptionEnabled: g.transitEncryption,
    AtRestEncryptionEnabled: g.atRestEncryption,
    ARN: s.groupArn(g.id),
    ReplicationGroupCreateTime: g.createTime,
    Engine: g.engine,
  };
}

function renderGlobal(s: ElastiCacheState, g: GlobalDatastore, showMembers: boolean): XmlObject {
  return {
    GlobalReplicationGroupId: g.id,
    GlobalReplicationGroupDescription: g.description,
    Status: g.status,
    CacheNodeType: g.cacheNodeType,
    Engine: g.engine,
    EngineVersion: g.engineVersion,
    Members: showMembers
      ? xmlList(
          'GlobalReplicationGroupMember',
          membersOf(s, g).map((m) => ({
            ReplicationGroupId: m.group.id,
            ReplicationGroupRegion: m.owner.identity.region,
            Role: m.group.global?.role,
            AutomaticFailover: m.group.automaticFailover ? 'enabled' : 'disabled',
            Status: 'associated',
          })),
        )
      : undefined,
    ClusterEnabled: false,
    AuthTokenEnabled: false,
    TransitEncryptionEnabled: g.transitEncryption,
    AtRestEncryptionEnabled: g.atRestEncryption,
    ARN: s.globalArn(g.id),
  };
}

export function createReplicationGroup(s: ElastiCacheState, p: Params): XmlObject {
  const id = p.req('ReplicationGroupId').toLowerCase();
  validateGroupId(id, 'ReplicationGroupId');
  const description = p.req('ReplicationGroupDescription');
  if (s.groups.has(id)) throw ecErr.groupExists(id);
  const globalId = p.str('GlobalReplicationGroupId');
  const joined = globalId === undefined ? undefined : findGlobal(s, globalId);
  if (joined) {
    const { g } = joined;
    if (g.status !== 'primary-only' && g.status !== 'available') {
      throw ecErr.globalState(`Global datastore ${g.id} is ${g.status}: wait until it is available.`);
    }
    const here = membersOf(s, g).find((m) => m.owner.identity.region === s.identity.region);
    if (here) {
      throw ecErr.value(
        `Global datastore ${g.id} already has a member in ${s.identity.region} (${here.group.id}); a secondary must be in another Region.`,
      );
    }
    for (const [param, value] of [
      ['Engine', g.engine],
      ['EngineVersion', g.engineVersion],
      ['CacheNodeType', g.cacheNodeType],
    ] as const) {
      const given = p.str(param);
      if (given !== undefined && given !== value) {
        throw ecErr.combination(
          `${param} ${given} differs from the global datastore's (${value}): leave it out, a secondary takes it from the global datastore.`,
        );
      }
    }
  }
  const numCacheClusters = p.int('NumCacheClusters') ?? 1;
  if (numCacheClusters < 1 || numCacheClusters > 6)
    throw ecErr.value('NumCacheClusters must be between 1 and 6.');
  const automaticFailover = p.bool('AutomaticFailoverEnabled') ?? false;
  if (automaticFailover && numCacheClusters < 2) {
    throw ecErr.combination(
      'AutomaticFailoverEnabled needs at least 2 cache clusters (NumCacheClusters >= 2).',
    );
  }
  const g = joined?.g;
  const group: ReplicationGroup = {
    kind: 'replication-group',
    key: '',
    id,
    description,
    status: 'creating',
    engine: g?.engine ?? p.str('Engine') ?? 'redis',
    engineVersion: g?.engineVersion ?? p.str('EngineVersion') ?? '7.1',
    cacheNodeType: g?.cacheNodeType ?? p.req('CacheNodeType'),
    numCacheClusters,
    automaticFailover,
    multiAZ: p.bool('MultiAZEnabled') ?? false,
    transitEncryption: g?.transitEncryption ?? p.bool('TransitEncryptionEnabled') ?? false,
    atRestEncryption: g?.atRestEncryption ?? p.bool('AtRestEncryptionEnabled') ?? false,
    createTime: new Date(),
    tags: p.tags() ?? [],
    global: g ? { id: g.id, role: 'SECONDARY' } : undefined,
  };
  group.key = s.nextKey(`replication-group:${id}`);
  s.groups.set(id, group);
  s.setStatus(group, 'creating');
  const outcome = s.faults.takeOperation('replication-group-create', id);
  if (joined) {
    joined.home.setStatus(joined.g, 'modifying');
    s.sched.task(s.durations.secondaryCreate, group, groupCreated(group, { failed: outcome === 'failed' }));
  } else {
    s.sched.task(
      s.durations.replicationGroupCreate,
      group,
      groupCreated(group, { failed: outcome === 'failed' }),
    );
  }
  return { ReplicationGroup: renderGroup(s, group) };
}

const groupCreated = defineTask(
  'elasticache.group-created',
  (s: ElastiCacheState, group: ReplicationGroup, { failed }: { failed: boolean }) => {
    s.setStatus(group, failed ? 'create-failed' : 'available');
    if (!group.global) return;
    const { home, g } = findGlobal(s, group.global.id);
    if (failed) group.global = undefined;
    settleGlobal(home, g);
  },
);

/** `available` with a secondary, `primary-only` without. */
function settleGlobal(home: ElastiCacheState, g: GlobalDatastore): void {
  const members = membersOf(home, g);
  const secondaries = members.filter(
    (m) => m.group.global?.role === 'SECONDARY' && m.group.status === 'available',
  );
  home.setStatus(g, secondaries.length > 0 ? 'available' : 'primary-only');
}

export function describeReplicationGroups(s: ElastiCacheState, p: Params): XmlObject {
  const id = p.str('ReplicationGroupId');
  const list = id !== undefined ? [s.group(id)] : [...s.groups.values()];
  const page = paginate(p, list);
  return {
    Marker: page.marker,
    ReplicationGroups: xmlList(
      'ReplicationGroup',
      page.items.map((g) => renderGroup(s, g)),
    ),
  };
}

export function createGlobalReplicationGroup(s: ElastiCacheState, p: Params): XmlObject {
  const suffix = p.req('GlobalReplicationGroupIdSuffix');
  const primary = s.group(p.req('PrimaryReplicationGroupId'));
  const id = `${s.globalPrefix()}-${suffix}`;
  if (accountStates(s).some((h) => h.globals.has(id))) throw ecErr.globalExists(id);
  if (primary.global) {
    throw ecErr.groupState(
      `Replication group ${primary.id} is already a member of global datastore ${primary.global.id}.`,
    );
  }
  if (primary.status !== 'available') {
    throw ecErr.groupState(`Replication group ${primary.id} is not available (it is ${primary.status}).`);
  }
  const g: GlobalDatastore = {
    kind: 'global-datastore',
    key: '',
    id,
    description: p.str('GlobalReplicationGroupDescription') ?? '',
    status: 'creating',
    engine: primary.engine,
    engineVersion: primary.engineVersion,
    cacheNodeType: primary.cacheNodeType,
    transitEncryption: primary.transitEncryption,
    atRestEncryption: primary.atRestEncryption,
  };
  g.key = s.nextKey(`global-datastore:${id}`);
  s.globals.set(id, g);
  primary.global = { id, role: 'PRIMARY' };
  s.setStatus(g, 'creating');
  s.sched.task(s.durations.globalCreate, g, globalCreated(g));
  return { GlobalReplicationGroup: renderGlobal(s, g, true) };
}

const globalCreated = defineTask('elasticache.global-created', (s: ElastiCacheState, g: GlobalDatastore) => {
  settleGlobal(s, g);
});

export function describeGlobalReplicationGroups(s: ElastiCacheState, p: Params): XmlObject {
  const id = p.str('GlobalReplicationGroupId');
  const list =
    id !== undefined ? [findGlobal(s, id).g] : accountStates(s).flatMap((h) => [...h.globals.values()]);
  const page = paginate(p, list);
  const showMembers = p.bool('ShowMemberInfo') === true;
  return {
    Marker: page.marker,
    GlobalReplicationGroups: xmlList(
      'GlobalReplicationGroup',
      page.items.map((g) => renderGlobal(s, g, showMembers)),
    ),
  };
}

/**
 * FailoverGlobalReplicationGroup: the named secondary (its region and id) becomes the primary, every other
 * member a secondary. Refused unless the global datastore is `available` (not `primary-only`).
 */
export function failoverGlobalReplicationGroup(s: ElastiCacheState, p: Params): XmlObject {
  const { home, g } = findGlobal(s, p.req('GlobalReplicationGroupId'));
  const region = p.req('PrimaryRegion');
  const groupId = p.req('PrimaryReplicationGroupId').toLowerCase();
  if (g.status !== 'available') {
    throw ecErr.globalState(
      `Global datastore ${g.id} is ${g.status}: a failover needs it available with a secondary (not modifying, not primary-only).`,
    );
  }
  const members = membersOf(s, g);
  const target = members.find((m) => m.owner.identity.region === region && m.group.id === groupId);
  if (!target) {
    throw ecErr.value(
      `${groupId} in ${region} is not a member of global datastore ${g.id}; its members are ${members.map((m) => `${m.group.id} (${m.owner.identity.region})`).join(', ')}.`,
    );
  }
  if (target.group.global?.role === 'PRIMARY') {
    throw ecErr.value(`${groupId} in ${region} is already the primary of global datastore ${g.id}.`);
  }
  const outcome = s.faults.takeOperation('global-datastore-failover', g.id);
  home.setStatus(g, 'modifying');
  for (const m of members) m.owner.setStatus(m.group, 'modifying');
  if (outcome !== 'stuck') {
    home.sched.task(
      home.durations.globalFailover,
      g,
      failedOver(g, { region, group: groupId, failed: outcome === 'failed' }),
    );
  }
  return { GlobalReplicationGroup: renderGlobal(s, g, true) };
}

const failedOver = defineTask(
  'elasticache.failed-over',
  (s: ElastiCacheState, g: GlobalDatastore, a: { region: string; group: string; failed: boolean }) => {
    const members = membersOf(s, g);
    if (!a.failed) {
      for (const m of members) {
        const role: Role =
          m.owner.identity.region === a.region && m.group.id === a.group ? 'PRIMARY' : 'SECONDARY';
        m.group.global = { id: g.id, role };
      }
    } else s.log(`elasticache global datastore ${g.id}: failover to ${a.group} (${a.region}) failed (fault)`);
    for (const m of members) m.owner.setStatus(m.group, 'available');
    settleGlobal(s, g);
  },
);

/** DisassociateGlobalReplicationGroup: a secondary leaves and becomes a standalone read-write group. */
export function disassociateGlobalReplicationGroup(s: ElastiCacheState, p: Params): XmlObject {
  const { home, g } = findGlobal(s, p.req('GlobalReplicationGroupId'));
  const region = p.req('ReplicationGroupRegion');
  const groupId = p.req('ReplicationGroupId').toLowerCase();
  const target = membersOf(s, g).find((m) => m.owner.identity.region === region && m.group.id === groupId);
  if (!target) throw ecErr.value(`${groupId} in ${region} is not a member of global datastore ${g.id}.`);
  if (target.group.global?.role === 'PRIMARY') {
    throw ecErr.value(
      `${groupId} is the primary of global datastore ${g.id}: only a secondary can be disassociated.`,
    );
  }
  if (g.status !== 'available')
    throw ecErr.globalState(`Global datastore ${g.id} is ${g.status}: wait until it is available.`);
  home.setStatus(g, 'modifying');
  target.owner.setStatus(target.group, 'modifying');
  const out = { GlobalReplicationGroup: renderGlobal(s, g, true) };
  home.sched.task(home.durations.disassociate, g, disassociated(g, { region, group: groupId }));
  return out;
}

const disassociated = defineTask(
  'elasticache.disassociated',
  (s: ElastiCacheState, g: GlobalDatastore, a: { region: string; group: string }) => {
    const owner = s.world.partition({ accountId: s.identity.accountId, region: a.region });
    const group = owner.groups.get(a.group);
    if (group?.global?.id === g.id) {
      group.global = undefined;
      owner.setStatus(group, 'available');
    }
    settleGlobal(s, g);
  },
);
