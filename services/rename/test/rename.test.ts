import { planFor, settle, startRun, type RunRecord } from '@rewind/shared';
import { setAside } from '../src/setAside';
import { ORIGINAL_ID, OTHER_ID, useRenameTestBed } from './renameTestBed';

const t = useRenameTestBed();
const { world, put, move, ctx, instanceRenames, clusterRenames, published, detailOf, stored } = t;
const { instanceRun, clusterRun, member } = t;

/** The run as a swap whose copy was restored beside the original: set-aside is next. */
async function asSwap(run: RunRecord): Promise<RunRecord> {
  const block = { ...startRun({ ...run.run, strategy: 'swap', plan: planFor('db_restore', 'swap') }) };
  return t.store.updateRun(run, { strategy: 'swap', run: { ...block, next: 'set-aside' } });
}

// ---- set-aside ----

describe('set-aside', () => {
  test('instance: one rename to the temporary name, done after two looks in a row', async () => {
    const run = await instanceRun();
    const temp = run.names.temporary!;
    put('instance', 'orders-db', 'available', ORIGINAL_ID);

    await setAside.start(ctx(), run);
    expect(instanceRenames()).toEqual([
      { DBInstanceIdentifier: 'orders-db', NewDBInstanceIdentifier: temp, ApplyImmediately: true },
    ]);
    expect((await stored(run)).expectation).toMatchObject({
      step: 'set-aside',
      resourceKind: 'instance',
      resourceName: temp,
      acted: true,
    });
    expect(await t.store.lookupResource('instance', temp)).toMatchObject({ runId: run.runId });

    // right after the call, neither name may answer for a moment: the rename is under way, not failed
    world.instance.delete('orders-db');
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    put('instance', temp, 'available', ORIGINAL_ID);
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect(published()).toEqual([]);
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('done');

    expect(published()).toEqual(['RenameCompleted']);
    expect(detailOf('RenameCompleted')).toMatchObject({
      from: 'orders-db',
      to: temp,
      purpose: 'set-aside',
      run: { next: 'restore' },
    });
    expect((await stored(run)).resources).toMatchObject({ original: 'orders-db', setAside: temp });
    expect(instanceRenames()).toHaveLength(1);
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('stale');
  });

  test('two confirmations: a flash of available before the reboot, or the old name still answering, is no sighting', async () => {
    const run = await instanceRun();
    const temp = run.names.temporary!;
    put('instance', 'orders-db', 'available', ORIGINAL_ID);
    await setAside.start(ctx(), run);
    const confirmations = async () => (await stored(run)).expectation!.confirmations;

    // the same database answers under both names for a moment: not done
    put('instance', temp, 'available', ORIGINAL_ID);
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect(await confirmations()).toBe(0);
    // the old name is gone and the new one available: seen once
    world.instance.delete('orders-db');
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect(await confirmations()).toBe(1);
    // then the rename's reboot: the sighting does not count
    put('instance', temp, 'rebooting', ORIGINAL_ID);
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect(await confirmations()).toBe(0);
    put('instance', temp, 'available', ORIGINAL_ID);
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect(published()).toEqual([]);
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('done');
    expect(published()).toEqual(['RenameCompleted']);
    expect(instanceRenames()).toHaveLength(1);
  });

  test('cluster: the cluster first, then each member, then RenameCompleted for the cluster', async () => {
    const run = await clusterRun();
    const temp = run.names.temporary!;
    put('cluster', 'ledger', 'available', 'cluster-LEDGER');
    put('instance', 'ledger-1', 'available', 'db-LEDGER1');
    put('instance', 'ledger-2', 'available', 'db-LEDGER2');

    await setAside.start(ctx(), run);
    expect(clusterRenames()).toEqual([
      { DBClusterIdentifier: 'ledger', NewDBClusterIdentifier: temp, ApplyImmediately: true },
    ]);
    expect(instanceRenames()).toEqual([]);

    move('cluster', 'ledger', temp);
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect(instanceRenames()).toEqual([
      {
        DBInstanceIdentifier: 'ledger-1',
        NewDBInstanceIdentifier: member(run, 'ledger-1'),
        ApplyImmediately: true,
      },
      {
        DBInstanceIdentifier: 'ledger-2',
        NewDBInstanceIdentifier: member(run, 'ledger-2'),
        ApplyImmediately: true,
      },
    ]);
    expect((await stored(run)).expectation?.phase).toMatchObject({
      index: 1,
      watch: [member(run, 'ledger-1'), member(run, 'ledger-2')],
    });

    move('instance', 'ledger-1', member(run, 'ledger-1'));
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    move('instance', 'ledger-2', member(run, 'ledger-2'));
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('done');

    expect(published()).toEqual(['RenameCompleted']);
    expect(detailOf('RenameCompleted')).toMatchObject({ from: 'ledger', to: temp, purpose: 'set-aside' });
    expect(clusterRenames()).toHaveLength(1);
    expect(instanceRenames()).toHaveLength(2);
  });

  test('a busy original is renamed once it is available, and only then', async () => {
    const run = await instanceRun();
    put('instance', 'orders-db', 'backing-up', ORIGINAL_ID);

    await setAside.start(ctx(), run);
    expect(instanceRenames()).toEqual([]);
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect(instanceRenames()).toEqual([]);

    put('instance', 'orders-db', 'available', ORIGINAL_ID);
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect(instanceRenames()).toEqual([
      {
        DBInstanceIdentifier: 'orders-db',
        NewDBInstanceIdentifier: run.names.temporary,
        ApplyImmediately: true,
      },
    ]);
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect(instanceRenames()).toHaveLength(1);
  });

  test.each([
    [
      'the temporary name held by another database',
      (temp: string) => {
        put('instance', 'orders-db', 'available', ORIGINAL_ID);
        put('instance', temp, 'available', OTHER_ID);
      },
      'NameTaken',
      `is held by another database (${OTHER_ID}), not the instance this run recorded (${ORIGINAL_ID})`,
    ],
    [
      'another database (resource id) under the original name',
      () => put('instance', 'orders-db', 'available', OTHER_ID),
      'NotOriginal',
      `orders-db is not the instance this run recorded (${ORIGINAL_ID}) but ${OTHER_ID}`,
    ],
    [
      'nothing under either name before any call',
      () => undefined,
      'NotFound',
      `the instance this run recorded (${ORIGINAL_ID}) is not under either name`,
    ],
  ])(
    '%s: the step fails at once, nothing is renamed, rename-back is next',
    async (_case, prepare, code, reason) => {
      const run = await instanceRun();
      prepare(run.names.temporary!);

      await setAside.start(ctx(), run);

      expect(instanceRenames()).toEqual([]);
      const failed = await stored(run);
      expect(failed).toMatchObject({
        status: 'rolling-back',
        failure: { step: 'set-aside', errorCode: code },
        run: { next: 'rename-back' },
      });
      expect(failed.failure?.reason).toContain(reason);
      expect(published()).toEqual(['RestoreFailed']);
      expect(detailOf('RestoreFailed')).toMatchObject({ step: 'set-aside', compensation: ['rename-back'] });
    },
  );

  test('swap: done once the name is free and the original is under its temporary name, before its reboot ends', async () => {
    const run = await asSwap(await instanceRun());
    const temp = run.names.temporary!;
    put('instance', 'orders-db', 'available', ORIGINAL_ID);
    await setAside.start(ctx(), run);
    expect(instanceRenames()).toHaveLength(1);

    // the old name still answers for the original: not done
    put('instance', temp, 'renaming', ORIGINAL_ID);
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect((await stored(run)).expectation!.confirmations).toBe(0);
    // the name is free, the original renaming then rebooting under its temporary name: two sightings
    world.instance.delete('orders-db');
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect((await stored(run)).expectation!.confirmations).toBe(1);
    put('instance', temp, 'rebooting', ORIGINAL_ID);
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('done');

    expect(published()).toEqual(['RenameCompleted']);
    expect(detailOf('RenameCompleted')).toMatchObject({
      from: 'orders-db',
      to: temp,
      run: { next: 'take-name' },
    });
    expect((await stored(run)).resources).toMatchObject({ setAside: temp });
    expect(instanceRenames()).toHaveLength(1);
  });

  test('swap: another database under the temporary name, or the original failed, is no sighting but a failure', async () => {
    for (const [id, status, code] of [
      [OTHER_ID, 'rebooting', 'NameTaken'],
      [ORIGINAL_ID, 'failed', 'failed'],
    ] as const) {
      const run = await asSwap(await instanceRun());
      const temp = run.names.temporary!;
      put('instance', 'orders-db', 'available', ORIGINAL_ID);
      await setAside.start(ctx(), run);
      world.instance.delete('orders-db');
      put('instance', temp, status, id);
      expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('failed');
      expect((await stored(run)).failure).toMatchObject({ step: 'set-aside', errorCode: code });
      expect(published()).not.toContain('RenameCompleted');
      world.instance.clear();
    }
  });

  test('swap cluster: the cluster is confirmed available before its members are renamed; members end once their names are free', async () => {
    const run = await asSwap(await clusterRun());
    const temp = run.names.temporary!;
    put('cluster', 'ledger', 'available', 'cluster-LEDGER');
    put('instance', 'ledger-1', 'available', 'db-LEDGER1');
    put('instance', 'ledger-2', 'available', 'db-LEDGER2');
    await setAside.start(ctx(), run);

    move('cluster', 'ledger', temp, 'renaming');
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect(instanceRenames()).toEqual([]);
    world.cluster.get(temp)!.status = 'available';
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect(instanceRenames()).toHaveLength(2);

    move('instance', 'ledger-1', member(run, 'ledger-1'), 'rebooting');
    move('instance', 'ledger-2', member(run, 'ledger-2'), 'renaming');
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('waiting');
    expect(await settle(ctx(), await stored(run), setAside.wait)).toBe('done');
    expect(published()).toEqual(['RenameCompleted']);
  });
});
