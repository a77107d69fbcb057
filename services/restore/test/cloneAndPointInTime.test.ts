import {
  DeleteDBInstanceCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RestoreDBClusterToPointInTimeCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import {
  beginCompensation,
  captureInstanceConfig,
  planFor,
  settle,
  stagingIdentifier,
  type RunRecord,
} from '@rewind/shared';
import { requestEnvelope, useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture, runFixture } from '@rewind/shared/src/testing/fixtures';
import { discard } from '../src/discard';
import { intake } from '../src/intake';
import { restoreBeside, restoreWait, startRestore } from '../src/restoreStep';
import { clusterRun, describedDatabases, stepReadback } from './stepTestBed';

/**
 * Clones and point-in-time restores at the unit level: what intake records (the run is the new database's,
 * its configuration the source's without the source's identity), the window check, and the exact restore
 * calls sent (every setting given: a point-in-time restore's defaults lose even more than a snapshot's).
 */

const bed = useServiceTestBed();
const { rds } = bed;
const { inputs } = stepReadback(bed, restoreWait);
const discardLook = async (run: RunRecord) =>
  settle(testContext('restore', bed.store), (await bed.store.getRun(run.runId))!, discard.wait);
const answers = () => bed.published().filter((e) => ['RunStarted', 'RestoreRejected'].includes(e.type));
const CREATED = new Date('2026-12-01T10:00:00.000Z');
const LATEST = new Date('2026-12-05T11:55:00.000Z');

function sourceInstance() {
  const { instances } = describedDatabases(rds);
  instances.set('orders-db', dbInstanceFixture('orders-db'));
  rds.on(DescribeDBSnapshotsCommand).resolves({
    DBSnapshots: [
      {
        DBSnapshotIdentifier: 'orders-db-nightly',
        DBInstanceIdentifier: 'orders-db',
        Status: 'available',
        Engine: 'postgres',
        EngineVersion: '15.4',
        Encrypted: false,
        SnapshotCreateTime: CREATED,
      },
    ],
  });
  rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
    DBInstanceAutomatedBackups: [
      {
        DbiResourceId: 'db-ORIGINAL0000000000000000',
        RestoreWindow: { EarliestTime: CREATED, LatestTime: LATEST },
      },
    ],
  });
  return instances;
}

