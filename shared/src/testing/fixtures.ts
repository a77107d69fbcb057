import type { DBInstance } from '@aws-sdk/client-rds';
import { planFor, startRun } from '../plans';
import { captureInstanceConfig } from '../rds/configCapture';
import { newRunId, snapshotIdentifier, temporaryIdentifier } from '../rds/naming';
import type { Task } from '../contracts/run';
import type { RunRecord } from '../state/types';

/** A described production-like instance, as DescribeDBInstances returns it. */
export function dbInstanceFixture(identifier: string, overrides: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: identifier,
    DBInstanceArn: `arn:aws:rds:us-east-1:000000000000:db:${identifier}`,
    DbiResourceId: 'db-ORIGINAL0000000000000000',
    DBInstanceStatus: 'available',
    Engine: 'postgres',
    EngineVersion: '15.4',
    DBInstanceClass: 'db.r6g.large',
    Endpoint: { Address: `${identifier}.c0ffee123456.us-east-1.rds.amazonaws.com`, Port: 5433 },
    MultiAZ: true,
    AvailabilityZone: 'us-east-1a',
    PubliclyAccessible: false,
    DBSubnetGroup: { DBSubnetGroupName: 'orders-subnets' },
    VpcSecurityGroups: [
      { VpcSecurityGroupId: 'sg-0b', Status: 'active' },
      { VpcSecurityGroupId: 'sg-0a', Status: 'active' },
    ],
    DBParameterGroups: [{ DBParameterGroupName: 'orders-pg15', ParameterApplyStatus: 'in-sync' }],
    OptionGroupMemberships: [{ OptionGroupName: 'orders-og15', Status: 'in-sync' }],
    StorageType: 'gp3',
    Iops: 12000,
    StorageThroughput: 500,
    AllocatedStorage: 200,
    MaxAllocatedStorage: 1000,
    IAMDatabaseAuthenticationEnabled: true,
    EnabledCloudwatchLogsExports: ['upgrade', 'postgresql'],
    CopyTagsToSnapshot: true,
    BackupRetentionPeriod: 7,
    PreferredBackupWindow: '03:00-03:30',
    PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
    AutoMinorVersionUpgrade: false,
    CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    DeletionProtection: true,
    MonitoringInterval: 60,
    MonitoringRoleArn: 'arn:aws:iam::000000000000:role/rds-monitoring',
    PerformanceInsightsEnabled: true,
    PerformanceInsightsRetentionPeriod: 7,
    TagList: [
      { Key: 'rewind:allow', Value: 'true' },
      { Key: 'team', Value: 'payments' },
    ],
    ...overrides,
  };
}

/** A run record as intake writes it (version omitted: pass it to StateStore.createRun). */
export function runFixture(
  identifier = 'orders-db',
  task: Task = 'create_snapshot',
  overrides: Partial<RunRecord> = {},
): Omit<RunRecord, 'version'> {
  const runId = newRunId();
  const now = new Date().toISOString();
  const names: Record<string, string> = { temporary: temporaryIdentifier(identifier, runId) };
  if (task !== 'db_restore') names.snapshot = snapshotIdentifier(identifier, runId);
  names.restoreFrom = names.snapshot ?? `${identifier}-snapshot`;
  return {
    runId,
    identifier,
    kind: 'instance',
    task,
    strategy: 'in-place',
    run: startRun({
      id: runId,
      identifier,
      kind: 'instance',
      task,
      strategy: 'in-place',
      plan: planFor(task, 'in-place'),
    }),
    status: 'running',
    request: { identifier, task },
    names,
    config: captureInstanceConfig(dbInstanceFixture(identifier)),
    expectation: null,
    warnings: [],
    resources: { original: identifier },
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}
