import {
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { settle } from '@rewind/shared';
import { requestEnvelope, useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture, runFixture } from '@rewind/shared/src/testing/fixtures';
import { intake } from '../src/intake';
import { restoreWait, startRestore } from '../src/restoreStep';

const bed = useServiceTestBed();
const { rds, sqs } = bed;

const envelope = () => requestEnvelope();
const published = bed.published;

describe('intake', () => {
  test('accepts an opted-in available instance: captures its configuration, locks it, publishes RunStarted', async () => {
    const ctx = testContext('restore', bed.store);
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [dbInstanceFixture('intake-a-db')] });
    await intake({ identifier: 'Intake-A-DB', task: 'create_snapshot', isCluster: false }, envelope(), ctx);
    const [started] = published();
    expect(started?.type).toBe('RunStarted');
    expect(started?.detail.run).toMatchObject({
      identifier: 'intake-a-db',
      plan: ['snapshot', 'set-aside', 'restore', 'cleanup'],
      next: 'snapshot',
    });
    const run = await bed.store.getRun(started!.detail.run.id);
    expect(run?.config).toMatchObject({
      dbParameterGroupName: 'orders-pg15',
      multiAZ: true,
      deletionProtection: true,
    });
    expect((await bed.store.getLock('instance', 'intake-a-db'))?.runId).toBe(run?.runId);
  });

  test.each([
    [
      'not opted in',
      { TagList: [{ Key: 'team', Value: 'x' }] },
      'not-opted-in',
      /needs the tag rewind:allow=true/,
    ],
    ['not available', { DBInstanceStatus: 'modifying' }, 'not-available', /is modifying/],
    [
      'a cluster member',
      { DBClusterIdentifier: 'orders-cluster' },
      'invalid-input',
      /member of Aurora cluster orders-cluster/,
    ],
  ])('rejects an instance that is %s', async (_what, overrides, code, reason) => {
    const ctx = testContext('restore', bed.store);
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [dbInstanceFixture('intake-b-db', overrides)] });
    await intake({ identifier: 'intake-b-db', task: 'create_snapshot' }, envelope(), ctx);
    const [rejected] = published();
    expect(rejected).toMatchObject({ type: 'RestoreRejected', detail: { code } });
    expect(rejected!.detail.reason).toMatch(reason);
    expect(await bed.store.getLock('instance', 'intake-b-db')).toBeUndefined();
  });

  test('the same EventBridge event delivered twice starts one run', async () => {
    const ctx = testContext('restore', bed.store);
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [dbInstanceFixture('intake-c-db')] });
    const e = envelope();
    await intake({ identifier: 'intake-c-db', task: 'create_snapshot_only' }, e, ctx);
    await intake({ identifier: 'intake-c-db', task: 'create_snapshot_only' }, e, ctx);
    expect(published().map((p) => p.type)).toEqual(['RunStarted']);
    expect(rds.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
  });

  test('db_restore resolves the newest available Rewind snapshot', async () => {
    const ctx = testContext('restore', bed.store);
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [dbInstanceFixture('intake-d-db')] });
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        {
          DBSnapshotIdentifier: 'intake-d-db-rwaaaaaaaa-snapshot-20261101-000000',
          Status: 'available',
          SnapshotCreateTime: new Date('2026-11-01'),
        },
        {
          DBSnapshotIdentifier: 'intake-d-db-rwbbbbbbbb-snapshot-20261120-000000',
          Status: 'available',
          SnapshotCreateTime: new Date('2026-11-20'),
        },
        {
          DBSnapshotIdentifier: 'intake-d-db-rwcccccccc-snapshot-20261121-000000',
          Status: 'creating',
          SnapshotCreateTime: new Date('2026-11-21'),
        },
        {
          DBSnapshotIdentifier: 'intake-d-db-snapshot',
          Status: 'available',
          SnapshotCreateTime: new Date('2026-11-22'),
        },
      ],
    });
    await intake({ identifier: 'intake-d-db', task: 'db_restore' }, envelope(), ctx);
    expect(published()[0]?.detail.snapshotIdentifier).toBe('intake-d-db-rwbbbbbbbb-snapshot-20261120-000000');
  });
});

