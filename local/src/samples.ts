import {
  CreateDBClusterCommand,
  CreateDBClusterParameterGroupCommand,
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  CreateDBSubnetGroupCommand,
  CreateOptionGroupCommand,
  type CreateDBClusterCommandInput,
  type CreateDBInstanceCommandInput,
  type DBCluster,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import {
  captureClusterConfig,
  findCluster,
  findInstance,
  isRetryable,
  type ClusterConfig,
} from '@rewind/shared';

/** Groups the sample instance uses (non-default, so a restore that forgot them would show). */
export const SAMPLE_GROUPS = {
  parameter: 'orders-pg15',
  option: 'orders-og15',
  subnet: 'orders-subnets',
} as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function ignoreExists(err: unknown): void {
  if (!/AlreadyExists/.test((err as Error).name)) throw err;
}

async function ensureGroups(rds: RDSClient): Promise<void> {
  await rds
    .send(
      new CreateDBParameterGroupCommand({
        DBParameterGroupName: SAMPLE_GROUPS.parameter,
        DBParameterGroupFamily: 'postgres15',
        Description: 'Rewind sample',
      }),
    )
    .catch(ignoreExists);
  await rds
    .send(
      new CreateOptionGroupCommand({
        OptionGroupName: SAMPLE_GROUPS.option,
        EngineName: 'postgres',
        MajorEngineVersion: '15',
        OptionGroupDescription: 'Rewind sample',
      }),
    )
    .catch(ignoreExists);
  await rds
    .send(
      new CreateDBSubnetGroupCommand({
        DBSubnetGroupName: SAMPLE_GROUPS.subnet,
        DBSubnetGroupDescription: 'Rewind sample',
        SubnetIds: ['subnet-0a1', 'subnet-0b2', 'subnet-0c3'],
      }),
    )
    .catch(ignoreExists);
}

/**
 * A production-like PostgreSQL instance, opted in to Rewind (tag rewind:allow=true): custom parameter,
 * option and subnet groups, Multi-AZ, gp3 with IOPS and throughput, a non-default port, deletion
 * protection, IAM auth, log exports, backups, monitoring, Performance Insights and tags. Resolves once
 * it is available.
 */
export async function createSampleInstance(
  rds: RDSClient,
  identifier: string,
  overrides: Partial<CreateDBInstanceCommandInput> = {},
  timeoutMs = 60_000,
): Promise<DBInstance> {
  await ensureGroups(rds);
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: identifier,
      Engine: 'postgres',
      EngineVersion: '15.4',
      DBInstanceClass: 'db.r6g.large',
      MasterUsername: 'app',
      MasterUserPassword: 'not-a-real-password',
      AllocatedStorage: 200,
      MaxAllocatedStorage: 1000,
      StorageType: 'gp3',
      Iops: 12000,
      StorageThroughput: 500,
      MultiAZ: true,
      Port: 5433,
      DBParameterGroupName: SAMPLE_GROUPS.parameter,
      OptionGroupName: SAMPLE_GROUPS.option,
      DBSubnetGroupName: SAMPLE_GROUPS.subnet,
      VpcSecurityGroupIds: ['sg-0a1b2c3d4e5f60718', 'sg-0f1e2d3c4b5a69788'],
      PubliclyAccessible: false,
      DeletionProtection: true,
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
      BackupRetentionPeriod: 7,
      PreferredBackupWindow: '03:00-03:30',
      PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
      MonitoringInterval: 60,
      MonitoringRoleArn: 'arn:aws:iam::000000000000:role/rds-monitoring',
      EnablePerformanceInsights: true,
      PerformanceInsightsRetentionPeriod: 7,
      CopyTagsToSnapshot: true,
      AutoMinorVersionUpgrade: false,
      Tags: [
        { Key: 'rewind:allow', Value: 'true' },
        { Key: 'team', Value: 'payments' },
        { Key: 'env', Value: 'staging' },
      ],
      ...overrides,
    }),
  );
  return waitForInstance(rds, identifier, 'available', timeoutMs);
}

const THROTTLED = Symbol('throttled');

/**
 * A look while waiting: the account-wide RDS API limit (shared with whatever else runs) may refuse it,
 * and the SDK stops retrying once its retry quota is spent; then wait a moment and look again, until
 * `deadline`.
 */
async function throttleTolerant<T>(
  look: () => Promise<T>,
  deadline: number,
  identifier: string,
): Promise<T | typeof THROTTLED> {
  try {
    return await look();
  } catch (err) {
    if (!isRetryable(err)) throw err;
    if (Date.now() > deadline)
      throw new Error(`${identifier}: RDS kept refusing describe calls (throttled)`, { cause: err });
    await sleep(500);
    return THROTTLED;
  }
}

export async function waitForInstance(
  rds: RDSClient,
  identifier: string,
  status: string,
  timeoutMs = 60_000,
): Promise<DBInstance> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const db = await throttleTolerant(() => findInstance(rds, identifier), deadline, identifier);
    if (db === THROTTLED) continue;
    if (db?.DBInstanceStatus === status) return db;
    if (Date.now() > deadline)
      throw new Error(
        `${identifier} is not ${status} after ${timeoutMs} ms (it is ${db?.DBInstanceStatus ?? 'absent'})`,
      );
    await sleep(100);
  }
}

/** Groups the sample cluster uses (non-default, as for the instance). */
export const SAMPLE_CLUSTER_GROUPS = {
  clusterParameter: 'ledger-cluster-pg',
  writerParameter: 'ledger-writer-pg',
  readerParameter: 'ledger-reader-pg',
  subnet: 'ledger-subnets',
} as const;

const CLUSTER_ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

