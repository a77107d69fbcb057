import {
  CreateDBInstanceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RemoveTagsFromResourceCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { settle, type RunRecord } from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture, runFixture } from '@rewind/shared/src/testing/fixtures';
import { restoreWait, startRestore } from '../src/restoreStep';
import {
  KEY,
  clusterFixture,
  clusterRun,
  describedDatabases,
  memberFixture,
  rdsError,
  stepReadback,
} from './stepTestBed';

const bed = useServiceTestBed();
const { rds } = bed;

const { published, stored, look, inputs } = stepReadback(bed, restoreWait);
const runTag = (run: RunRecord) => ({ Key: 'rewind:run-id', Value: run.runId });
const ORIGINAL_TAGS = [
  { Key: 'rewind:allow', Value: 'true' },
  { Key: 'team', Value: 'payments' },
];

async function instanceRun(): Promise<RunRecord> {
  const fixture = runFixture('orders-db', 'create_snapshot');
  return bed.store.createRun({ ...fixture, run: { ...fixture.run, next: 'restore' } });
}

describe('instance restore', () => {
  test('records the id the restore returns; once restored, the run tag comes off: the tags end exactly the original', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    const run = await instanceRun();
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: { DbiResourceId: 'db-RESTORED' } });
    rds.on(RemoveTagsFromResourceCommand).resolves({});
    await startRestore(ctx, run);
    expect(inputs(RestoreDBInstanceFromDBSnapshotCommand).map((i) => i.Tags)).toEqual([
      [...ORIGINAL_TAGS, runTag(run)],
    ]);
    expect((await stored(run)).resources.createdIds).toEqual({ 'orders-db': 'db-RESTORED' });

    const copy = dbInstanceFixture('orders-db', {
      DbiResourceId: 'db-RESTORED',
      TagList: [...ORIGINAL_TAGS, runTag(run)],
    });
    instances.set('orders-db', copy);
    expect(await look(run)).toBe('waiting');
    expect(inputs(RemoveTagsFromResourceCommand)).toEqual([
      { ResourceName: copy.DBInstanceArn, TagKeys: ['rewind:run-id'] },
    ]);
    expect(published()).toEqual([]); // not complete while the run's tag is on it

    instances.set('orders-db', { ...copy, TagList: ORIGINAL_TAGS });
    expect(await look(run)).toBe('done');
    expect(inputs(ModifyDBInstanceCommand)).toEqual([]); // the copy already has every setting
    expect(inputs(RemoveTagsFromResourceCommand)).toHaveLength(1);
    const [completed] = published();
    expect(completed).toMatchObject({
      type: 'RestoreCompleted',
      detail: {
        endpoint: { address: 'orders-db.c0ffee123456.us-east-1.rds.amazonaws.com', port: 5433 },
        appliedAfterRestore: [
          'MonitoringInterval',
          'EnablePerformanceInsights',
          'PreferredMaintenanceWindow',
          'MaxAllocatedStorage',
          'DeletionProtection',
        ],
        run: { next: 'cleanup' },
      },
    });
    expect((await stored(run)).resources).toMatchObject({
      restored: 'orders-db',
      createdIds: { 'orders-db': 'db-RESTORED' },
    });
  });

  test('a restore whose answer was lost is recognised by the tag put at creation, and its id recorded', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    const run = await instanceRun();
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).callsFake(() => {
      instances.set(
        'orders-db',
        dbInstanceFixture('orders-db', {
          DbiResourceId: 'db-LOST',
          DBInstanceStatus: 'creating',
          TagList: [runTag(run)],
        }),
      );
      throw rdsError('DBInstanceAlreadyExistsFault');
    });
    await startRestore(ctx, run);
    const after = await stored(run);
    expect([after.status, after.run.next, after.failure]).toEqual(['running', 'restore', undefined]);
    expect(after.resources.createdIds).toEqual({ 'orders-db': 'db-LOST' });
  });

  test('an id that could not be recorded (DynamoDB error): the message fails, no rollback; the tag recognises the copy and its id is recorded before the tag comes off', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    const run = await instanceRun();
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: { DbiResourceId: 'db-RESTORED' } });
    rds.on(RemoveTagsFromResourceCommand).resolves({});
    const write = bed.store.updateRun.bind(bed.store);
    let writes = 0;
    const throughput = Object.assign(new Error('Throughput exceeds the current capacity'), {
      name: 'ProvisionedThroughputExceededException',
    });
    // the expectation, the claim of the first phase, then the id: that write fails
    const spy = jest
      .spyOn(bed.store, 'updateRun')
      .mockImplementation((current, changes) =>
        ++writes === 3 ? Promise.reject(throughput) : write(current, changes),
      );
    try {
      await expect(startRestore(ctx, run)).rejects.toThrow('Throughput exceeds');
    } finally {
      spy.mockRestore();
    }
    const after = await stored(run);
    expect([after.status, after.run.next, after.resources.createdIds]).toEqual([
      'running',
      'restore',
      undefined,
    ]);
    expect(published()).toEqual([]);

    const copy = dbInstanceFixture('orders-db', {
      DbiResourceId: 'db-RESTORED',
      TagList: [...ORIGINAL_TAGS, runTag(run)],
    });
    instances.set('orders-db', copy);
    expect(await look(run)).toBe('waiting');
    expect((await stored(run)).resources.createdIds).toEqual({ 'orders-db': 'db-RESTORED' });
    expect(inputs(RemoveTagsFromResourceCommand)).toEqual([
      { ResourceName: copy.DBInstanceArn, TagKeys: ['rewind:run-id'] },
    ]);
    instances.set('orders-db', { ...copy, TagList: ORIGINAL_TAGS });
    expect(await look(run)).toBe('done');
    expect(inputs(RestoreDBInstanceFromDBSnapshotCommand)).toHaveLength(1);
  });

  test('a modification refused while another operation runs is sent again after the act timeout, not a failure', async () => {
    const { instances } = describedDatabases(rds);
    const run = await instanceRun();
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: { DbiResourceId: 'db-RESTORED' } });
    rds
      .on(ModifyDBInstanceCommand)
      .rejectsOnce(rdsError('InvalidDBInstanceState', 'in-progress management operation'))
      .resolves({});
    await startRestore(testContext('restore', bed.store), run);
    instances.set(
      'orders-db',
      dbInstanceFixture('orders-db', { DbiResourceId: 'db-RESTORED', DeletionProtection: false }),
    );
    expect(await look(run)).toBe('waiting');
    expect(await look(run)).toBe('waiting'); // within the act timeout: not sent again
    expect(inputs(ModifyDBInstanceCommand)).toHaveLength(1);
    const later = testContext('restore', bed.store, () => new Date(Date.now() + 6_000));
    expect(await settle(later, await stored(run), restoreWait)).toBe('waiting');
    expect(inputs(ModifyDBInstanceCommand)).toEqual([
      { DBInstanceIdentifier: 'orders-db', ApplyImmediately: true, DeletionProtection: true },
      { DBInstanceIdentifier: 'orders-db', ApplyImmediately: true, DeletionProtection: true },
    ]);
    expect(published()).toEqual([]);
  });

  test('a database this run did not create holds the name: never taken for the copy, the step fails', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    const run = await instanceRun();
    instances.set('orders-db', dbInstanceFixture('orders-db', { DbiResourceId: 'db-SOMEONE-ELSE' }));
    await startRestore(ctx, run);
    expect(inputs(RestoreDBInstanceFromDBSnapshotCommand)).toEqual([]);
    const [failed] = published();
    expect(failed).toMatchObject({
      type: 'RestoreFailed',
      detail: { step: 'restore', errorCode: 'NameNotFree', run: { next: 'discard' } },
    });
    expect(failed!.detail.reason).toBe(
      'orders-db is held by a database this run did not create (db-SOMEONE-ELSE)',
    );
  });

  test('a tag of Rewind left on the copy fails the verification: the tags must be the original, exactly', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    const run = await instanceRun();
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: { DbiResourceId: 'db-RESTORED' } });
    await startRestore(ctx, run);
    const leftover = { Key: 'rewind:created-by', Value: 'rewind' };
    instances.set(
      'orders-db',
      dbInstanceFixture('orders-db', { DbiResourceId: 'db-RESTORED', TagList: [...ORIGINAL_TAGS, leftover] }),
    );
    expect(await look(run)).toBe('failed');
    const [failed] = published();
    expect(failed).toMatchObject({ type: 'RestoreFailed', detail: { errorCode: 'ConfigurationMismatch' } });
    expect(failed!.detail.reason).toContain(
      `orders-db tags: expected ${JSON.stringify(ORIGINAL_TAGS)}, got ${JSON.stringify([ORIGINAL_TAGS[0], leftover, ORIGINAL_TAGS[1]])}`,
    );
  });

  test('a restored instance in a failed status fails the step with the status', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    const run = await instanceRun();
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: { DbiResourceId: 'db-RESTORED' } });
    await startRestore(ctx, run);
    instances.set(
      'orders-db',
      dbInstanceFixture('orders-db', {
        DbiResourceId: 'db-RESTORED',
        DBInstanceStatus: 'incompatible-restore',
      }),
    );
    expect(await look(run)).toBe('failed');
    expect(published()[0]).toMatchObject({
      type: 'RestoreFailed',
      detail: {
        reason: 'restored instance orders-db ended in status incompatible-restore',
        errorCode: 'incompatible-restore',
      },
    });
  });
});

