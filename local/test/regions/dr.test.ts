/**
 * The DR services through the edge with the real SDK, in two regions. ElastiCache global datastores: a
 * primary-only datastore refuses a failover; a secondary joins from another region;
 * FailoverGlobalReplicationGroup swaps the roles (and back); faults; DisassociateGlobalReplicationGroup
 * leaves a standalone group. CloudWatch: the replication lag of a global secondary and of a read replica.
 */
import {
  CreateGlobalReplicationGroupCommand,
  CreateReplicationGroupCommand,
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  DisassociateGlobalReplicationGroupCommand,
  ElastiCacheClient,
  FailoverGlobalReplicationGroupCommand,
  type GlobalReplicationGroup,
} from '@aws-sdk/client-elasticache';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  CreateGlobalClusterCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  DeleteDBInstanceCommand,
  PromoteReadReplicaCommand,
} from '@aws-sdk/client-rds';
import { spawnLocalCloud, type LocalCloud } from '../../src';
import { clientsFor, errorOf, eventually, type Clients } from './places';

let cloud: LocalCloud;
let east: ElastiCacheClient;
let west: ElastiCacheClient;

const client = (region: string) =>
  new ElastiCacheClient({
    endpoint: cloud.endpoint,
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });

beforeAll(async () => {
  cloud = await spawnLocalCloud({
    provision: false,
    functions: false,
    rds: { timeScale: 0.0005 },
  });
  east = client('us-east-1');
  west = client('us-west-2');
});
afterAll(async () => {
  east?.destroy();
  west?.destroy();
  await cloud?.stop();
});

async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(new URL(`/_rewind/elasticache/${path}`, cloud.endpoint), {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const group = async (c: ElastiCacheClient, id: string) =>
  (await c.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups?.[0];
const groupUntil = (c: ElastiCacheClient, id: string, status: string) =>
  eventually(
    () => group(c, id),
    (g) => g?.Status === status,
  );
const globalOf = async (c: ElastiCacheClient, id: string, members = true) =>
  (
    await c.send(
      new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: id, ShowMemberInfo: members }),
    )
  ).GlobalReplicationGroups?.[0] as GlobalReplicationGroup;
const globalUntil = (c: ElastiCacheClient, id: string, status: string) =>
  eventually(
    () => globalOf(c, id),
    (g) => g.Status === status,
  );
const roles = (g: GlobalReplicationGroup) =>
  g.Members?.map((m) => `${m.ReplicationGroupRegion} ${m.ReplicationGroupId} ${m.Role} ${m.Status}`);

/** A primary in us-east-1 made global, with a secondary in us-west-2; returns the global datastore id. */
async function globalDatastore(name: string): Promise<string> {
  await east.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: `${name}-east`,
      ReplicationGroupDescription: `${name} primary`,
      Engine: 'redis',
      CacheNodeType: 'cache.r7g.large',
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
    }),
  );
  await groupUntil(east, `${name}-east`, 'available');
  const { GlobalReplicationGroup: created } = await east.send(
    new CreateGlobalReplicationGroupCommand({
      GlobalReplicationGroupIdSuffix: name,
      PrimaryReplicationGroupId: `${name}-east`,
    }),
  );
  const id = created!.GlobalReplicationGroupId!;
  expect(id).toMatch(new RegExp(`^[a-z]{5}-${name}$`));
  await globalUntil(east, id, 'primary-only');
  await west.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: `${name}-west`,
      ReplicationGroupDescription: `${name} secondary`,
      GlobalReplicationGroupId: id,
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
    }),
  );
  await globalUntil(west, id, 'available');
  return id;
}

