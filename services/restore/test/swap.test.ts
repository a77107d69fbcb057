import {
  DeleteDBInstanceCommand,
  ModifyDBInstanceCommand,
  RemoveTagsFromResourceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import {
  beginCompensation,
  instanceConfigOf,
  planFor,
  stagingIdentifier,
  startRun,
  type RunRecord,
  type StepName,
} from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture, runFixture } from '@rewind/shared/src/testing/fixtures';
import { discard } from '../src/discard';
import { restoreBeside } from '../src/restoreStep';
import { describedDatabases, rdsError, stepReadback } from './stepTestBed';

/**
 * The swap strategy's side of the restore service: the copy restored beside the original under its
 * staging name (same restore, same configuration and verification, its endpoint aside), and the discard
 * of that copy, which never touches the original serving under its name.
 */

const bed = useServiceTestBed();
const { rds } = bed;
const beside = stepReadback(bed, restoreBeside.wait);
const discarding = stepReadback(bed, discard.wait);

const ORIGINAL_ID = 'db-ORIGINAL';
const ORIGINAL_TAGS = [
  { Key: 'rewind:allow', Value: 'true' },
  { Key: 'team', Value: 'payments' },
];

/** A swap run of orders-db with `next` as its next step. */
function swapRun(next: StepName, changes: Partial<RunRecord> = {}): Promise<RunRecord> {
  const fixture = runFixture('orders-db', 'create_snapshot');
  const plan = planFor('create_snapshot', 'swap');
  return bed.store.createRun({
    ...fixture,
    strategy: 'swap',
    run: { ...startRun({ ...fixture.run, strategy: 'swap', plan }), next },
    names: { ...fixture.names, staging: stagingIdentifier('orders-db', fixture.runId) },
    config: { ...fixture.config!, dbiResourceId: ORIGINAL_ID } as RunRecord['config'],
    ...changes,
  });
}

describe('restore-beside', () => {
  test('the snapshot is restored under the staging name with every setting; verified without the original endpoint; the name is not taken', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    const run = await swapRun('restore-beside');
    const staging = run.names.staging!;
    instances.set('orders-db', dbInstanceFixture('orders-db', { DbiResourceId: ORIGINAL_ID }));
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: { DbiResourceId: 'db-COPY' } });
    rds.on(RemoveTagsFromResourceCommand).resolves({});

    await restoreBeside.start(ctx, run);
    const [input] = beside.inputs(RestoreDBInstanceFromDBSnapshotCommand);
    expect(input).toMatchObject({
      DBInstanceIdentifier: staging,
      DBSnapshotIdentifier: run.names.restoreFrom,
      DBParameterGroupName: instanceConfigOf(run).dbParameterGroupName,
      Tags: [...ORIGINAL_TAGS, { Key: 'rewind:run-id', Value: run.runId }],
    });
    expect((await beside.stored(run)).resources.createdIds).toEqual({ [staging]: 'db-COPY' });

    // the copy answers at its own endpoint (its staging name's), with the original's settings and tags
    instances.set(
      staging,
      dbInstanceFixture(staging, {
        DbiResourceId: 'db-COPY',
        TagList: ORIGINAL_TAGS,
        Endpoint: { Address: `${staging}.c0ffee123456.us-east-1.rds.amazonaws.com`, Port: 5433 },
      }),
    );
    expect(await beside.look(run)).toBe('done');
    expect(beside.inputs(ModifyDBInstanceCommand)).toEqual([]);
    expect(beside.published()).toEqual([
      expect.objectContaining({
        type: 'RestoreCompleted',
        detail: expect.objectContaining({
          stagingIdentifier: staging,
          run: expect.objectContaining({ next: 'set-aside' }),
        }),
      }),
    ]);
    // not under the name yet: cleanup may not delete anything until take-name records it
    expect((await beside.stored(run)).resources.restored).toBeUndefined();
  });
});

