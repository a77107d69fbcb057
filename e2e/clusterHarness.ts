import {
  CreateDBClusterCommand,
  CreateDBClusterParameterGroupCommand,
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  CreateDBSubnetGroupCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  type CreateDBClusterCommandInput,
  type CreateDBInstanceCommandInput,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import {
  captureClusterConfig,
  derivedIdentifier,
  diffClusterConfig,
  findCluster,
  findInstance,
  formatDifferences,
  type ClusterConfig,
} from '@rewind/shared';
import type { E2E } from './harness';

/**
 * Cluster helpers for the end-to-end tests: a production-like Aurora cluster (writer and two readers,
 * each with its own settings), its captured configuration, and what every run must leave behind.
 */

const REGION_ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

let groupsReady: Promise<void> | undefined;
function ensureClusterGroups(rds: RDSClient): Promise<void> {
  const ignoreExists = (err: unknown) => {
    if (!/AlreadyExists/.test((err as Error).name)) throw err;
  };
  groupsReady ??= (async () => {
    await rds
      .send(
        new CreateDBClusterParameterGroupCommand({
          DBClusterParameterGroupName: 'ledger-cluster-pg',
          DBParameterGroupFamily: 'aurora-mysql8.0',
          Description: 'ledger cluster',
        }),
      )
      .catch(ignoreExists);
    for (const name of ['ledger-writer-pg', 'ledger-reader-pg']) {
      await rds
        .send(
          new CreateDBParameterGroupCommand({
            DBParameterGroupName: name,
            DBParameterGroupFamily: 'aurora-mysql8.0',
            Description: name,
          }),
        )
        .catch(ignoreExists);
    }
    await rds
      .send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: 'ledger-subnets',
          DBSubnetGroupDescription: 'ledger',
          SubnetIds: ['subnet-1a1', 'subnet-1b2', 'subnet-1c3'],
        }),
      )
      .catch(ignoreExists);
  })();
  return groupsReady;
}

export async function waitForCluster(rds: RDSClient, identifier: string, timeoutMs = 60_000) {
  const start = Date.now();
  for (;;) {
    const c = await findCluster(rds, identifier);
    const members = await Promise.all(
      (c?.DBClusterMembers ?? []).map((m) => findInstance(rds, m.DBInstanceIdentifier!)),
    );
    if (c?.Status === 'available' && members.every((m) => m?.DBInstanceStatus === 'available')) return c;
    if (Date.now() - start > timeoutMs) {
      throw new Error(
        `${identifier} not available (is ${c?.Status ?? 'absent'}; members ${members.map((m) => m?.DBInstanceStatus).join(', ')})`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The cluster's configuration as Rewind captures it (cluster and every member). */
export async function describeCluster(
  rds: RDSClient,
  identifier: string,
): Promise<ClusterConfig | undefined> {
  const c = await findCluster(rds, identifier);
  if (!c) return undefined;
  const members: DBInstance[] = [];
  for (const m of c.DBClusterMembers ?? []) {
    const db = await findInstance(rds, m.DBInstanceIdentifier!);
    if (db) members.push(db);
  }
  return captureClusterConfig(c, members);
}

export const memberNames = (identifier: string) => [`${identifier}-1`, `${identifier}-2`, `${identifier}-3`];

/**
 * A production-like Aurora MySQL cluster, opted in: custom cluster and instance parameter groups,
 * subnet group, security groups, encryption with a KMS key, deletion protection, IAM auth, log exports,
 * backtrack, Serverless v2 scaling, backups, tags; a writer and two readers with different classes,
 * tiers, zones, parameter groups, Performance Insights and monitoring.
 */
export async function createProductionCluster(
  rds: RDSClient,
  identifier: string,
  overrides: Partial<CreateDBClusterCommandInput> = {},
): Promise<ClusterConfig> {
  await ensureClusterGroups(rds);
  await rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: identifier,
      Engine: 'aurora-mysql',
      EngineVersion: '8.0.mysql_aurora.3.05.2',
      EngineMode: 'provisioned',
      Port: 3307,
      DatabaseName: 'ledger',
      MasterUsername: 'app',
      MasterUserPassword: 'not-a-real-password',
      DBSubnetGroupName: 'ledger-subnets',
      VpcSecurityGroupIds: ['sg-0c1d2e3f4a5b60718', 'sg-0a9b8c7d6e5f40312'],
      DBClusterParameterGroupName: 'ledger-cluster-pg',
      StorageEncrypted: true,
      KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/ledger',
      DeletionProtection: true,
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['audit', 'error', 'slowquery'],
      BacktrackWindow: 86_400,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 16 },
      BackupRetentionPeriod: 14,
      PreferredBackupWindow: '02:00-02:30',
      PreferredMaintenanceWindow: 'sat:04:00-sat:04:30',
      CopyTagsToSnapshot: true,
      Tags: [
        { Key: 'rewind:allow', Value: 'true' },
        { Key: 'team', Value: 'ledger' },
        { Key: 'env', Value: 'staging' },
      ],
      ...overrides,
    }),
  );
  await waitForCluster(rds, identifier);
  const [writer, reader1, reader2] = memberNames(identifier) as [string, string, string];
  const member = (
    name: string,
    zone: number,
    settings: Partial<CreateDBInstanceCommandInput> & { DBInstanceClass: string },
  ) =>
    rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: name,
        DBClusterIdentifier: identifier,
        Engine: 'aurora-mysql',
        AvailabilityZone: REGION_ZONES[zone],
        AutoMinorVersionUpgrade: false,
        PreferredMaintenanceWindow: 'sun:06:00-sun:06:30',
        CopyTagsToSnapshot: true,
        Tags: [
          { Key: 'team', Value: 'ledger' },
          { Key: 'role', Value: name === writer ? 'writer' : 'reader' },
        ],
        ...settings,
      }),
    );
  // The first instance of a cluster becomes its writer.
  await member(writer, 0, {
    DBInstanceClass: 'db.r6g.2xlarge',
    DBParameterGroupName: 'ledger-writer-pg',
    PromotionTier: 0,
    EnablePerformanceInsights: true,
    PerformanceInsightsRetentionPeriod: 731,
    MonitoringInterval: 15,
    MonitoringRoleArn: 'arn:aws:iam::000000000000:role/rds-monitoring',
  });
  await waitForCluster(rds, identifier);
  await member(reader1, 1, {
    DBInstanceClass: 'db.r6g.xlarge',
    DBParameterGroupName: 'ledger-reader-pg',
    PromotionTier: 1,
  });
  await member(reader2, 2, {
    DBInstanceClass: 'db.r6g.large',
    DBParameterGroupName: 'ledger-reader-pg',
    PromotionTier: 2,
    EnablePerformanceInsights: true,
    PerformanceInsightsRetentionPeriod: 7,
    MonitoringInterval: 60,
    MonitoringRoleArn: 'arn:aws:iam::000000000000:role/rds-monitoring',
  });
  await waitForCluster(rds, identifier);
  const config = await describeCluster(rds, identifier);
  expect(config?.members.map((m) => [m.identifier, m.writer])).toEqual([
    [writer, true],
    [reader1, false],
    [reader2, false],
  ]);
  return config!;
}

