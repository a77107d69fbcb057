import {
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  FailoverGlobalReplicationGroupCommand,
} from '@aws-sdk/client-elasticache';
import {
  CopyDBClusterSnapshotCommand,
  CreateDBInstanceReadReplicaCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  PromoteReadReplicaCommand,
  SwitchoverGlobalClusterCommand,
  type RDSClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-rds';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';

/**
 * A small stateful AWS for the failover unit tests: an Aurora global database (writer in us-east-1,
 * secondary in us-west-2), a cross-region PostgreSQL read replica, an ElastiCache global datastore. The
 * mocked calls change it as AWS would start to (FailoverState, `modifying`); `finish*()` completes what
 * is under way. Every call is recorded with the region of the client that sent it.
 */

export const ACCOUNT = '000000000000';
/** The second argument of a mock's fake: the client the command was sent with. */
type GetClient = () => { config: { region: () => Promise<string> } };
const clusterArn = (region: string, id: string) => `arn:aws:rds:${region}:${ACCOUNT}:cluster:${id}`;
const dbArn = (region: string, id: string) => `arn:aws:rds:${region}:${ACCOUNT}:db:${id}`;
const notFound = (name: string) => Object.assign(new Error(`${name}`), { name, $fault: 'client' });
const OPT_IN = [{ Key: 'rewind:allow', Value: 'true' }];

export interface Instance {
  id: string;
  region: string;
  status: string;
  source?: string;
  replication?: string;
  backups: number;
}

export function drWorld(rds: AwsStub<ServiceInputTypes, ServiceOutputTypes, RDSClientResolvedConfig>) {
  const cache = mockClient(ElastiCacheClient);
  const cloudWatch = mockClient(CloudWatchClient);
  const world = {
    /** ReplicaLag (seconds) CloudWatch has for each replica; none: no datapoint. */
    lag: new Map<string, number>(),
    cloudWatch,
    global: {
      writer: clusterArn('us-east-1', 'orders-east'),
      failover: undefined as undefined | { Status: string; ToDbClusterArn: string },
      status: 'available',
      sync: 'connected',
    },
    instances: new Map<string, Instance>(),
    automatedSnapshots: [] as string[],
    manualSnapshots: new Map<string, string>(),
    datastore: { primary: 'sessions-east', primaryRegion: 'us-east-1', status: 'available' },
    calls: [] as { region: string; command: string; input: Record<string, unknown> }[],
    cache,
  };
  world.instances.set('billing-west', {
    id: 'billing-west',
    region: 'us-west-2',
    status: 'available',
    source: dbArn('us-east-1', 'billing'),
    replication: 'replicating',
    backups: 0,
  });

  const record = async (
    client: { config: { region: () => Promise<string> } },
    command: string,
    input: object,
  ) => {
    world.calls.push({
      region: await client.config.region(),
      command,
      input: input as Record<string, unknown>,
    });
  };
  const members = () =>
    ['us-east-1:orders-east', 'us-west-2:orders-west'].map((m) => {
      const [region, id] = m.split(':') as [string, string];
      const arn = clusterArn(region, id);
      return {
        DBClusterArn: arn,
        IsWriter: arn === world.global.writer,
        SynchronizationStatus: world.global.sync,
      };
    });

  rds.on(DescribeGlobalClustersCommand).callsFake(() => ({
    GlobalClusters: [
      {
        GlobalClusterIdentifier: 'orders-global',
        Status: world.global.status,
        Endpoint: 'orders-global.global-abc.global.rds.amazonaws.com',
        GlobalClusterMembers: members(),
        FailoverState: world.global.failover,
      },
    ],
  }));
  rds.on(DescribeDBClustersCommand).callsFake((input: { DBClusterIdentifier: string }) => ({
    DBClusters: [
      {
        DBClusterIdentifier: input.DBClusterIdentifier,
        Status: 'available',
        DBClusterMembers: [{ DBInstanceIdentifier: `${input.DBClusterIdentifier}-1` }],
        TagList: OPT_IN,
      },
    ],
  }));
  rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier: string }) => {
    const i = world.instances.get(input.DBInstanceIdentifier);
    if (!i) throw notFound('DBInstanceNotFound');
    return {
      DBInstances: [
        {
          DBInstanceIdentifier: i.id,
          DBInstanceArn: dbArn(i.region, i.id),
          DBInstanceStatus: i.status,
          ReadReplicaSourceDBInstanceIdentifier: i.source,
          StatusInfos: i.source
            ? [{ StatusType: 'read replication', Status: i.replication, Normal: true }]
            : [],
          BackupRetentionPeriod: i.backups,
          Endpoint: { Address: `${i.id}.abc.${i.region}.rds.amazonaws.com` },
          TagList: OPT_IN,
        },
      ],
    };
  });
  rds
    .on(DescribeDBClusterSnapshotsCommand)
    .callsFake((input: { SnapshotType?: string; DBClusterSnapshotIdentifier?: string }) => {
      if (input.SnapshotType === 'automated') {
        return {
          DBClusterSnapshots: world.automatedSnapshots.map((id) => ({
            DBClusterSnapshotIdentifier: id,
            Status: 'available',
          })),
        };
      }
      const status = world.manualSnapshots.get(input.DBClusterSnapshotIdentifier!);
      if (!status) throw notFound('DBClusterSnapshotNotFoundFault');
      return {
        DBClusterSnapshots: [
          { DBClusterSnapshotIdentifier: input.DBClusterSnapshotIdentifier, Status: status },
        ],
      };
    });
  rds
    .on(SwitchoverGlobalClusterCommand)
    .callsFake(async (input: { TargetDbClusterIdentifier: string }, getClient: GetClient) => {
      const client = getClient();
      await record(client, 'SwitchoverGlobalCluster', input);
      world.global.failover = { Status: 'switching-over', ToDbClusterArn: input.TargetDbClusterIdentifier };
      world.global.status = 'switching-over';
      return {};
    });
  rds
    .on(FailoverGlobalClusterCommand)
    .callsFake(async (input: { TargetDbClusterIdentifier: string }, getClient: GetClient) => {
      const client = getClient();
      await record(client, 'FailoverGlobalCluster', input);
      world.global.failover = { Status: 'failing-over', ToDbClusterArn: input.TargetDbClusterIdentifier };
      world.global.status = 'failing-over';
      return {};
    });
  rds
    .on(PromoteReadReplicaCommand)
    .callsFake(async (input: { DBInstanceIdentifier: string }, getClient: GetClient) => {
      const client = getClient();
      await record(client, 'PromoteReadReplica', input);
      const i = world.instances.get(input.DBInstanceIdentifier)!;
      i.status = 'modifying';
      return {};
    });
  rds
    .on(CreateDBInstanceReadReplicaCommand)
    .callsFake(
      async (
        input: { DBInstanceIdentifier: string; SourceDBInstanceIdentifier: string },
        getClient: GetClient,
      ) => {
        const client = getClient();
        await record(client, 'CreateDBInstanceReadReplica', input);
        world.instances.set(input.DBInstanceIdentifier, {
          id: input.DBInstanceIdentifier,
          region: await client.config.region(),
          status: 'creating',
          source: input.SourceDBInstanceIdentifier,
          replication: 'replicating',
          backups: 0,
        });
        return {};
      },
    );
  rds
    .on(CopyDBClusterSnapshotCommand)
    .callsFake(async (input: { TargetDBClusterSnapshotIdentifier: string }, getClient: GetClient) => {
      const client = getClient();
      await record(client, 'CopyDBClusterSnapshot', input);
      world.manualSnapshots.set(input.TargetDBClusterSnapshotIdentifier, 'copying');
      return {};
    });

  cloudWatch.on(GetMetricStatisticsCommand).callsFake((input: { Dimensions: { Value: string }[] }) => {
    const lag = world.lag.get(input.Dimensions[0]!.Value);
    return { Datapoints: lag === undefined ? [] : [{ Timestamp: new Date(), Maximum: lag }] };
  });

  const datastore = () => ({
    GlobalReplicationGroupId: 'ldgnf-sessions',
    Status: world.datastore.status,
    Members: [
      ['sessions-east', 'us-east-1'],
      ['sessions-west', 'us-west-2'],
    ].map(([id, region]) => ({
      ReplicationGroupId: id,
      ReplicationGroupRegion: region,
      Role: id === world.datastore.primary ? 'PRIMARY' : 'SECONDARY',
      Status: 'associated',
    })),
  });
  cache
    .on(DescribeGlobalReplicationGroupsCommand)
    .callsFake(() => ({ GlobalReplicationGroups: [datastore()] }));
  cache.on(DescribeReplicationGroupsCommand).callsFake((input: { ReplicationGroupId: string }) => ({
    ReplicationGroups: [{ ReplicationGroupId: input.ReplicationGroupId, Status: 'available' }],
  }));
  cache
    .on(FailoverGlobalReplicationGroupCommand)
    .callsFake(
      async (input: { PrimaryReplicationGroupId: string; PrimaryRegion: string }, getClient: GetClient) => {
        const client = getClient();
        await record(client, 'FailoverGlobalReplicationGroup', input);
        world.datastore.status = 'modifying';
        return { GlobalReplicationGroup: datastore() };
      },
    );

  return Object.assign(world, {
    /** Aurora finishes the switchover or failover it was asked for. */
    finishAurora() {
      world.global.writer = world.global.failover!.ToDbClusterArn;
      world.global.failover = undefined;
      world.global.status = 'available';
    },
    /** Aurora cancels the switchover (it rolls it back): the old primary stays. */
    rollBackAurora() {
      world.global.failover = undefined;
      world.global.status = 'available';
    },
    finishPromotion(id: string) {
      const i = world.instances.get(id)!;
      i.status = 'available';
      i.source = undefined;
      i.backups = 7;
    },
    finishCache() {
      world.datastore.primary = 'sessions-west';
      world.datastore.primaryRegion = 'us-west-2';
      world.datastore.status = 'available';
    },
    mutations: () => world.calls.map((c) => `${c.command} ${c.region}`),
  });
}

export const PLAN_LAYERS = [
  {
    name: 'databases',
    resources: [
      {
        type: 'aurora-global' as const,
        globalClusterId: 'orders-global',
        targetClusterId: 'orders-west',
        targetRegion: 'us-west-2',
      },
      {
        type: 'rds-replica' as const,
        replicaId: 'billing-west',
        replicaRegion: 'us-west-2',
        sourceRegion: 'us-east-1',
      },
    ],
  },
  {
    name: 'caches',
    resources: [
      {
        type: 'elasticache-global' as const,
        globalReplicationGroupId: 'ldgnf-sessions',
        targetRegion: 'us-west-2',
        targetReplicationGroupId: 'sessions-west',
      },
    ],
  },
];