describe('intake', () => {
  test('a clone is a run of the new database: its name locked, the source configuration without its identity', async () => {
    sourceInstance();
    const ctx = testContext('restore', bed.store);
    const request = { identifier: 'orders-db', task: 'clone', targetIdentifier: 'orders-db-copy' };
    await intake(request, requestEnvelope(), ctx);
    const [started] = answers();
    expect(started).toMatchObject({
      type: 'RunStarted',
      detail: {
        run: { identifier: 'orders-db-copy', task: 'clone', plan: ['restore-new'], next: 'restore-new' },
        cloneOf: 'orders-db',
        snapshotIdentifier: 'orders-db-nightly',
      },
    });
    const run = (await bed.store.getRun(started!.detail.run.id))!;
    const source = captureInstanceConfig(dbInstanceFixture('orders-db'));
    expect(run.config).toEqual({
      ...source,
      identifier: 'orders-db-copy',
      dbiResourceId: undefined,
      endpointAddress: undefined,
    });
    expect([run.cloneOf, run.names, run.resources]).toEqual([
      'orders-db',
      { restoreFrom: 'orders-db-nightly' },
      {},
    ]);
    // kept without the defaulted strategy (a clone takes none), so `rewind replay` can send it again
    expect(run.request).not.toHaveProperty('strategy');
    expect(await bed.store.getLock('instance', 'orders-db-copy')).toBeDefined();
    expect(await bed.store.getLock('instance', 'orders-db')).toBeUndefined();
  });

  test('a clone from a Rewind service carries the contract’s default strategy and starts; a client’s strategy is refused', async () => {
    sourceInstance();
    const ctx = testContext('restore', bed.store);
    // What a Rewind service's typed publisher sends: the parsed request, with the defaulted strategy.
    const published = {
      identifier: 'orders-db',
      task: 'clone',
      targetIdentifier: 'orders-db-v2',
      isCluster: false,
      strategy: 'in-place',
    };
    await intake(published, { ...requestEnvelope(), source: 'rewind', detail: published }, ctx);
    await intake(
      { ...published, targetIdentifier: 'orders-db-v3' },
      { ...requestEnvelope(), detail: { ...published, targetIdentifier: 'orders-db-v3' } },
      ctx,
    );
    expect(answers().map((a) => [a.type, a.detail.run?.identifier ?? a.detail.reason])).toEqual([
      ['RunStarted', 'orders-db-v2'],
      ['RestoreRejected', expect.stringMatching(/"strategy" does not apply to task "clone"/)],
    ]);
  });

  test('"snapshotOf" goes only with a given snapshot (db_restore or clone): anything else is refused with the fix', async () => {
    sourceInstance();
    const ctx = testContext('restore', bed.store);
    const asked = [
      { identifier: 'orders-db', task: 'create_snapshot', snapshotOf: 'donor-db' },
      { identifier: 'orders-db', task: 'db_restore', restoreTime: 'latest', snapshotOf: 'donor-db' },
      { identifier: 'orders-db', task: 'clone', targetIdentifier: 'orders-db-v9', snapshotOf: 'donor-db' },
    ];
    for (const request of asked) await intake(request, { ...requestEnvelope(), detail: request }, ctx);
    expect(answers().map((a) => [a.type, a.detail.reason])).toEqual(
      asked.map(() => [
        'RestoreRejected',
        expect.stringMatching(
          /"snapshotOf" names the database a given snapshot was taken of: send it with "snapshotIdentifier"/,
        ),
      ]),
    );
  });

  test('restoreTime inside the window: the run records the source by resource id; outside: rejected with the window', async () => {
    sourceInstance();
    const ctx = testContext('restore', bed.store);
    const inside = { identifier: 'orders-db', task: 'db_restore', restoreTime: '2026-12-05T11:00:00+01:00' };
    await intake(inside, requestEnvelope(), ctx);
    const [started] = answers();
    expect(started?.type).toBe('RunStarted');
    expect(started?.detail.restoreTime).toBe('2026-12-05T10:00:00.000Z');
    const run = (await bed.store.getRun(started!.detail.run.id))!;
    expect(run.pointInTime).toEqual({
      time: '2026-12-05T10:00:00.000Z',
      sourceIdentifier: 'orders-db',
      sourceResourceId: 'db-ORIGINAL0000000000000000',
    });
    expect(run.names.restoreFrom).toBeUndefined();
    const windowCalls = rds
      .commandCalls(DescribeDBInstanceAutomatedBackupsCommand)
      .map((c) => c.args[0].input);
    expect(windowCalls).toEqual([{ DbiResourceId: 'db-ORIGINAL0000000000000000' }]);

    const outside = {
      identifier: 'orders-db',
      task: 'clone',
      targetIdentifier: 'x-db',
      restoreTime: '2026-12-05T11:58:00Z',
    };
    await intake(outside, requestEnvelope(), ctx);
    expect(answers()[1]).toMatchObject({
      type: 'RestoreRejected',
      detail: {
        code: 'outside-restorable-window',
        reason: expect.stringContaining(
          'outside the restorable window of orders-db: from 2026-12-01T10:00:00.000Z to 2026-12-05T11:55:00.000Z (UTC)',
        ),
      },
    });
  });
});

