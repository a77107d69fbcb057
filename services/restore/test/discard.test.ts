import {
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { beginCompensation, type RunRecord } from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture, runFixture } from '@rewind/shared/src/testing/fixtures';
import { discard } from '../src/discard';
import {
  clusterFixture,
  clusterRun,
  describedDatabases,
  memberFixture,
  rdsError,
  stepReadback,
} from './stepTestBed';

const bed = useServiceTestBed();
const { rds } = bed;

const { published, stored, look, inputs } = stepReadback(bed, discard.wait);

/** A run whose restore failed: compensation is under way, discard next. */
function atDiscard(fixture: Omit<RunRecord, 'version'>, createdIds: Record<string, string>) {
  return bed.store.createRun({
    ...fixture,
    run: beginCompensation({ ...fixture.run, next: 'restore' }, 'restore'),
    status: 'rolling-back',
    failure: { step: 'restore', reason: 'cancelled' },
    resources: { ...fixture.resources, createdIds },
  });
}

describe('discard of an instance run', () => {
  test('a copy still being created is waited out, then deleted; DiscardCompleted names it', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    const run = await atDiscard(runFixture('orders-db'), { 'orders-db': 'db-RESTORED' });
    rds.on(DeleteDBInstanceCommand).resolves({});
    const copy = dbInstanceFixture('orders-db', {
      DbiResourceId: 'db-RESTORED',
      DBInstanceStatus: 'creating',
      DeletionProtection: false,
    });
    instances.set('orders-db', copy);
    await discard.start(ctx, run);
    expect(inputs(DeleteDBInstanceCommand)).toEqual([]);
    expect((await stored(run)).expectation).toMatchObject({ step: 'discard', target: 'deleted' });

    instances.set('orders-db', { ...copy, DBInstanceStatus: 'available' });
    expect(await look(run)).toBe('waiting');
    expect(inputs(DeleteDBInstanceCommand)).toEqual([
      { DBInstanceIdentifier: 'orders-db', SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
    ]);
    expect(await look(run)).toBe('waiting'); // deleting: the call is not sent again
    expect(inputs(DeleteDBInstanceCommand)).toHaveLength(1);

    instances.delete('orders-db');
    expect(await look(run)).toBe('done');
    expect(published()).toMatchObject([
      {
        type: 'DiscardCompleted',
        detail: { discardedIdentifier: 'orders-db', run: { next: 'rename-back' } },
      },
    ]);
  });

  test('a protected copy: protection lifted first, then deleted', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    const run = await atDiscard(runFixture('orders-db'), { 'orders-db': 'db-RESTORED' });
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds.on(DeleteDBInstanceCommand).resolves({});
    const copy = dbInstanceFixture('orders-db', { DbiResourceId: 'db-RESTORED', DeletionProtection: true });
    instances.set('orders-db', copy);
    await discard.start(ctx, run);
    expect(inputs(ModifyDBInstanceCommand)).toEqual([
      { DBInstanceIdentifier: 'orders-db', DeletionProtection: false, ApplyImmediately: true },
    ]);
    expect(inputs(DeleteDBInstanceCommand)).toEqual([]);
    instances.set('orders-db', { ...copy, DeletionProtection: false });
    expect(await look(run)).toBe('waiting');
    expect(inputs(DeleteDBInstanceCommand)).toHaveLength(1);
  });

  test.each([
    ['the original (its resource id)', 'db-ORIGINAL0000000000000000'],
    ['a database this run did not create', 'db-SOMEONE-ELSE'],
  ])('%s under the name is never deleted: nothing to discard', async (_what, resourceId) => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    const run = await atDiscard(runFixture('orders-db'), {});
    instances.set('orders-db', dbInstanceFixture('orders-db', { DbiResourceId: resourceId }));
    await discard.start(ctx, run);
    expect(inputs(DeleteDBInstanceCommand)).toEqual([]);
    expect(inputs(ModifyDBInstanceCommand)).toEqual([]);
    expect(published()).toMatchObject([
      { type: 'DiscardCompleted', detail: { discardedIdentifier: null, run: { next: 'rename-back' } } },
    ]);
  });

  test('a permanent RDS error: RollbackFailed with the state and the commands that finish it by hand', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    const run = await atDiscard(runFixture('orders-db'), { 'orders-db': 'db-RESTORED' });
    instances.set(
      'orders-db',
      dbInstanceFixture('orders-db', { DbiResourceId: 'db-RESTORED', DeletionProtection: false }),
    );
    rds.on(DeleteDBInstanceCommand).rejects(rdsError('InvalidParameterCombination', 'cannot delete'));
    await discard.start(ctx, run);
    expect((await stored(run)).status).toBe('rollback-failed');
    const [failed, runFailed] = published();
    expect(runFailed?.type).toBe('RunFailed');
    expect(failed).toMatchObject({
      type: 'RollbackFailed',
      detail: {
        compensationStep: 'discard',
        reason:
          'delete the half-restored instance orders-db failed: InvalidParameterCombination: cannot delete',
        state: `a half-restored instance may still hold the name orders-db; the original is safe under ${run.names.temporary}`,
        action:
          'delete the half-restored instance (aws rds delete-db-instance --db-instance-identifier orders-db --skip-final-snapshot) ' +
          '(check that its resource id is db-RESTORED, the one this run created), then rename the original back ' +
          `(aws rds modify-db-instance --db-instance-identifier ${run.names.temporary} --new-db-instance-identifier orders-db --apply-immediately)`,
      },
    });
  });
});

