import {
  CreateDBClusterCommand,
  CreateDBClusterParameterGroupCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
  type DBCluster,
} from '@aws-sdk/client-rds';
import { eventually, statuses, useHarness, type Harness } from './harness';

let h: Harness;
useHarness((x) => (h = x));

const cluster = async (id: string): Promise<DBCluster> =>
  (await h.client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })))
    .DBClusters?.[0] as DBCluster;
const clusterUntil = (id: string, status: string): Promise<DBCluster> =>
  eventually(
    () => cluster(id),
    (c) => c.Status === status,
  );
const instanceUntil = (id: string, status: string): Promise<unknown> =>
  eventually(
    () => h.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    (r) => r.DBInstances?.[0]?.DBInstanceStatus === status,
  );

async function clusterWithMembers(id: string, members: string[]): Promise<void> {
  await h.client.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: id,
      Engine: 'aurora-postgresql',
      MasterUsername: 'admin',
      MasterUserPassword: 'secret123',
      DeletionProtection: false,
      Tags: [{ Key: 'rewind:allow', Value: 'true' }],
    }),
  );
  await clusterUntil(id, 'available');
  for (const [n, m] of members.entries()) {
    await h.client.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: m,
        DBClusterIdentifier: id,
        Engine: 'aurora-postgresql',
        DBInstanceClass: 'db.r6g.large',
        PromotionTier: n,
      }),
    );
  }
  for (const m of members) await instanceUntil(m, 'available');
}

test('CreateDBCluster and members: 0170, endpoints, writer first then readers', async () => {
  const r = await h.client.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: 'aur',
      Engine: 'aurora-postgresql',
      MasterUsername: 'admin',
    }),
  );
  expect(r.DBCluster?.Status).toBe('creating');
  await expect(
    h.client.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'aur-1',
        DBClusterIdentifier: 'aur',
        Engine: 'aurora-postgresql',
        DBInstanceClass: 'db.r6g.large',
      }),
    ),
  ).rejects.toMatchObject({ name: 'InvalidDBClusterStateFault' });
  const c = await clusterUntil('aur', 'available');
  expect(c.Endpoint).toBe(`aur.cluster-${h.rds.endpointHash}.us-east-1.rds.amazonaws.com`);
  expect(c.ReaderEndpoint).toBe(`aur.cluster-ro-${h.rds.endpointHash}.us-east-1.rds.amazonaws.com`);
  expect(c.DBClusterArn).toBe('arn:aws:rds:us-east-1:000000000000:cluster:aur');
  expect(c.DBClusterParameterGroup).toBe('default.aurora-postgresql16');
  expect(c.DbClusterResourceId).toMatch(/^cluster-[A-Z2-7]{26}$/);
  expect(c.DBClusterMembers).toEqual([]);
  expect(h.bus.entries[0]?.entry).toMatchObject({
    detailType: 'RDS DB Cluster Event',
    detail: {
      EventID: 'RDS-EVENT-0170',
      SourceType: 'CLUSTER',
      SourceIdentifier: 'rds:aur',
      Message: 'DB cluster created',
    },
  });
  for (const m of ['aur-1', 'aur-2']) {
    await h.client.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: m,
        DBClusterIdentifier: 'aur',
        Engine: 'aurora-postgresql',
        DBInstanceClass: 'db.r6g.large',
        PromotionTier: m === 'aur-2' ? 2 : undefined,
      }),
    );
  }
  await instanceUntil('aur-1', 'available');
  await instanceUntil('aur-2', 'available');
  const withMembers = await cluster('aur');
  expect(withMembers.DBClusterMembers).toEqual([
    {
      DBInstanceIdentifier: 'aur-1',
      IsClusterWriter: true,
      DBClusterParameterGroupStatus: 'in-sync',
      PromotionTier: 1,
    },
    {
      DBInstanceIdentifier: 'aur-2',
      IsClusterWriter: false,
      DBClusterParameterGroupStatus: 'in-sync',
      PromotionTier: 2,
    },
  ]);
  const members = await h.client.send(
    new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: ['aur'] }] }),
  );
  expect(
    members.DBInstances?.map((i) => [i.DBInstanceIdentifier, i.DBClusterIdentifier, i.StorageType]),
  ).toEqual([
    ['aur-1', 'aur', 'aurora'],
    ['aur-2', 'aur', 'aurora'],
  ]);
  expect(h.bus.eventIds('aur-1')).toEqual(['RDS-EVENT-0005']);
  // Snapshots of members are refused: use cluster snapshots.
  await expect(
    h.client.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'aur-1', DBSnapshotIdentifier: 'x' })),
  ).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
  const timeline = h.rds
    .availabilityTimeline()
    .map((t) => t.kind)
    .sort();
  expect(timeline).toEqual(['cluster', 'cluster-ro', 'instance', 'instance']);
});