test('a secondary joins from another region; failover swaps the roles and back', async () => {
  await east.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'lonely',
      ReplicationGroupDescription: 'primary only',
      CacheNodeType: 'cache.t4g.small',
    }),
  );
  await groupUntil(east, 'lonely', 'available');
  const { GlobalReplicationGroup: lonely } = await east.send(
    new CreateGlobalReplicationGroupCommand({
      GlobalReplicationGroupIdSuffix: 'lonely',
      PrimaryReplicationGroupId: 'lonely',
    }),
  );
  await globalUntil(east, lonely!.GlobalReplicationGroupId!, 'primary-only');
  expect(
    await errorOf(
      east.send(
        new FailoverGlobalReplicationGroupCommand({
          GlobalReplicationGroupId: lonely!.GlobalReplicationGroupId,
          PrimaryRegion: 'us-east-1',
          PrimaryReplicationGroupId: 'lonely',
        }),
      ),
    ),
  ).toMatchObject({
    name: 'InvalidGlobalReplicationGroupState',
    message: expect.stringContaining('primary-only'),
  });

  const id = await globalDatastore('sessions');
  const g = await globalOf(west, id);
  expect(g).toMatchObject({ Engine: 'redis', CacheNodeType: 'cache.r7g.large', Status: 'available' });
  expect(roles(g)).toEqual([
    'us-east-1 sessions-east PRIMARY associated',
    'us-west-2 sessions-west SECONDARY associated',
  ]);
  expect((await globalOf(west, id, false)).Members).toBeUndefined();
  const secondary = await group(west, 'sessions-west');
  expect(secondary).toMatchObject({
    CacheNodeType: 'cache.r7g.large',
    GlobalReplicationGroupInfo: {
      GlobalReplicationGroupId: id,
      GlobalReplicationGroupMemberRole: 'SECONDARY',
    },
    ARN: 'arn:aws:elasticache:us-west-2:000000000000:replicationgroup:sessions-west',
  });
  expect(secondary?.NodeGroups?.[0]?.NodeGroupMembers?.map((m) => m.CurrentRole)).toEqual([
    'replica',
    'replica',
  ]);
  expect(secondary?.NodeGroups?.[0]?.PrimaryEndpoint?.Address).toMatch(
    /^sessions-west\.[0-9a-f]{6}\.ng\.0001\.usw2\.cache\.amazonaws\.com$/,
  );

  expect(
    await errorOf(
      west.send(
        new FailoverGlobalReplicationGroupCommand({
          GlobalReplicationGroupId: id,
          PrimaryRegion: 'us-west-2',
          PrimaryReplicationGroupId: 'sessions-east',
        }),
      ),
    ),
  ).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('not a member') });
  const { GlobalReplicationGroup: started } = await west.send(
    new FailoverGlobalReplicationGroupCommand({
      GlobalReplicationGroupId: id,
      PrimaryRegion: 'us-west-2',
      PrimaryReplicationGroupId: 'sessions-west',
    }),
  );
  expect(started?.Status).toBe('modifying');
  expect((await group(west, 'sessions-west'))?.Status).toBe('modifying');
  const after = await globalUntil(east, id, 'available');
  expect(roles(after)).toEqual([
    'us-west-2 sessions-west PRIMARY associated',
    'us-east-1 sessions-east SECONDARY associated',
  ]);
  expect((await group(west, 'sessions-west'))?.NodeGroups?.[0]?.NodeGroupMembers?.[0]?.CurrentRole).toBe(
    'primary',
  );

  // Failback: the same call with the original region.
  await east.send(
    new FailoverGlobalReplicationGroupCommand({
      GlobalReplicationGroupId: id,
      PrimaryRegion: 'us-east-1',
      PrimaryReplicationGroupId: 'sessions-east',
    }),
  );
  await eventually(
    () => globalOf(east, id),
    (x) => x.Status === 'available' && x.Members?.[0]?.ReplicationGroupId === 'sessions-east',
  );
});

test('faults: a failover that fails leaves the roles, an injected API error; then disassociate', async () => {
  const id = await globalDatastore('carts');
  await admin('POST', 'faults', {
    operations: [{ operation: 'global-datastore-failover', identifier: id, outcome: 'failed', times: 1 }],
  });
  await west.send(
    new FailoverGlobalReplicationGroupCommand({
      GlobalReplicationGroupId: id,
      PrimaryRegion: 'us-west-2',
      PrimaryReplicationGroupId: 'carts-west',
    }),
  );
  await eventually(
    () => globalOf(west, id),
    (g) => g.Status === 'modifying',
  );
  const after = await globalUntil(west, id, 'available');
  expect(roles(after)?.[0]).toBe('us-east-1 carts-east PRIMARY associated');

  await admin('POST', 'faults', {
    apiErrors: [{ action: 'FailoverGlobalReplicationGroup', code: 'Throttling', status: 400 }],
  });
  expect(
    await errorOf(
      west.send(
        new FailoverGlobalReplicationGroupCommand({
          GlobalReplicationGroupId: id,
          PrimaryRegion: 'us-west-2',
          PrimaryReplicationGroupId: 'carts-west',
        }),
      ),
    ),
  ).toMatchObject({ name: 'Throttling' });
  await admin('POST', 'faults/clear');

  await west.send(
    new DisassociateGlobalReplicationGroupCommand({
      GlobalReplicationGroupId: id,
      ReplicationGroupId: 'carts-west',
      ReplicationGroupRegion: 'us-west-2',
    }),
  );
  await globalUntil(east, id, 'primary-only');
  const standalone = await groupUntil(west, 'carts-west', 'available');
  expect(standalone?.GlobalReplicationGroupInfo).toBeUndefined();
  expect(standalone?.NodeGroups?.[0]?.NodeGroupMembers?.[0]?.CurrentRole).toBe('primary');
  expect(roles(await globalOf(east, id))).toEqual(['us-east-1 carts-east PRIMARY associated']);
});

const clusterAvailable = (c: Clients, id: string) =>
  eventually(
    () => c.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })),
    (r) => r.DBClusters?.[0]?.Status === 'available',
  );
const instanceAvailable = (c: Clients, id: string) =>
  eventually(
    () => c.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    (r) => r.DBInstances?.[0]?.DBInstanceStatus === 'available',
  );

