import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  type DBCluster,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { captureClusterConfig, settle, type RunRecord, type WaitingStep } from '@rewind/shared';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture, runFixture } from '@rewind/shared/src/testing/fixtures';
import type { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';

/**
 * What the restore service's step tests share: what they read back (the events published, the run as
 * stored, the inputs of the RDS calls sent, a look at a waiting step), and what RDS describes: databases by name in two maps the test changes between
 * looks (the describe calls answer from them, `...NotFound` when absent), and a production-like Aurora
 * cluster with a writer and two readers.
 */

type RdsStub = AwsClientStub<RDSClient>;

/** Reading back what a step did, on the service test bed. */
export function stepReadback(bed: ReturnType<typeof useServiceTestBed>, step: WaitingStep) {
  const stored = async (run: RunRecord) => (await bed.store.getRun(run.runId))!;
  return {
    published: () =>
      bed.eb
        .commandCalls(PutEventsCommand)
        .flatMap((c) =>
          c.args[0].input.Entries!.map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail!) })),
        ),
    stored,
    /** One look at the waiting step, as an RDS event would trigger it. */
    look: async (run: RunRecord) => settle(testContext('restore', bed.store), await stored(run), step),
    inputs: <T>(command: new (input: T) => unknown) =>
      bed.rds.commandCalls(command as never).map((c) => (c.args[0] as { input: T }).input),
  };
}

export const rdsError = (name: string, message = name) =>
  Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });

export function describedDatabases(rds: RdsStub) {
  const instances = new Map<string, DBInstance>();
  const clusters = new Map<string, DBCluster>();
  rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => {
    const db = instances.get(input.DBInstanceIdentifier ?? '');
    if (!db) throw rdsError('DBInstanceNotFoundFault', `DBInstance ${input.DBInstanceIdentifier} not found.`);
    return { DBInstances: [db] };
  });
  rds.on(DescribeDBClustersCommand).callsFake((input: { DBClusterIdentifier?: string }) => {
    const c = clusters.get(input.DBClusterIdentifier ?? '');
    if (!c) throw rdsError('DBClusterNotFoundFault', `DBCluster ${input.DBClusterIdentifier} not found.`);
    return { DBClusters: [c] };
  });
  return { instances, clusters };
}

export const KEY = 'arn:aws:kms:us-east-1:000000000000:key/aaaa-1111';
const account = 'arn:aws:rds:us-east-1:000000000000';

export function clusterFixture(id: string, overrides: Partial<DBCluster> = {}): DBCluster {
  return {
    DBClusterIdentifier: id,
    DBClusterArn: `${account}:cluster:${id}`,
    DbClusterResourceId: 'cluster-ORIGINAL',
    Status: 'available',
    Engine: 'aurora-mysql',
    EngineVersion: '8.0.mysql_aurora.3.05.2',
    Port: 3307,
    Endpoint: `${id}.cluster-c0ffee123456.us-east-1.rds.amazonaws.com`,
    ReaderEndpoint: `${id}.cluster-ro-c0ffee123456.us-east-1.rds.amazonaws.com`,
    DBSubnetGroup: 'ledger-subnets',
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1', Status: 'active' }],
    DBClusterParameterGroup: 'ledger-cpg',
    StorageEncrypted: true,
    KmsKeyId: KEY,
    DeletionProtection: true,
    BackupRetentionPeriod: 7,
    PreferredBackupWindow: '03:00-03:30',
    PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
    CopyTagsToSnapshot: true,
    TagList: [
      { Key: 'rewind:allow', Value: 'true' },
      { Key: 'team', Value: 'ledger' },
    ],
    DBClusterMembers: [1, 2, 3].map((n) => ({
      DBInstanceIdentifier: `${id}-${n}`,
      IsClusterWriter: n === 1,
    })),
    ...overrides,
  };
}

export function memberFixture(cluster: string, n: number, overrides: Partial<DBInstance> = {}): DBInstance {
  const id = `${cluster}-${n}`;
  return dbInstanceFixture(id, {
    DBClusterIdentifier: cluster,
    DbiResourceId: `db-ORIGINAL-${n}`,
    Engine: 'aurora-mysql',
    EngineVersion: '8.0.mysql_aurora.3.05.2',
    DBInstanceClass: n === 1 ? 'db.r6g.large' : 'db.r6g.xlarge',
    DBParameterGroups: [{ DBParameterGroupName: 'ledger-pg', ParameterApplyStatus: 'in-sync' }],
    PromotionTier: n,
    AvailabilityZone: `us-east-1${'abc'[n - 1]}`,
    MonitoringInterval: 0,
    MonitoringRoleArn: undefined,
    PerformanceInsightsEnabled: false,
    TagList: [{ Key: 'role', Value: n === 1 ? 'writer' : 'reader' }],
    ...overrides,
  });
}

/** A cluster run at its restore step (or `next`), with the configuration captured from the fixtures. */
export function clusterRun(id: string, overrides: Partial<RunRecord> = {}): Omit<RunRecord, 'version'> {
  const fixture = runFixture(id, 'create_snapshot');
  const config = captureClusterConfig(
    clusterFixture(id),
    [1, 2, 3].map((n) => memberFixture(id, n)),
  );
  return {
    ...fixture,
    kind: 'cluster',
    run: { ...fixture.run, kind: 'cluster', next: 'restore' },
    config,
    ...overrides,
  };
}