test('ModifyDBCluster rename: renaming -> available, 0172, members keep their names', async () => {
  await clusterWithMembers('aur', ['aur-w', 'aur-r']);
  const r = await h.client.send(
    new ModifyDBClusterCommand({
      DBClusterIdentifier: 'aur',
      NewDBClusterIdentifier: 'aur-old',
      ApplyImmediately: true,
    }),
  );
  expect(r.DBCluster?.Status).toBe('renaming');
  await expect(cluster('aur')).rejects.toMatchObject({
    name: 'DBClusterNotFoundFault',
    $metadata: { httpStatusCode: 404 },
  });
  const c = await clusterUntil('aur-old', 'available');
  expect(c.Endpoint).toBe(`aur-old.cluster-${h.rds.endpointHash}.us-east-1.rds.amazonaws.com`);
  expect(c.DBClusterMembers?.map((m) => m.DBInstanceIdentifier).sort()).toEqual(['aur-r', 'aur-w']);
  const inst = await h.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'aur-w' }));
  expect(inst.DBInstances?.[0]?.DBClusterIdentifier).toBe('aur-old');
  const renamed = h.bus.entries.find((e) => e.entry.detail['EventID'] === 'RDS-EVENT-0172')?.entry;
  expect(renamed?.detail).toMatchObject({
    Message: 'Renamed cluster from aur to aur-old',
    SourceType: 'CLUSTER',
  });
  expect(renamed?.resources).toEqual(['arn:aws:rds:us-east-1:000000000000:cluster:aur-old']);
  expect(statuses(h.rds, 'aur-old').slice(-2)).toEqual(['renaming', 'available']);
});

test('cluster snapshot (0074/0075), restore creates no instances (0170), delete only without members (0171)', async () => {
  await clusterWithMembers('aur', ['aur-1']);
  await h.client.send(
    new CreateDBClusterParameterGroupCommand({
      DBClusterParameterGroupName: 'aur-cpg',
      DBParameterGroupFamily: 'aurora-postgresql16',
      Description: 'x',
    }),
  );
  const s = await h.client.send(
    new CreateDBClusterSnapshotCommand({
      DBClusterIdentifier: 'aur',
      DBClusterSnapshotIdentifier: 'aur-snap',
    }),
  );
  expect(s.DBClusterSnapshot?.Status).toBe('creating');
  await expect(
    h.client.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: 'aur',
        DBClusterSnapshotIdentifier: 'aur-snap',
      }),
    ),
  ).rejects.toMatchObject({ name: 'DBClusterSnapshotAlreadyExistsFault' });
  await eventually(
    () => h.client.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'aur-snap' })),
    (r) => r.DBClusterSnapshots?.[0]?.Status === 'available',
  );
  expect(h.bus.eventIds('aur-snap')).toEqual(['RDS-EVENT-0074', 'RDS-EVENT-0075']);
  expect(h.bus.entries.find((e) => e.entry.detail['EventID'] === 'RDS-EVENT-0075')?.entry.detailType).toBe(
    'RDS DB Cluster Snapshot Event',
  );
  const byCluster = await h.client.send(
    new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: 'aur', SnapshotType: 'manual' }),
  );
  expect(byCluster.DBClusterSnapshots?.map((x) => x.DBClusterSnapshotIdentifier)).toEqual(['aur-snap']);

  await h.client.send(
    new RestoreDBClusterFromSnapshotCommand({
      DBClusterIdentifier: 'aur-restored',
      SnapshotIdentifier: 'aur-snap',
      Engine: 'aurora-postgresql',
      DBClusterParameterGroupName: 'aur-cpg',
      VpcSecurityGroupIds: ['sg-0aaa'],
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['postgresql'],
      BackupRetentionPeriod: 7,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
      Tags: [{ Key: 'rewind:allow', Value: 'true' }],
    }),
  );
  const restored = await clusterUntil('aur-restored', 'available');
  expect(restored).toMatchObject({
    DBClusterParameterGroup: 'aur-cpg',
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0aaa', Status: 'active' }],
    DeletionProtection: true,
    CopyTagsToSnapshot: true,
    IAMDatabaseAuthenticationEnabled: true,
    EnabledCloudwatchLogsExports: ['postgresql'],
    BackupRetentionPeriod: 7,
    ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
    TagList: [{ Key: 'rewind:allow', Value: 'true' }],
    DBClusterMembers: [],
    MasterUsername: 'admin',
  });
  expect(h.bus.eventIds('aur-restored')).toEqual(['RDS-EVENT-0170']);
  const all = await h.client.send(new DescribeDBInstancesCommand({}));
  expect(all.DBInstances?.map((i) => i.DBInstanceIdentifier)).toEqual(['aur-1']);

  await expect(
    h.client.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'aur', SkipFinalSnapshot: true })),
  ).rejects.toMatchObject({
    name: 'InvalidDBClusterStateFault',
  });
  await expect(
    h.client.send(
      new DeleteDBClusterCommand({ DBClusterIdentifier: 'aur-restored', SkipFinalSnapshot: true }),
    ),
  ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
  await h.client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'aur-1' }));
  const d = await h.client.send(
    new DeleteDBClusterCommand({ DBClusterIdentifier: 'aur', SkipFinalSnapshot: true }),
  );
  expect(d.DBCluster?.Status).toBe('deleting');
  await eventually(
    () =>
      cluster('aur').then(
        () => 'exists',
        (e: Error) => e.name,
      ),
    (v) => v === 'DBClusterNotFoundFault',
  );
  expect(h.bus.eventIds('aur').slice(-1)).toEqual(['RDS-EVENT-0171']);
  expect(h.bus.eventIds('aur-1').slice(-1)).toEqual(['RDS-EVENT-0003']);
  await h.client.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'aur-snap' }));
  await eventually(
    () => h.client.send(new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'manual' })),
    (r) => r.DBClusterSnapshots?.length === 0,
  );
});