test('intake: a swap from a point in time gets a staging name and the point in time, no snapshot; outside the window: rejected', async () => {
  sourceInstance();
  const ctx = testContext('restore', bed.store);
  // the database is free (an earlier test's run holds no lock on it)
  const held = await bed.store.getLock('instance', 'orders-db');
  if (held) await bed.store.releaseLock('instance', 'orders-db', held.runId);
  const swap = { identifier: 'orders-db', task: 'db_restore', strategy: 'swap', restoreTime: 'latest' };
  await intake(swap, requestEnvelope(), ctx);
  const [started] = answers();
  expect(started).toMatchObject({
    type: 'RunStarted',
    detail: {
      run: { plan: ['restore-beside', 'set-aside', 'take-name', 'cleanup'], next: 'restore-beside' },
      restoreTime: 'latest',
    },
  });
  expect(started!.detail.snapshotIdentifier).toBeUndefined();
  const run = (await bed.store.getRun(started!.detail.run.id))!;
  expect(run.names).toEqual({
    temporary: expect.stringMatching(/^orders-db-rw\w+-old$/),
    staging: stagingIdentifier('orders-db', run.runId),
  });
  expect(run.pointInTime).toEqual({
    time: 'latest',
    sourceIdentifier: 'orders-db',
    sourceResourceId: 'db-ORIGINAL0000000000000000',
  });
  await intake({ ...swap, restoreTime: '2026-11-30T10:00:00Z' }, requestEnvelope(), ctx);
  expect(answers()[1]).toMatchObject({
    type: 'RestoreRejected',
    detail: {
      code: 'outside-restorable-window',
      reason: expect.stringContaining('from 2026-12-01T10:00:00.000Z to 2026-12-05T11:55:00.000Z (UTC)'),
    },
  });
});

describe('restore calls from a point in time', () => {
  test('instance: RestoreDBInstanceToPointInTime by resource id, with every captured setting and the run tag', async () => {
    const ctx = testContext('restore', bed.store);
    describedDatabases(rds);
    const fixture = runFixture('orders-db', 'db_restore');
    const run: RunRecord = await bed.store.createRun({
      ...fixture,
      run: { ...fixture.run, next: 'restore' },
      names: { temporary: fixture.names.temporary },
      pointInTime: { time: 'latest', sourceIdentifier: 'orders-db', sourceResourceId: 'db-ORIGINAL' },
    });
    rds.on(RestoreDBInstanceToPointInTimeCommand).resolves({ DBInstance: { DbiResourceId: 'db-NEW' } });
    await startRestore(ctx, run);
    expect(inputs(RestoreDBInstanceToPointInTimeCommand)).toEqual([
      {
        TargetDBInstanceIdentifier: 'orders-db',
        SourceDbiResourceId: 'db-ORIGINAL',
        UseLatestRestorableTime: true,
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
        MaxAllocatedStorage: 1000,
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
      },
    ]);
    expect((await bed.store.getRun(run.runId))!.resources.createdIds).toEqual({ 'orders-db': 'db-NEW' });
  });

  test('cluster: RestoreDBClusterToPointInTime, a full copy by resource id, groups given explicitly', async () => {
    const ctx = testContext('restore', bed.store);
    describedDatabases(rds);
    const run: RunRecord = await bed.store.createRun(
      clusterRun('ledger', {
        pointInTime: {
          time: '2026-12-05T10:00:00.000Z',
          sourceIdentifier: 'ledger',
          sourceResourceId: 'cluster-ORIGINAL',
        },
      }),
    );
    rds
      .on(RestoreDBClusterToPointInTimeCommand)
      .resolves({ DBCluster: { DbClusterResourceId: 'cluster-NEW' } });
    await startRestore(ctx, run);
    const [input] = inputs(RestoreDBClusterToPointInTimeCommand);
    expect(input).toMatchObject({
      DBClusterIdentifier: 'ledger',
      SourceDbClusterResourceId: 'cluster-ORIGINAL',
      RestoreType: 'full-copy',
      RestoreToTime: new Date('2026-12-05T10:00:00.000Z'),
      DBSubnetGroupName: 'ledger-subnets',
      VpcSecurityGroupIds: ['sg-1'],
      DBClusterParameterGroupName: 'ledger-cpg',
      KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/aaaa-1111',
      DeletionProtection: false,
      Port: 3307,
    });
    // What the call does not take (the source decides them) is not sent.
    expect(Object.keys(input!)).not.toEqual(expect.arrayContaining(['Engine']));
    expect(input).not.toHaveProperty('SnapshotIdentifier');
  });

  test('swap: restore-beside from a point in time, under the staging name, by the original resource id', async () => {
    const ctx = testContext('restore', bed.store);
    describedDatabases(rds);
    const fixture = runFixture('orders-db', 'db_restore');
    const staging = stagingIdentifier('orders-db', fixture.runId);
    const plan = planFor('db_restore', 'swap');
    const run: RunRecord = await bed.store.createRun({
      ...fixture,
      strategy: 'swap',
      run: { ...fixture.run, strategy: 'swap', plan, next: 'restore-beside' },
      names: { temporary: fixture.names.temporary, staging },
      pointInTime: {
        time: '2026-12-05T10:00:00.000Z',
        sourceIdentifier: 'orders-db',
        sourceResourceId: 'db-ORIGINAL',
      },
    });
    rds.on(RestoreDBInstanceToPointInTimeCommand).resolves({ DBInstance: { DbiResourceId: 'db-NEW' } });
    await restoreBeside.start(ctx, run);
    const sent = inputs(RestoreDBInstanceToPointInTimeCommand);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      TargetDBInstanceIdentifier: staging,
      SourceDbiResourceId: 'db-ORIGINAL',
      RestoreTime: new Date('2026-12-05T10:00:00.000Z'),
      DBParameterGroupName: 'orders-pg15',
      DBSubnetGroupName: 'orders-subnets',
      MultiAZ: true,
    });
    expect(sent[0]).not.toHaveProperty('SourceDBInstanceIdentifier');
    expect(sent[0]).not.toHaveProperty('UseLatestRestorableTime');
    // the copy is recognised by its own id under the staging name; the original is not renamed yet
    expect((await bed.store.getRun(run.runId))!.resources).toEqual({
      original: 'orders-db',
      createdIds: { [staging]: 'db-NEW' },
    });
  });
});

