import { ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  planFor,
  settle,
  stagingIdentifier,
  startRun,
  type RunRecord,
  type Task,
  type ServiceContext,
} from '@rewind/shared';
import { takeName } from '../src/takeName';
import { ORIGINAL_ID, OTHER_ID, useRenameTestBed } from './renameTestBed';

const t = useRenameTestBed();
const { world, put, ctx, instanceRenames, clusterRenames, published, detailOf, stored } = t;

const COPY_ID = 'db-COPY0000000000000000000';

/** A swap run whose copy was restored beside the original and whose original is set aside: take-name is next. */
async function swapAtTakeName(run: RunRecord, created: Record<string, string>): Promise<RunRecord> {
  const plan = planFor(run.task as Task, 'swap');
  const block = { ...startRun({ ...run.run, strategy: 'swap', plan }), next: 'take-name' as const };
  return t.store.updateRun(run, {
    strategy: 'swap',
    run: block,
    names: { ...run.names, staging: stagingIdentifier(run.identifier, run.runId) },
    resources: { ...run.resources, setAside: run.names.temporary, createdIds: created },
  });
}

/** A context whose rename checks come every `seconds`. */
function renameChecksEvery(seconds: number): ServiceContext {
  const c = ctx();
  return { ...c, config: { ...c.config, wait: { ...c.config.wait, renameCheckSeconds: seconds } } };
}

const checkDelays = () => t.sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input.DelaySeconds);