/** A member of the restored cluster, as RDS describes it once created. */
const restoredMember = (run: RunRecord, n: number, over: Partial<DBInstance> = {}) =>
  memberFixture('ledger', n, {
    DbiResourceId: `db-RESTORED-${n}`,
    TagList: [...memberTags(n), runTag(run)],
    ...over,
  });
const memberTags = (n: number) => [{ Key: 'role', Value: n === 1 ? 'writer' : 'reader' }];

/** A cluster run at its restore step; the restore call answers the new cluster's id. */
async function restoringCluster() {
  const { instances, clusters } = describedDatabases(rds);
  const run = await bed.store.createRun(clusterRun('ledger'));
  rds
    .on(RestoreDBClusterFromSnapshotCommand)
    .resolves({ DBCluster: { DbClusterResourceId: 'cluster-RESTORED' } });
  return { ctx: testContext('restore', bed.store), instances, clusters, run };
}

describe('cluster restore', () => {
  test('the cluster, then the former writer, then the readers, then one modification; the run tag comes off; verified', async () => {
    const { ctx, instances, clusters, run } = await restoringCluster();
    rds.on(CreateDBInstanceCommand).callsFake((input: { DBInstanceIdentifier: string }) => ({
      DBInstance: { DbiResourceId: `db-RESTORED-${input.DBInstanceIdentifier.slice(-1)}` },
    }));
    rds.on(ModifyDBClusterCommand).resolves({});
    rds.on(RemoveTagsFromResourceCommand).resolves({});
    await startRestore(ctx, run);
    expect(inputs(RestoreDBClusterFromSnapshotCommand)).toEqual([
      {
        DBClusterIdentifier: 'ledger',
        SnapshotIdentifier: run.names.restoreFrom,
        Engine: 'aurora-mysql',
        EngineVersion: '8.0.mysql_aurora.3.05.2',
        Port: 3307,
        DBSubnetGroupName: 'ledger-subnets',
        VpcSecurityGroupIds: ['sg-1'],
        DBClusterParameterGroupName: 'ledger-cpg',
        KmsKeyId: KEY,
        DeletionProtection: false,
        BackupRetentionPeriod: 7,
        PreferredBackupWindow: '03:00-03:30',
        CopyTagsToSnapshot: true,
        Tags: [{ Key: 'rewind:allow', Value: 'true' }, { Key: 'team', Value: 'ledger' }, runTag(run)],
      },
    ]);
    const restored = clusterFixture('ledger', {
      DbClusterResourceId: 'cluster-RESTORED',
      Status: 'creating',
      DeletionProtection: false,
      PreferredMaintenanceWindow: 'mon:00:00-mon:00:30',
      TagList: [...clusterFixture('ledger').TagList!, runTag(run)],
      DBClusterMembers: [],
    });
    clusters.set('ledger', restored);
    expect(await look(run)).toBe('waiting');
    expect(inputs(CreateDBInstanceCommand)).toEqual([]); // not before the cluster is available

    clusters.set('ledger', { ...restored, Status: 'available' });
    expect(await look(run)).toBe('waiting');
    expect(inputs(CreateDBInstanceCommand)).toEqual([
      {
        DBInstanceIdentifier: 'ledger-1',
        DBClusterIdentifier: 'ledger',
        Engine: 'aurora-mysql',
        DBInstanceClass: 'db.r6g.large',
        DBParameterGroupName: 'ledger-pg',
        PromotionTier: 1,
        AvailabilityZone: 'us-east-1a',
        PubliclyAccessible: false,
        AutoMinorVersionUpgrade: false,
        CACertificateIdentifier: 'rds-ca-rsa2048-g1',
        PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
        MonitoringInterval: 0,
        EnablePerformanceInsights: false,
        CopyTagsToSnapshot: true,
        Tags: [...memberTags(1), runTag(run)],
      },
    ]);

    instances.set('ledger-1', restoredMember(run, 1));
    expect(await look(run)).toBe('waiting');
    expect(inputs(CreateDBInstanceCommand).map((i) => i.DBInstanceIdentifier)).toEqual([
      'ledger-1',
      'ledger-2',
      'ledger-3',
    ]);
    expect(inputs(ModifyDBClusterCommand)).toEqual([]);

    for (const n of [2, 3]) instances.set(`ledger-${n}`, restoredMember(run, n));
    const members = [1, 2, 3].map((n) => ({ DBInstanceIdentifier: `ledger-${n}`, IsClusterWriter: n === 1 }));
    clusters.set('ledger', { ...restored, Status: 'available', DBClusterMembers: members });
    expect(await look(run)).toBe('waiting');
    expect(inputs(ModifyDBClusterCommand)).toEqual([
      {
        DBClusterIdentifier: 'ledger',
        ApplyImmediately: true,
        PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
        DeletionProtection: true,
      },
    ]);

    const configured = clusterFixture('ledger', {
      DbClusterResourceId: 'cluster-RESTORED',
      TagList: restored.TagList,
    });
    clusters.set('ledger', configured);
    expect(await look(run)).toBe('waiting');
    expect(
      inputs(RemoveTagsFromResourceCommand)
        .map((i) => i.ResourceName)
        .sort(),
    ).toEqual(
      [configured.DBClusterArn, ...[1, 2, 3].map((n) => restoredMember(run, n).DBInstanceArn)].sort(),
    );
    expect(published()).toEqual([]);

    clusters.set('ledger', { ...configured, TagList: clusterFixture('ledger').TagList });
    for (const n of [1, 2, 3])
      instances.set(`ledger-${n}`, restoredMember(run, n, { TagList: memberTags(n) }));
    expect(await look(run)).toBe('done');
    expect(published()).toMatchObject([
      {
        type: 'RestoreCompleted',
        detail: {
          endpoint: { address: 'ledger.cluster-c0ffee123456.us-east-1.rds.amazonaws.com', port: 3307 },
          appliedAfterRestore: ['PreferredMaintenanceWindow', 'DeletionProtection'],
        },
      },
    ]);
    expect((await stored(run)).resources.createdIds).toEqual({
      ledger: 'cluster-RESTORED',
      'ledger-1': 'db-RESTORED-1',
      'ledger-2': 'db-RESTORED-2',
      'ledger-3': 'db-RESTORED-3',
    });
    // each call once
    expect(inputs(RestoreDBClusterFromSnapshotCommand)).toHaveLength(1);
    expect(inputs(CreateDBInstanceCommand)).toHaveLength(3);
    expect(inputs(ModifyDBClusterCommand)).toHaveLength(1);
    expect(inputs(RemoveTagsFromResourceCommand)).toHaveLength(4);
  });

  test('a member held by a database this run did not create fails the step; nothing is created under its name', async () => {
    const { ctx, instances, clusters, run } = await restoringCluster();
    await startRestore(ctx, run);
    clusters.set(
      'ledger',
      clusterFixture('ledger', { DbClusterResourceId: 'cluster-RESTORED', DBClusterMembers: [] }),
    );
    instances.set('ledger-1', memberFixture('ledger', 1, { DbiResourceId: 'db-SOMEONE-ELSE' }));
    expect(await look(run)).toBe('failed');
    expect(inputs(CreateDBInstanceCommand)).toEqual([]);
    expect(published()[0]).toMatchObject({
      type: 'RestoreFailed',
      detail: {
        errorCode: 'NameNotFree',
        reason: 'ledger-1 is held by a database this run did not create (db-SOMEONE-ELSE)',
      },
    });
  });

  test('a restored cluster whose member differs from the original is not accepted', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances, clusters } = describedDatabases(rds);
    const run = await bed.store.createRun(
      clusterRun('ledger', {
        resources: {
          original: 'ledger',
          createdIds: {
            ledger: 'cluster-RESTORED',
            'ledger-1': 'db-RESTORED-1',
            'ledger-2': 'db-RESTORED-2',
            'ledger-3': 'db-RESTORED-3',
          },
        },
      }),
    );
    clusters.set('ledger', clusterFixture('ledger', { DbClusterResourceId: 'cluster-RESTORED' }));
    for (const n of [1, 2, 3]) {
      instances.set(
        `ledger-${n}`,
        memberFixture('ledger', n, {
          DbiResourceId: `db-RESTORED-${n}`,
          ...(n === 3 ? { DBInstanceClass: 'db.t4g.medium' } : {}),
        }),
      );
    }
    await startRestore(ctx, run);
    expect(published()[0]).toMatchObject({
      type: 'RestoreFailed',
      detail: { errorCode: 'ConfigurationMismatch', run: { next: 'discard' } },
    });
    expect(published()[0]!.detail.reason).toContain(
      'ledger-3.dbInstanceClass: expected "db.r6g.xlarge", got "db.t4g.medium"',
    );
    expect(rds.commandCalls(RestoreDBClusterFromSnapshotCommand)).toHaveLength(0);
  });
});