describe('discard of a swap copy', () => {
  test('before the renames: the copy under its staging name goes; the original under its name is never touched', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    const base = await swapRun('restore-beside');
    const run = await bed.store.updateRun(base, {
      run: beginCompensation(base.run, 'restore-beside'),
      status: 'rolling-back',
      failure: { step: 'restore-beside', reason: 'incompatible-restore' },
      resources: { ...base.resources, createdIds: { [base.names.staging!]: 'db-COPY' } },
    });
    instances.set(
      'orders-db',
      dbInstanceFixture('orders-db', { DbiResourceId: ORIGINAL_ID, DeletionProtection: true }),
    );
    instances.set(
      run.names.staging!,
      dbInstanceFixture(run.names.staging!, { DbiResourceId: 'db-COPY', DeletionProtection: false }),
    );
    rds.on(DeleteDBInstanceCommand).resolves({});

    await discard.start(ctx, run);
    expect(discarding.inputs(DeleteDBInstanceCommand).map((i) => i.DBInstanceIdentifier)).toEqual([
      run.names.staging,
    ]);
    expect(discarding.inputs(ModifyDBInstanceCommand)).toEqual([]);
    instances.delete(run.names.staging!);
    expect(await discarding.look(run)).toBe('done');
    // the discard was the whole compensation: the run is rolled back (the original never left)
    expect(discarding.published().map((e) => e.type)).toEqual(['RollbackCompleted', 'RunFailed']);
    expect(discarding.published()[1]!.detail).toMatchObject({
      failedStep: 'restore-beside',
      rolledBack: true,
    });
  });

  test('take-name failed half way: the copy is found under the original name by its recorded id and deleted', async () => {
    const ctx = testContext('restore', bed.store);
    const { instances } = describedDatabases(rds);
    const base = await swapRun('take-name');
    const run = await bed.store.updateRun(base, {
      run: beginCompensation(base.run, 'take-name'),
      status: 'rolling-back',
      failure: { step: 'take-name', reason: 'rename refused' },
      resources: { ...base.resources, createdIds: { [base.names.staging!]: 'db-COPY' } },
    });
    // the copy took the name (its tag long removed); the original is set aside
    instances.set(
      'orders-db',
      dbInstanceFixture('orders-db', { DbiResourceId: 'db-COPY', DeletionProtection: false }),
    );
    instances.set(
      run.names.temporary!,
      dbInstanceFixture(run.names.temporary!, { DbiResourceId: ORIGINAL_ID }),
    );
    rds.on(DeleteDBInstanceCommand).resolves({});

    await discard.start(ctx, run);
    expect(discarding.inputs(DeleteDBInstanceCommand).map((i) => i.DBInstanceIdentifier)).toEqual([
      'orders-db',
    ]);
    instances.delete('orders-db');
    expect(await discarding.look(run)).toBe('done');
    // the original is renamed back next
    expect(discarding.published()).toEqual([
      expect.objectContaining({
        type: 'DiscardCompleted',
        detail: expect.objectContaining({ run: expect.objectContaining({ next: 'rename-back' }) }),
      }),
    ]);
  });
});

test('a discard that fails after take-name failed: RollbackFailed names both names the copy may hold, its id, and the rename back', async () => {
  const ctx = testContext('restore', bed.store);
  const { instances } = describedDatabases(rds);
  const base = await swapRun('take-name');
  const staging = base.names.staging!;
  const run = await bed.store.updateRun(base, {
    run: beginCompensation(base.run, 'take-name'),
    status: 'rolling-back',
    failure: { step: 'take-name', reason: 'rename refused' },
    resources: { ...base.resources, createdIds: { [staging]: 'db-COPY' } },
  });
  instances.set(
    'orders-db',
    dbInstanceFixture('orders-db', { DbiResourceId: 'db-COPY', DeletionProtection: false }),
  );
  rds.on(DeleteDBInstanceCommand).rejects(rdsError('InvalidParameterCombination', 'cannot delete'));

  await discard.start(ctx, run);
  const [failed] = discarding.published();
  const check = '(check that its resource id is db-COPY, the one this run created)';
  expect(failed).toMatchObject({
    type: 'RollbackFailed',
    detail: {
      compensationStep: 'discard',
      state: `a half-restored instance may still hold the name ${staging} or orders-db; the original is safe under ${run.names.temporary}`,
      action:
        `delete the half-restored instance (aws rds delete-db-instance --db-instance-identifier ${staging} --skip-final-snapshot) ${check}; ` +
        `(aws rds delete-db-instance --db-instance-identifier orders-db --skip-final-snapshot) ${check}, then rename the original back ` +
        `(aws rds modify-db-instance --db-instance-identifier ${run.names.temporary} --new-db-instance-identifier orders-db --apply-immediately)`,
    },
  });
});