test('RestoreDBClusterToPointInTime: a full copy with the default security group and cluster parameter group, the source tags, no instances; times outside the window refused', async () => {
  await h.client.send(
    new CreateDBClusterParameterGroupCommand({
      DBClusterParameterGroupName: 'pitr-cpg',
      DBParameterGroupFamily: 'aurora-postgresql15',
      Description: 'custom',
    }),
  );
  await h.client.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: 'pitr-src',
      Engine: 'aurora-postgresql',
      MasterUsername: 'admin',
      MasterUserPassword: 'secret123',
      DBClusterParameterGroupName: 'pitr-cpg',
      VpcSecurityGroupIds: ['sg-0aaaabbbbccccdddd'],
      DeletionProtection: true,
      BackupRetentionPeriod: 7,
      Tags: [{ Key: 'team', Value: 'ledger' }],
    }),
  );
  const src = await clusterUntil('pitr-src', 'available');
  const open = await eventually(
    () => cluster('pitr-src'),
    (c) => (c.LatestRestorableTime?.getTime() ?? 0) > src.ClusterCreateTime!.getTime(),
  );
  expect(open.EarliestRestorableTime).toEqual(src.ClusterCreateTime);
  // the window trails the present by the log upload lag (5 min, time-scaled)
  await expect(
    h.client.send(
      new RestoreDBClusterToPointInTimeCommand({
        DBClusterIdentifier: 'pitr-early',
        SourceDBClusterIdentifier: 'pitr-src',
        RestoreToTime: new Date(src.ClusterCreateTime!.getTime() - 60_000),
      }),
    ),
  ).rejects.toMatchObject({
    name: 'InvalidRestoreFault',
    message: expect.stringMatching(/outside the restorable window .*Z to .*Z/),
  });
  await expect(
    h.client.send(
      new RestoreDBClusterToPointInTimeCommand({
        DBClusterIdentifier: 'pitr-cow',
        SourceDBClusterIdentifier: 'pitr-src',
        RestoreType: 'copy-on-write',
        RestoreToTime: open.LatestRestorableTime,
      }),
    ),
  ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
  await h.client.send(
    new RestoreDBClusterToPointInTimeCommand({
      DBClusterIdentifier: 'pitr-copy',
      SourceDbClusterResourceId: src.DbClusterResourceId,
      RestoreToTime: open.LatestRestorableTime,
    }),
  );
  const copy = await clusterUntil('pitr-copy', 'available');
  expect({
    engine: copy.Engine,
    version: copy.EngineVersion,
    sgs: copy.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId),
    pg: copy.DBClusterParameterGroup,
    protection: copy.DeletionProtection,
    retention: copy.BackupRetentionPeriod,
    tags: copy.TagList,
    members: copy.DBClusterMembers,
  }).toEqual({
    engine: src.Engine,
    version: src.EngineVersion,
    sgs: ['sg-0defa017000000000'],
    pg: expect.stringMatching(/^default\./),
    protection: false,
    retention: 7,
    tags: [{ Key: 'team', Value: 'ledger' }],
    members: [],
  });
  expect(copy.DbClusterResourceId).not.toBe(src.DbClusterResourceId);
  expect(h.bus.eventIds('pitr-copy')).toContain('RDS-EVENT-0170');
});