/** A GetMetricData query for the global replication lag of lag-west, replicating from `sourceRegion`. */
const globalLagQuery = (id: string, sourceRegion: string) => ({
  Id: id,
  MetricStat: {
    Metric: {
      Namespace: 'AWS/RDS',
      MetricName: 'AuroraGlobalDBReplicationLag',
      Dimensions: [
        { Name: 'DBClusterIdentifier', Value: 'lag-west' },
        { Name: 'SourceRegion', Value: sourceRegion },
      ],
    },
    Period: 60,
    Stat: 'Maximum',
  },
});

test('CloudWatch: the replication lag of a global secondary (ms) and of a read replica (s), -1 once a cross-region PostgreSQL replica lost its source', async () => {
  const rdsEast = clientsFor(cloud.endpoint, 'test', 'us-east-1');
  const rdsWest = clientsFor(cloud.endpoint, 'test', 'us-west-2');
  const cw = new CloudWatchClient({
    endpoint: cloud.endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    await rdsEast.rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: 'lag-east',
        Engine: 'aurora-postgresql',
        MasterUsername: 'app',
      }),
    );
    await rdsEast.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'lag-db',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        MasterUsername: 'app',
        AllocatedStorage: 20,
        BackupRetentionPeriod: 1,
      }),
    );
    await clusterAvailable(rdsEast, 'lag-east');
    await rdsEast.rds.send(
      new CreateGlobalClusterCommand({
        GlobalClusterIdentifier: 'lag',
        SourceDBClusterIdentifier: 'lag-east',
      }),
    );
    await eventually(
      () => rdsEast.rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: 'lag' })),
      (r) => r.GlobalClusters?.[0]?.Status === 'available',
    );
    await rdsWest.rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: 'lag-west',
        Engine: 'aurora-postgresql',
        GlobalClusterIdentifier: 'lag',
      }),
    );
    await clusterAvailable(rdsWest, 'lag-west');
    await instanceAvailable(rdsEast, 'lag-db');
    await rdsWest.rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: 'lag-db-dr',
        SourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:000000000000:db:lag-db',
      }),
    );
    await instanceAvailable(rdsWest, 'lag-db-dr');
    await cloud.admin.setReplicationLag({ region: 'us-west-2' }, { cluster: 'lag-west' }, 1200);
    await cloud.admin.setReplicationLag({ region: 'us-west-2' }, { instance: 'lag-db-dr' }, 2500);

    const window = { StartTime: new Date(Date.now() - 600_000), EndTime: new Date(Date.now() + 60_000) };
    const { MetricDataResults } = await cw.send(
      new GetMetricDataCommand({
        ...window,
        MetricDataQueries: [
          globalLagQuery('globalLag', 'us-east-1'),
          globalLagQuery('wrongSource', 'eu-west-1'),
        ],
      }),
    );
    expect(MetricDataResults?.map((r) => [r.Id, r.Values, r.StatusCode])).toEqual([
      ['globalLag', [1200], 'Complete'],
      ['wrongSource', [], 'Complete'],
    ]);
    expect(MetricDataResults?.[0]?.Timestamps?.[0]).toBeInstanceOf(Date);

    const stats = (id: string) =>
      cw.send(
        new GetMetricStatisticsCommand({
          ...window,
          Namespace: 'AWS/RDS',
          MetricName: 'ReplicaLag',
          Dimensions: [{ Name: 'DBInstanceIdentifier', Value: id }],
          Period: 60,
          Statistics: ['Average', 'Maximum'],
        }),
      );
    expect((await stats('lag-db-dr')).Datapoints).toEqual([
      expect.objectContaining({ Average: 2.5, Maximum: 2.5 }),
    ]);
    // Not a replica in this region: no data, as for a metric nothing publishes.
    expect((await stats('lag-db')).Datapoints).toEqual([]);

    // A cross-region PostgreSQL replica whose source is deleted is not promoted: replication terminated (-1).
    await rdsEast.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'lag-db', SkipFinalSnapshot: true }),
    );
    const terminated = await eventually(
      () => rdsWest.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'lag-db-dr' })),
      (r) => r.DBInstances?.[0]?.StatusInfos?.[0]?.Status === 'terminated',
    );
    expect(terminated.DBInstances?.[0]).toMatchObject({
      ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:000000000000:db:lag-db',
      StatusInfos: [{ StatusType: 'read replication', Normal: false, Status: 'terminated' }],
    });
    expect((await stats('lag-db-dr')).Datapoints).toEqual([expect.objectContaining({ Average: -1 })]);
    await rdsWest.rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'lag-db-dr' }));
    await eventually(
      () => rdsWest.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'lag-db-dr' })),
      (r) =>
        r.DBInstances?.[0]?.DBInstanceStatus === 'available' && r.DBInstances[0].StatusInfos === undefined,
    );
  } finally {
    rdsEast.destroy();
    rdsWest.destroy();
    cw.destroy();
  }
});