const endpointsOf = (c: ClusterConfig) => ({
  writer: c.endpointAddress,
  reader: c.readerEndpointAddress,
  members: Object.fromEntries(c.members.map((m) => [m.identifier, m.endpointAddress])),
  writerMember: c.members.find((m) => m.writer)?.identifier,
});

/** After a completed restore: same names, writer, endpoints and configuration; a restored copy; nothing set aside left. */
export async function expectSameCluster(
  e2e: E2E,
  runId: string,
  before: ClusterConfig,
): Promise<ClusterConfig> {
  const after = await describeCluster(e2e.rds, before.identifier);
  expect(after).toBeDefined();
  const differences = diffClusterConfig(before, after!);
  if (differences.length)
    console.log(`configuration differences for ${before.identifier}: ${formatDifferences(differences)}`);
  expect(differences).toEqual([]);
  expect(endpointsOf(after!)).toEqual(endpointsOf(before));
  expect(after!.dbClusterResourceId).not.toBe(before.dbClusterResourceId); // the restored copy
  await expectNothingSetAside(e2e, runId, before);
  return after!;
}

/** The set-aside cluster and members of the run are gone. */
export async function expectNothingSetAside(e2e: E2E, runId: string, before: ClusterConfig) {
  const temp = derivedIdentifier(before.identifier, runId, 'old');
  expect(await findCluster(e2e.rds, temp)).toBeUndefined();
  for (const m of before.members) {
    expect(await findInstance(e2e.rds, derivedIdentifier(m.identifier, runId, 'old'))).toBeUndefined();
  }
}

/** After a failed run: the original cluster and all members available under their names, nothing else left, lock free. */
export async function expectClusterIntact(e2e: E2E, original: ClusterConfig) {
  const id = original.identifier;
  const c = await findCluster(e2e.rds, id);
  expect({ status: c?.Status, resource: c?.DbClusterResourceId }).toEqual({
    status: 'available',
    resource: original.dbClusterResourceId,
  });
  const now = await describeCluster(e2e.rds, id);
  expect(endpointsOf(now!)).toEqual(endpointsOf(original));
  for (const m of original.members) {
    const db = await findInstance(e2e.rds, m.identifier);
    expect([m.identifier, db?.DBInstanceStatus, db?.DbiResourceId, db?.DBClusterIdentifier]).toEqual([
      m.identifier,
      'available',
      m.dbiResourceId,
      id,
    ]);
  }
  const clusters = await e2e.rds.send(new DescribeDBClustersCommand({}));
  expect(
    (clusters.DBClusters ?? []).map((x) => x.DBClusterIdentifier).filter((x) => x?.startsWith(id)),
  ).toEqual([id]);
  const instances = await e2e.rds.send(new DescribeDBInstancesCommand({}));
  const related = (instances.DBInstances ?? [])
    .map((d) => d.DBInstanceIdentifier!)
    .filter((x) => x.startsWith(id));
  expect(related.sort()).toEqual(original.members.map((m) => m.identifier).sort());
  expect(await e2e.store.getLock('cluster', id)).toBeUndefined();
}

/**
 * The run's events in order as another system on the bus saw them, each logical event once: the outbox
 * publishes at least once (a message handled while the writer is still publishing flushes the same
 * outbox again), so an identical copy (same type, same detail) is a redelivery, not a second step.
 */
export function choreography(e2e: E2E, runId: string): string[] {
  const seen = new Set<string>();
  return e2e.observer
    .ofRun(runId)
    .filter((e) => {
      const key = `${e['detail-type']} ${JSON.stringify(e.detail)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((e) => e['detail-type']);
}