async function ensureClusterGroups(rds: RDSClient): Promise<void> {
  await rds
    .send(
      new CreateDBClusterParameterGroupCommand({
        DBClusterParameterGroupName: SAMPLE_CLUSTER_GROUPS.clusterParameter,
        DBParameterGroupFamily: 'aurora-mysql8.0',
        Description: 'ledger cluster',
      }),
    )
    .catch(ignoreExists);
  for (const name of [SAMPLE_CLUSTER_GROUPS.writerParameter, SAMPLE_CLUSTER_GROUPS.readerParameter]) {
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
        DBSubnetGroupName: SAMPLE_CLUSTER_GROUPS.subnet,
        DBSubnetGroupDescription: 'ledger',
        SubnetIds: ['subnet-1a1', 'subnet-1b2', 'subnet-1c3'],
      }),
    )
    .catch(ignoreExists);
}

/** Resolves once the cluster and every member are available. */
export async function waitForCluster(
  rds: RDSClient,
  identifier: string,
  timeoutMs = 60_000,
): Promise<DBCluster> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const looked = await throttleTolerant(
      async () => {
        const c = await findCluster(rds, identifier);
        const members = await Promise.all(
          (c?.DBClusterMembers ?? []).map((m) => findInstance(rds, m.DBInstanceIdentifier!)),
        );
        return { c, members };
      },
      deadline,
      identifier,
    );
    if (looked === THROTTLED) continue;
    const { c, members } = looked;
    if (c?.Status === 'available' && members.every((m) => m?.DBInstanceStatus === 'available')) return c;
    if (Date.now() > deadline) {
      throw new Error(
        `${identifier} not available after ${timeoutMs} ms (is ${c?.Status ?? 'absent'}; members ${members.map((m) => m?.DBInstanceStatus).join(', ')})`,
      );
    }
    await sleep(50);
  }
}

/** The cluster's configuration as Rewind captures it (cluster and every member); undefined when absent. */
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

/** The sample cluster's members: the writer, then two readers. */
export const sampleClusterMembers = (identifier: string): [string, string, string] => [
  `${identifier}-1`,
  `${identifier}-2`,
  `${identifier}-3`,
];

/**
 * A production-like Aurora MySQL cluster, opted in: custom cluster and instance parameter groups,
 * subnet group, security groups, encryption with a KMS key, deletion protection, IAM auth, log exports,
 * backtrack, Serverless v2 scaling, backups, tags; a writer and two readers with different classes,
 * tiers, zones, parameter groups, Performance Insights and monitoring. Resolves with its captured
 * configuration once the cluster and all members are available.
 */
export async function createSampleCluster(
  rds: RDSClient,
  identifier: string,
  overrides: Partial<CreateDBClusterCommandInput> = {},
  timeoutMs = 60_000,
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
      DBSubnetGroupName: SAMPLE_CLUSTER_GROUPS.subnet,
      VpcSecurityGroupIds: ['sg-0c1d2e3f4a5b60718', 'sg-0a9b8c7d6e5f40312'],
      DBClusterParameterGroupName: SAMPLE_CLUSTER_GROUPS.clusterParameter,
      StorageEncrypted: true,
      KmsKeyId: 'alias/aws/rds',
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
  await waitForCluster(rds, identifier, timeoutMs);
  const [writer, reader1, reader2] = sampleClusterMembers(identifier);
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
        AvailabilityZone: CLUSTER_ZONES[zone],
        AutoMinorVersionUpgrade: false,
        PreferredMaintenanceWindow: 'sun:06:00-sun:06:30',
        CopyTagsToSnapshot: true,
        // Members opt in too: Rewind renames and deletes each one, authorised on its own tags.
        Tags: [
          { Key: 'rewind:allow', Value: 'true' },
          { Key: 'team', Value: 'ledger' },
          { Key: 'role', Value: name === writer ? 'writer' : 'reader' },
        ],
        ...settings,
      }),
    );
  // The first instance of a cluster becomes its writer.
  await member(writer, 0, {
    DBInstanceClass: 'db.r6g.2xlarge',
    DBParameterGroupName: SAMPLE_CLUSTER_GROUPS.writerParameter,
    PromotionTier: 0,
    EnablePerformanceInsights: true,
    PerformanceInsightsRetentionPeriod: 731,
    MonitoringInterval: 15,
    MonitoringRoleArn: 'arn:aws:iam::000000000000:role/rds-monitoring',
  });
  await waitForCluster(rds, identifier, timeoutMs);
  await member(reader1, 1, {
    DBInstanceClass: 'db.r6g.xlarge',
    DBParameterGroupName: SAMPLE_CLUSTER_GROUPS.readerParameter,
    PromotionTier: 1,
  });
  await member(reader2, 2, {
    DBInstanceClass: 'db.r6g.large',
    DBParameterGroupName: SAMPLE_CLUSTER_GROUPS.readerParameter,
    PromotionTier: 2,
    EnablePerformanceInsights: true,
    PerformanceInsightsRetentionPeriod: 7,
    MonitoringInterval: 60,
    MonitoringRoleArn: 'arn:aws:iam::000000000000:role/rds-monitoring',
  });
  await waitForCluster(rds, identifier, timeoutMs);
  const config = await describeCluster(rds, identifier);
  const roles = config?.members.map((m) => `${m.identifier}:${m.writer ? 'writer' : 'reader'}`).join(', ');
  const expected = `${writer}:writer, ${reader1}:reader, ${reader2}:reader`;
  if (roles !== expected) {
    throw new Error(`sample cluster ${identifier} has members ${roles ?? '(absent)'}, expected ${expected}`);
  }
  return config!;
}