describe('restore step', () => {
  test('restores under the original identifier with every captured setting, deletion protection applied later', async () => {
    const ctx = testContext('restore', bed.store);
    const fixture = runFixture('orders-db', 'create_snapshot');
    const run = await bed.store.createRun({ ...fixture, run: { ...fixture.run, next: 'restore' } });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({});
    await startRestore(ctx, run);
    expect(rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: 'orders-db',
      DBSnapshotIdentifier: run.names.restoreFrom,
      DBInstanceClass: 'db.r6g.large',
      Port: 5433,
      MultiAZ: true,
      PubliclyAccessible: false,
      DBSubnetGroupName: 'orders-subnets',
      VpcSecurityGroupIds: ['sg-0a', 'sg-0b'],
      DBParameterGroupName: 'orders-pg15',
      OptionGroupName: 'orders-og15',
      StorageType: 'gp3',
      Iops: 12000,
      StorageThroughput: 500,
      AllocatedStorage: 200,
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
      DeletionProtection: false,
      CopyTagsToSnapshot: true,
      Tags: [
        { Key: 'rewind:allow', Value: 'true' },
        { Key: 'team', Value: 'payments' },
        { Key: 'rewind:run-id', Value: run.runId },
      ],
      BackupRetentionPeriod: 7,
      PreferredBackupWindow: '03:00-03:30',
      AutoMinorVersionUpgrade: false,
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    });
  });

  test('once available, applies what restore cannot take in one modification, then verifies and completes', async () => {
    const ctx = testContext('restore', bed.store);
    const fixture = runFixture('orders-db', 'create_snapshot');
    const run = await bed.store.createRun({ ...fixture, run: { ...fixture.run, next: 'restore' } });
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: { DbiResourceId: 'db-RESTORED' } }); // the id the run records
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    await startRestore(ctx, run);
    const restoredDefaults = {
      DbiResourceId: 'db-RESTORED',
      DeletionProtection: false,
      MonitoringInterval: 0,
      MonitoringRoleArn: undefined,
      PerformanceInsightsEnabled: false,
      PerformanceInsightsRetentionPeriod: undefined,
      PreferredMaintenanceWindow: 'mon:00:00-mon:00:30',
      MaxAllocatedStorage: undefined,
    };
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [dbInstanceFixture('orders-db', { ...restoredDefaults, DBInstanceStatus: 'backing-up' })],
    });
    expect(await settle(ctx, (await bed.store.getRun(run.runId))!, restoreWait)).toBe('waiting');
    expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0); // not during the baseline backup

    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [dbInstanceFixture('orders-db', restoredDefaults)] });
    rds.on(ModifyDBInstanceCommand).resolves({});
    expect(await settle(ctx, (await bed.store.getRun(run.runId))!, restoreWait)).toBe('waiting');
    expect(rds.commandCalls(ModifyDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      {
        DBInstanceIdentifier: 'orders-db',
        ApplyImmediately: true,
        MonitoringInterval: 60,
        MonitoringRoleArn: 'arn:aws:iam::000000000000:role/rds-monitoring',
        EnablePerformanceInsights: true,
        PerformanceInsightsRetentionPeriod: 7,
        PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
        MaxAllocatedStorage: 1000,
        DeletionProtection: true,
      },
    ]);
    // No RDS event marks the end of the modification: a new check chain starts at the first interval.
    const lastCheck = () => {
      const input = sqs.commandCalls(SendMessageCommand).at(-1)!.args[0].input;
      return { delay: input.DelaySeconds, ...JSON.parse(input.MessageBody!) };
    };
    const configuring = (await bed.store.getRun(run.runId))!;
    expect(lastCheck()).toMatchObject({ delay: 1, seq: configuring.expectation!.checks });
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [dbInstanceFixture('orders-db', { ...restoredDefaults, DBInstanceStatus: 'modifying' })],
    });
    const check = { kind: 'rewind.check' as const, runId: run.runId, step: 'restore' as const };
    expect(
      await settle(ctx, configuring, restoreWait, { ...check, seq: configuring.expectation!.checks }),
    ).toBe('waiting');
    expect(lastCheck()).toMatchObject({ delay: 2, seq: configuring.expectation!.checks + 1 }); // backoff from the restart
    expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(1);
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [dbInstanceFixture('orders-db', { DbiResourceId: 'db-RESTORED' })] });
    expect(await settle(ctx, (await bed.store.getRun(run.runId))!, restoreWait)).toBe('done');
    const completed = published().find((p) => p.type === 'RestoreCompleted');
    expect(completed?.detail).toMatchObject({
      endpoint: { address: 'orders-db.c0ffee123456.us-east-1.rds.amazonaws.com' },
      run: { next: 'cleanup' },
    });
  });

  test('a restored instance whose configuration differs is not accepted: the step fails and compensation starts', async () => {
    const ctx = testContext('restore', bed.store);
    const fixture = runFixture('orders-db', 'create_snapshot');
    const run = await bed.store.createRun({ ...fixture, run: { ...fixture.run, next: 'restore' } });
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: { DbiResourceId: 'db-RESTORED' } }); // the id the run records
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    await startRestore(ctx, run);
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        dbInstanceFixture('orders-db', {
          DbiResourceId: 'db-RESTORED',
          DBParameterGroups: [{ DBParameterGroupName: 'default.postgres15' }],
        }),
      ],
    });
    rds.on(ModifyDBInstanceCommand).resolves({});
    await settle(ctx, (await bed.store.getRun(run.runId))!, restoreWait); // applies the parameter group
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        dbInstanceFixture('orders-db', {
          DbiResourceId: 'db-RESTORED',
          StorageType: 'gp2',
          DBParameterGroups: [{ DBParameterGroupName: 'orders-pg15' }],
        }),
      ],
    });
    // the modification is in flight: storage type differs and no modification can fix it -> fail
    const stored = (await bed.store.getRun(run.runId))!;
    expect(await settle(ctx, stored, restoreWait)).toBe('failed');
    const failed = published().find((p) => p.type === 'RestoreFailed');
    expect(failed?.detail).toMatchObject({
      step: 'restore',
      compensation: ['discard', 'rename-back'],
      run: { next: 'discard' },
    });
    expect(failed?.detail.reason).toContain('storageType: expected "gp3", got "gp2"');
  });
});