describe('take-name (swap)', () => {
  test('instance: the copy takes the name from its staging name, checked often while in flight, done on two looks', async () => {
    const base = await t.instanceRun();
    const staging = stagingIdentifier('orders-db', base.runId);
    const run = await swapAtTakeName(base, { [staging]: COPY_ID });
    put('instance', base.names.temporary!, 'available', ORIGINAL_ID);
    put('instance', staging, 'available', COPY_ID);
    const c = renameChecksEvery(7);

    await takeName.start(c, run);
    expect(instanceRenames()).toEqual([
      { DBInstanceIdentifier: staging, NewDBInstanceIdentifier: 'orders-db', ApplyImmediately: true },
    ]);
    // the first check comes after the short rename interval, not after the first-check backoff
    expect(checkDelays()).toEqual([7]);

    t.move('instance', staging, 'orders-db', 'renaming');
    expect(await settle(c, await stored(run), takeName.wait, checkOf(await stored(run)))).toBe('waiting');
    expect(checkDelays()).toEqual([7, 7]); // flat: no backoff while the rename is in flight
    world.instance.get('orders-db')!.status = 'available';
    expect(await settle(c, await stored(run), takeName.wait)).toBe('waiting');
    expect(published()).toEqual([]);
    expect(await settle(c, await stored(run), takeName.wait)).toBe('done');

    expect(published()).toEqual(['RenameCompleted']);
    expect(detailOf('RenameCompleted')).toMatchObject({
      from: staging,
      to: 'orders-db',
      purpose: 'take-name',
      run: { next: 'cleanup' },
    });
    expect((await stored(run)).resources.restored).toBe('orders-db');
    expect(instanceRenames()).toHaveLength(1);
  });

  test('the name held by another database: no rename, the step fails, the copy is discarded and the original renamed back', async () => {
    const base = await t.instanceRun();
    const staging = stagingIdentifier('orders-db', base.runId);
    const run = await swapAtTakeName(base, { [staging]: COPY_ID });
    put('instance', base.names.temporary!, 'available', ORIGINAL_ID);
    put('instance', staging, 'available', COPY_ID);
    put('instance', 'orders-db', 'available', OTHER_ID);

    await takeName.start(ctx(), run);
    expect(instanceRenames()).toEqual([]);
    expect(published()).toEqual(['RestoreFailed']);
    expect(detailOf('RestoreFailed')).toMatchObject({
      step: 'take-name',
      errorCode: 'NameTaken',
      compensation: ['discard', 'rename-back'],
      run: { next: 'discard' },
    });
  });

  test('RDS still holding back the name its old holder just left: the call is sent again later, the step does not fail', async () => {
    const base = await t.instanceRun();
    const staging = stagingIdentifier('orders-db', base.runId);
    const run = await swapAtTakeName(base, { [staging]: COPY_ID });
    put('instance', base.names.temporary!, 'rebooting', ORIGINAL_ID);
    put('instance', staging, 'available', COPY_ID);
    const taken = Object.assign(new Error('DB instance already exists'), {
      name: 'DBInstanceAlreadyExists',
      $fault: 'client',
      $metadata: {},
    });
    t.rds.on(ModifyDBInstanceCommand).rejectsOnce(taken).resolves({});

    await takeName.start(ctx(), run);
    expect(instanceRenames()).toHaveLength(1);
    expect((await stored(run)).status).not.toBe('rolling-back');
    expect(published()).toEqual([]);
    // within the act timeout nothing is sent again; after it, the rename is sent again and goes through
    expect(await settle(ctx(), await stored(run), takeName.wait)).toBe('waiting');
    expect(instanceRenames()).toHaveLength(1);
    const later = t.later(ctx().config.wait.actTimeoutSeconds + 1);
    expect(await settle(later, await stored(run), takeName.wait)).toBe('waiting');
    expect(instanceRenames()).toEqual([
      { DBInstanceIdentifier: staging, NewDBInstanceIdentifier: 'orders-db', ApplyImmediately: true },
      { DBInstanceIdentifier: staging, NewDBInstanceIdentifier: 'orders-db', ApplyImmediately: true },
    ]);
    expect(published()).toEqual([]);
  });

  test('a staging name held by a database the run did not create is never renamed', async () => {
    const base = await t.instanceRun();
    const staging = stagingIdentifier('orders-db', base.runId);
    const run = await swapAtTakeName(base, { [staging]: COPY_ID });
    put('instance', staging, 'available', OTHER_ID);

    await takeName.start(ctx(), run);
    expect(instanceRenames()).toEqual([]);
    expect(detailOf('RestoreFailed')).toMatchObject({ step: 'take-name', errorCode: 'NotOriginal' });
  });

  test('cluster: the copy cluster takes the name first, then each member, each by its recorded resource id', async () => {
    const base = await t.clusterRun();
    const staging = stagingIdentifier('ledger', base.runId);
    const m1 = stagingIdentifier('ledger-1', base.runId);
    const m2 = stagingIdentifier('ledger-2', base.runId);
    const run = await swapAtTakeName(base, {
      [staging]: 'cluster-COPY',
      [m1]: 'db-COPY1',
      [m2]: 'db-COPY2',
    });
    put('cluster', staging, 'available', 'cluster-COPY');
    put('instance', m1, 'available', 'db-COPY1');
    put('instance', m2, 'available', 'db-COPY2');

    await takeName.start(ctx(), run);
    expect(clusterRenames()).toEqual([
      { DBClusterIdentifier: staging, NewDBClusterIdentifier: 'ledger', ApplyImmediately: true },
    ]);
    expect(instanceRenames()).toEqual([]);
    t.move('cluster', staging, 'ledger');
    expect(await settle(ctx(), await stored(run), takeName.wait)).toBe('waiting');
    expect(instanceRenames().map((r) => [r.DBInstanceIdentifier, r.NewDBInstanceIdentifier])).toEqual([
      [m1, 'ledger-1'],
      [m2, 'ledger-2'],
    ]);
    t.move('instance', m1, 'ledger-1');
    t.move('instance', m2, 'ledger-2');
    expect(await settle(ctx(), await stored(run), takeName.wait)).toBe('waiting');
    expect(await settle(ctx(), await stored(run), takeName.wait)).toBe('done');
    expect(detailOf('RenameCompleted')).toMatchObject({ from: staging, to: 'ledger', purpose: 'take-name' });
  });
});

function checkOf(run: RunRecord) {
  return {
    kind: 'rewind.check' as const,
    runId: run.runId,
    step: 'take-name' as const,
    seq: run.expectation!.checks,
  };
}