describe('discard of a cluster run', () => {
  test('the members this run created first, then the protection of the cluster, then the cluster; nothing else', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances, clusters } = describedDatabases(rds);
    // ledger-1 recorded; ledger-2 only tagged (its create answer was lost); ledger-3 is somebody else's
    const run = await atDiscard(clusterRun('ledger'), {
      ledger: 'cluster-RESTORED',
      'ledger-1': 'db-RESTORED-1',
    });
    instances.set('ledger-1', memberFixture('ledger', 1, { DbiResourceId: 'db-RESTORED-1' }));
    instances.set(
      'ledger-2',
      memberFixture('ledger', 2, {
        DbiResourceId: 'db-RESTORED-2',
        TagList: [{ Key: 'rewind:run-id', Value: run.runId }],
      }),
    );
    instances.set('ledger-3', memberFixture('ledger', 3, { DbiResourceId: 'db-SOMEONE-ELSE' }));
    const copy = clusterFixture('ledger', {
      DbClusterResourceId: 'cluster-RESTORED',
      DeletionProtection: true,
    });
    clusters.set('ledger', copy);
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(ModifyDBClusterCommand).resolves({});
    rds.on(DeleteDBClusterCommand).resolves({});

    await discard.start(ctx, run);
    expect(
      inputs(DeleteDBInstanceCommand)
        .map((i) => i.DBInstanceIdentifier)
        .sort(),
    ).toEqual(['ledger-1', 'ledger-2']);
    expect(inputs(ModifyDBClusterCommand)).toEqual([]);

    instances.delete('ledger-1');
    instances.delete('ledger-2');
    expect(await look(run)).toBe('waiting');
    expect(inputs(ModifyDBClusterCommand)).toEqual([
      { DBClusterIdentifier: 'ledger', DeletionProtection: false, ApplyImmediately: true },
    ]);
    expect(inputs(DeleteDBClusterCommand)).toEqual([]);

    clusters.set('ledger', { ...copy, DeletionProtection: false });
    expect(await look(run)).toBe('waiting');
    expect(inputs(DeleteDBClusterCommand)).toEqual([
      { DBClusterIdentifier: 'ledger', SkipFinalSnapshot: true },
    ]);

    clusters.delete('ledger');
    expect(await look(run)).toBe('done');
    expect(published()).toMatchObject([
      { type: 'DiscardCompleted', detail: { discardedIdentifier: 'ledger' } },
    ]);
    expect(inputs(DeleteDBInstanceCommand)).toHaveLength(2); // ledger-3 never
  });

  test('the original cluster under the name is never deleted', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances, clusters } = describedDatabases(rds);
    const run = await atDiscard(clusterRun('ledger'), {});
    clusters.set('ledger', clusterFixture('ledger'));
    for (const n of [1, 2, 3]) instances.set(`ledger-${n}`, memberFixture('ledger', n));
    await discard.start(ctx, run);
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
    expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);
    expect(rds.commandCalls(ModifyDBClusterCommand)).toHaveLength(0);
    expect(published()).toMatchObject([{ type: 'DiscardCompleted', detail: { discardedIdentifier: null } }]);
  });

  test('a permanent RDS error: RollbackFailed naming every command, members first', async () => {
    const ctx = testContext('restore', bed.store);
    const { clusters } = describedDatabases(rds);
    const run = await atDiscard(clusterRun('ledger'), { ledger: 'cluster-RESTORED' });
    clusters.set(
      'ledger',
      clusterFixture('ledger', { DbClusterResourceId: 'cluster-RESTORED', DeletionProtection: false }),
    );
    rds.on(DeleteDBClusterCommand).rejects(rdsError('InvalidParameterCombination', 'no'));
    await discard.start(ctx, run);
    const [failed] = published();
    expect(failed?.type).toBe('RollbackFailed');
    expect(failed?.detail.action).toBe(
      'delete the half-restored members (' +
        [1, 2, 3]
          .map((n) => `aws rds delete-db-instance --db-instance-identifier ledger-${n} --skip-final-snapshot`)
          .join('; ') +
        '), then delete the half-restored cluster (aws rds delete-db-cluster --db-cluster-identifier ledger --skip-final-snapshot) ' +
        '(check that its resource id is cluster-RESTORED, the one this run created), then rename the original back ' +
        `(aws rds modify-db-cluster --db-cluster-identifier ${run.names.temporary} --new-db-cluster-identifier ledger --apply-immediately, then each member likewise)`,
    );
  });
});