describe('discard of a clone', () => {
  /** A clone run whose restore-new failed: discard next, with the ids the run recorded. */
  async function cloneAtDiscard(createdIds: Record<string, string>): Promise<RunRecord> {
    const fixture = runFixture('orders-db-copy', 'db_restore');
    const config = { ...captureInstanceConfig(dbInstanceFixture('orders-db')), identifier: 'orders-db-copy' };
    const run = { ...fixture.run, task: 'clone' as const, plan: ['restore-new' as const], next: null };
    return bed.store.createRun({
      ...fixture,
      run: beginCompensation({ ...run, next: 'restore-new' }, 'restore-new'),
      status: 'rolling-back',
      cloneOf: 'orders-db',
      names: {},
      config: { ...config, dbiResourceId: undefined, endpointAddress: undefined },
      failure: { step: 'restore-new', reason: 'incompatible-restore' },
      resources: { createdIds },
    });
  }

  test('deletes the clone it created (by resource id), then RollbackCompleted names the untouched source', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    rds.on(DeleteDBInstanceCommand).resolves({});
    instances.set(
      'orders-db-copy',
      dbInstanceFixture('orders-db-copy', { DbiResourceId: 'db-CLONE', DeletionProtection: false }),
    );
    const run = await cloneAtDiscard({ 'orders-db-copy': 'db-CLONE' });
    await discard.start(ctx, run);
    expect(inputs(DeleteDBInstanceCommand).map((i) => i.DBInstanceIdentifier)).toEqual(['orders-db-copy']);
    instances.delete('orders-db-copy');
    expect(await discardLook(run)).toBe('done');
    expect(bed.published().map((e) => [e.type, e.detail.restoredIdentifier])).toEqual([
      ['RollbackCompleted', 'orders-db'],
      ['RunFailed', undefined],
    ]);
  });

  test('a database the run did not create under the target name is left alone', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    instances.set(
      'orders-db-copy',
      dbInstanceFixture('orders-db-copy', { DbiResourceId: 'db-SOMEONE-ELSE' }),
    );
    const run = await cloneAtDiscard({});
    await discard.start(ctx, run);
    expect(inputs(DeleteDBInstanceCommand)).toEqual([]);
    expect(inputs(ModifyDBInstanceCommand)).toEqual([]);
    expect(bed.published().map((e) => e.type)).toEqual(['RollbackCompleted', 'RunFailed']);
  });
});
