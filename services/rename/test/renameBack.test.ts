import { ModifyDBClusterCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { settle } from '@rewind/shared';
import { renameBack } from '../src/renameBack';
import { ORIGINAL_ID, OTHER_ID, useRenameTestBed } from './renameTestBed';

const t = useRenameTestBed();
const { rds, put, move, ctx, instanceRenames, clusterRenames, published, detailOf, stored } = t;
const { instanceRun, clusterRun, rollingBack, member, halfAside, later } = t;

// ---- rename-back ----

describe('rename-back', () => {
  test('instance: the original goes back under its name; RollbackCompleted after two looks', async () => {
    const run = await rollingBack(await instanceRun());
    const temp = run.names.temporary!;
    put('instance', temp, 'available', ORIGINAL_ID);

    await renameBack.start(ctx(), run);
    expect(instanceRenames()).toEqual([
      { DBInstanceIdentifier: temp, NewDBInstanceIdentifier: 'orders-db', ApplyImmediately: true },
    ]);

    move('instance', temp, 'orders-db');
    expect(await settle(ctx(), await stored(run), renameBack.wait)).toBe('waiting');
    expect(published()).toEqual([]);
    expect(await settle(ctx(), await stored(run), renameBack.wait)).toBe('done');
    expect(published()).toEqual(['RollbackCompleted', 'RunFailed']);
    expect(detailOf('RollbackCompleted')).toMatchObject({
      restoredIdentifier: 'orders-db',
      failedStep: 'restore',
    });
    expect((await stored(run)).status).toBe('failed');
  });

  test('the original never left its name (by resource id): completes at once, even with another database under the temporary name', async () => {
    const run = await rollingBack(await instanceRun());
    put('instance', 'orders-db', 'available', ORIGINAL_ID);
    put('instance', run.names.temporary!, 'available', OTHER_ID);

    await renameBack.start(ctx(), run);

    expect(instanceRenames()).toEqual([]);
    expect(published()).toEqual(['RollbackCompleted', 'RunFailed']);
    expect(await stored(run)).toMatchObject({ status: 'failed', expectation: null, run: { next: null } });
  });

  test('a busy original (a set-aside that outlived its deadline) is renamed back once available', async () => {
    const run = await rollingBack(await instanceRun());
    const temp = run.names.temporary!;
    put('instance', temp, 'rebooting', ORIGINAL_ID);

    await renameBack.start(ctx(), run);
    expect(instanceRenames()).toEqual([]);
    expect((await stored(run)).expectation).toMatchObject({ step: 'rename-back', resourceName: 'orders-db' });

    put('instance', temp, 'available', ORIGINAL_ID);
    expect(await settle(ctx(), await stored(run), renameBack.wait)).toBe('waiting');
    expect(instanceRenames()).toEqual([
      { DBInstanceIdentifier: temp, NewDBInstanceIdentifier: 'orders-db', ApplyImmediately: true },
    ]);
  });

  test('cluster: whatever left its name goes back at once; a member that never moved is left alone', async () => {
    const run = await rollingBack(await clusterRun());
    const temp = run.names.temporary!;
    halfAside(run);

    await renameBack.start(ctx(), run);
    expect(clusterRenames()).toEqual([
      { DBClusterIdentifier: temp, NewDBClusterIdentifier: 'ledger', ApplyImmediately: true },
    ]);
    expect(instanceRenames()).toEqual([
      {
        DBInstanceIdentifier: member(run, 'ledger-1'),
        NewDBInstanceIdentifier: 'ledger-1',
        ApplyImmediately: true,
      },
    ]);

    move('cluster', temp, 'ledger');
    move('instance', member(run, 'ledger-1'), 'ledger-1');
    expect(await settle(ctx(), await stored(run), renameBack.wait)).toBe('waiting');
    expect(await settle(ctx(), await stored(run), renameBack.wait)).toBe('done');
    expect(published()).toEqual(['RollbackCompleted', 'RunFailed']);
    expect(detailOf('RollbackCompleted')).toMatchObject({ restoredIdentifier: 'ledger' });
  });

  test('the name held by another database: RollbackFailed with where the original is and what to run', async () => {
    const run = await rollingBack(await instanceRun());
    const temp = run.names.temporary!;
    put('instance', temp, 'available', ORIGINAL_ID);
    put('instance', 'orders-db', 'available', OTHER_ID);

    await renameBack.start(ctx(), run);

    expect(instanceRenames()).toEqual([]);
    expect(published()).toEqual(['RollbackFailed', 'RunFailed']);
    expect(detailOf('RollbackFailed')).toMatchObject({
      compensationStep: 'rename-back',
      failedStep: 'restore',
      reason: expect.stringContaining(`orders-db is held by another database (${OTHER_ID})`),
      state: `the original instance orders-db (${ORIGINAL_ID}) is available under the temporary name ${temp}; orders-db is held by another database (${OTHER_ID})`,
      action: `orders-db is held by another database (${OTHER_ID}): find out what it is and move it away first; rename what is still under a temporary name back by hand: aws rds modify-db-instance --db-instance-identifier ${temp} --new-db-instance-identifier orders-db --apply-immediately`,
    });
    expect((await stored(run)).status).toBe('rollback-failed');
  });

  test('a permanent RDS error on the call: RollbackFailed with the state and the exact commands', async () => {
    const run = await rollingBack(await instanceRun());
    const temp = run.names.temporary!;
    put('instance', temp, 'available', ORIGINAL_ID);
    rds.on(ModifyDBInstanceCommand).rejects(
      Object.assign(new Error('Database instance is not in available state.'), {
        name: 'InvalidDBInstanceStateFault',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    await renameBack.start(ctx(), run);

    expect(instanceRenames()).toHaveLength(1);
    expect(published()).toEqual(['RollbackFailed', 'RunFailed']);
    expect(detailOf('RollbackFailed')).toMatchObject({
      compensationStep: 'rename-back',
      reason: expect.stringMatching(
        new RegExp(`^rename instance ${temp} to orders-db failed: .*not in available state`),
      ),
      state: `the original instance orders-db (${ORIGINAL_ID}) is available under the temporary name ${temp}; nothing answers as orders-db`,
      action: `rename what is still under a temporary name back by hand: aws rds modify-db-instance --db-instance-identifier ${temp} --new-db-instance-identifier orders-db --apply-immediately`,
    });
    expect(await stored(run)).toMatchObject({ status: 'rollback-failed', expectation: null });
  });

  test('cluster: the commands cover the cluster and every member still under a temporary name', async () => {
    const run = await rollingBack(await clusterRun());
    const temp = run.names.temporary!;
    halfAside(run);
    rds
      .on(ModifyDBClusterCommand)
      .rejects(Object.assign(new Error('quota'), { name: 'InvalidDBClusterStateFault', $metadata: {} }));

    await renameBack.start(ctx(), run);

    const { state, action } = detailOf('RollbackFailed');
    expect(state).toBe(
      [
        `the original cluster ledger (cluster-LEDGER) is available under the temporary name ${temp}; nothing answers as ledger`,
        `the original instance ledger-1 (db-LEDGER1) is available under the temporary name ${member(run, 'ledger-1')}; nothing answers as ledger-1`,
        'the original instance ledger-2 (db-LEDGER2) is available under its name',
      ].join('; '),
    );
    expect(action).toBe(
      `rename what is still under a temporary name back by hand: aws rds modify-db-cluster --db-cluster-identifier ${temp} --new-db-cluster-identifier ledger --apply-immediately; aws rds modify-db-instance --db-instance-identifier ${member(run, 'ledger-1')} --new-db-instance-identifier ledger-1 --apply-immediately`,
    );
  });

  test('the deadline passes with the original still busy: RollbackFailed says where it is and what to run', async () => {
    const run = await rollingBack(await instanceRun());
    const temp = run.names.temporary!;
    put('instance', temp, 'storage-optimization', ORIGINAL_ID);
    await renameBack.start(ctx(), run);
    const waiting = await stored(run);
    const afterwards = later(3600);

    const check = {
      kind: 'rewind.check',
      runId: run.runId,
      step: 'rename-back',
      seq: waiting.expectation!.checks,
    } as const;
    expect(await settle(afterwards, waiting, renameBack.wait, check)).toBe('failed');

    expect(instanceRenames()).toEqual([]);
    expect(published()).toEqual(['RollbackFailed', 'RunFailed']);
    expect(detailOf('RollbackFailed')).toMatchObject({
      reason: expect.stringMatching(
        /did not become available within its deadline .*last status: .* is storage-optimization/,
      ),
      state: `the original instance orders-db (${ORIGINAL_ID}) is storage-optimization under the temporary name ${temp}; nothing answers as orders-db`,
      action: expect.stringContaining(`aws rds modify-db-instance --db-instance-identifier ${temp}`),
    });
  });

  test('neither name answers: RollbackFailed at once, saying the original is under neither', async () => {
    const run = await rollingBack(await instanceRun());

    await renameBack.start(ctx(), run);

    expect(published()).toEqual(['RollbackFailed', 'RunFailed']);
    expect(detailOf('RollbackFailed')).toMatchObject({
      state: `the original instance orders-db (${ORIGINAL_ID}) is neither under ${run.names.temporary} nor under its name; nothing answers as orders-db`,
    });
  });

  test('throttling is no failure: the call is sent again by a later look', async () => {
    const run = await rollingBack(await instanceRun());
    const temp = run.names.temporary!;
    put('instance', temp, 'available', ORIGINAL_ID);
    rds
      .on(ModifyDBInstanceCommand)
      .rejectsOnce(
        Object.assign(new Error('slow down'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }),
      )
      .resolves({});

    await renameBack.start(ctx(), run);
    expect(published()).toEqual([]);
    expect((await stored(run)).status).toBe('rolling-back');

    // a look within the act timeout leaves the call in flight alone; one after it sends the call again
    expect(await settle(ctx(), await stored(run), renameBack.wait)).toBe('waiting');
    expect(instanceRenames()).toHaveLength(1);
    const afterwards = later(10);
    expect(await settle(afterwards, await stored(run), renameBack.wait)).toBe('waiting');
    expect(instanceRenames()).toEqual([
      { DBInstanceIdentifier: temp, NewDBInstanceIdentifier: 'orders-db', ApplyImmediately: true },
      { DBInstanceIdentifier: temp, NewDBInstanceIdentifier: 'orders-db', ApplyImmediately: true },
    ]);
  });
});
