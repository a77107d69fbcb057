import {
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  CreateDBSubnetGroupCommand,
  CreateOptionGroupCommand,
  type CreateDBInstanceCommandInput,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { findInstance } from '@rewind/shared';

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

export async function waitForInstance(
  rds: RDSClient,
  identifier: string,
  status: string,
  timeoutMs = 60_000,
): Promise<DBInstance> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const db = await findInstance(rds, identifier);
    if (db?.DBInstanceStatus === status) return db;
    if (Date.now() > deadline)
      throw new Error(
        `${identifier} is not ${status} after ${timeoutMs} ms (it is ${db?.DBInstanceStatus ?? 'absent'})`,
      );
    await sleep(100);
  }
}
