import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { SQSEvent } from 'aws-lambda';
import {
  advance,
  beginCompensation,
  captureClusterConfig,
  derivedIdentifier,
  EVENT_EXAMPLES,
  inboxHandler,
  settle,
  stepRoutes,
  waitingRoutes,
  type EventName,
  type RunRecord,
} from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture, runFixture } from '@rewind/shared/src/testing/fixtures';
import { renameBack } from '../src/renameBack';
import { setAside } from '../src/setAside';

const bed = useServiceTestBed();
const { rds, eb } = bed;

// ---- a small RDS world the describe calls read; the tests move databases in it as RDS would ----

type Db = { status: string; id: string };
const world = { instance: new Map<string, Db>(), cluster: new Map<string, Db>() };
const ORIGINAL_ID = 'db-ORIGINAL0000000000000000';
const OTHER_ID = 'db-SOMEONEELSE00000000000000';

function notFound(name: string) {
  return Object.assign(new Error(`${name}: not found`), { name, $fault: 'client', $metadata: {} });
}

function put(kind: 'instance' | 'cluster', name: string, status: string, id: string) {
  world[kind].set(name, { status, id });
}

function move(kind: 'instance' | 'cluster', from: string, to: string, status = 'available') {
  const db = world[kind].get(from)!;
  world[kind].delete(from);
  world[kind].set(to, { ...db, status });
}

beforeEach(() => {
  world.instance.clear();
  world.cluster.clear();
  rds.on(DescribeDBInstancesCommand).callsFake(({ DBInstanceIdentifier: name }) => {
    const db = world.instance.get(name);
    if (!db) throw notFound('DBInstanceNotFoundFault');
    return {
      DBInstances: [{ DBInstanceIdentifier: name, DBInstanceStatus: db.status, DbiResourceId: db.id }],
    };
  });
  rds.on(DescribeDBClustersCommand).callsFake(({ DBClusterIdentifier: name }) => {
    const c = world.cluster.get(name);
    if (!c) throw notFound('DBClusterNotFoundFault');
    return { DBClusters: [{ DBClusterIdentifier: name, Status: c.status, DbClusterResourceId: c.id }] };
  });
  rds.on(ModifyDBInstanceCommand).resolves({});
  rds.on(ModifyDBClusterCommand).resolves({});
});

// ---- runs ----

const ctx = () => testContext('rename', bed.store);
const instanceRenames = () => rds.commandCalls(ModifyDBInstanceCommand).map((c) => c.args[0].input);
const clusterRenames = () => rds.commandCalls(ModifyDBClusterCommand).map((c) => c.args[0].input);
const published = () =>
  eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries!.map((e) => e.DetailType));
const detailOf = (type: EventName) => {
  const entry = eb
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries!)
    .find((e) => e.DetailType === type);
  return JSON.parse(entry!.Detail!) as Record<string, unknown>;
};
const stored = async (run: RunRecord) => (await bed.store.getRun(run.runId))!;

/** An instance run whose next step is set-aside (a restore from an existing snapshot). */
const instanceRun = () => bed.store.createRun(runFixture('orders-db', 'db_restore'));

/** A cluster run of `ledger` with a writer and a reader, next step set-aside. */
function clusterRun() {
  const base = runFixture('ledger', 'db_restore');
  const config = captureClusterConfig(
    {
      DBClusterIdentifier: 'ledger',
      DbClusterResourceId: 'cluster-LEDGER',
      Engine: 'aurora-postgresql',
      DBClusterMembers: [
        { DBInstanceIdentifier: 'ledger-1', IsClusterWriter: true },
        { DBInstanceIdentifier: 'ledger-2', IsClusterWriter: false },
      ],
    },
    [
      dbInstanceFixture('ledger-1', { DbiResourceId: 'db-LEDGER1' }),
      dbInstanceFixture('ledger-2', { DbiResourceId: 'db-LEDGER2' }),
    ],
  );
  return bed.store.createRun({ ...base, kind: 'cluster', run: { ...base.run, kind: 'cluster' }, config });
}

/** The run after its restore failed and the copy was discarded: rename-back is next. */
async function rollingBack(run: RunRecord): Promise<RunRecord> {
  const block = advance(beginCompensation({ ...run.run, next: 'restore' }, 'restore'), 'discard');
  return bed.store.updateRun(run, {
    run: block,
    status: 'rolling-back',
    failure: { step: 'restore', reason: 'restored instance ended in status incompatible-restore' },
    resources: { ...run.resources, setAside: run.names.temporary },
  });
}

const member = (run: RunRecord, name: string) => derivedIdentifier(name, run.runId, 'old');

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
    expect(await bed.store.lookupResource('instance', temp)).toMatchObject({ runId: run.runId });

    move('instance', 'orders-db', temp);
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

  test('the temporary name held by another database: the step fails, nothing is renamed, rename-back is next', async () => {
    const run = await instanceRun();
    put('instance', 'orders-db', 'available', ORIGINAL_ID);
    put('instance', run.names.temporary!, 'available', OTHER_ID);

    await setAside.start(ctx(), run);

    expect(instanceRenames()).toEqual([]);
    const failed = await stored(run);
    expect(failed).toMatchObject({
      status: 'rolling-back',
      failure: { step: 'set-aside', errorCode: 'NameTaken' },
      run: { next: 'rename-back' },
    });
    expect(failed.failure?.reason).toContain(`is held by another database (${OTHER_ID})`);
    expect(published()).toEqual(['RestoreFailed']);
    expect(detailOf('RestoreFailed')).toMatchObject({ step: 'set-aside', compensation: ['rename-back'] });
  });

  test('a database of another resource id under the original name is not renamed', async () => {
    const run = await instanceRun();
    put('instance', 'orders-db', 'available', OTHER_ID);

    await setAside.start(ctx(), run);

    expect(instanceRenames()).toEqual([]);
    expect(await stored(run)).toMatchObject({
      status: 'rolling-back',
      failure: { step: 'set-aside', errorCode: 'NotOriginal' },
    });
  });
});

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
    put('cluster', temp, 'available', 'cluster-LEDGER');
    put('instance', member(run, 'ledger-1'), 'available', 'db-LEDGER1');
    put('instance', 'ledger-2', 'available', 'db-LEDGER2');

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
    put('cluster', temp, 'available', 'cluster-LEDGER');
    put('instance', member(run, 'ledger-1'), 'available', 'db-LEDGER1');
    put('instance', 'ledger-2', 'available', 'db-LEDGER2');
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
    const later = testContext('rename', bed.store, () => new Date(Date.now() + 10_000));
    expect(await settle(later, await stored(run), renameBack.wait)).toBe('waiting');
    expect(instanceRenames()).toEqual([
      { DBInstanceIdentifier: temp, NewDBInstanceIdentifier: 'orders-db', ApplyImmediately: true },
      { DBInstanceIdentifier: temp, NewDBInstanceIdentifier: 'orders-db', ApplyImmediately: true },
    ]);
  });
});

// ---- a DynamoDB error fails the message, never the run ----

describe('a store error', () => {
  const throughput = () =>
    Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
      name: 'ProvisionedThroughputExceededException',
    });

  function delivery(type: EventName, run: RunRecord): SQSEvent {
    const example = EVENT_EXAMPLES[type] as Record<string, unknown>;
    const body = JSON.stringify({
      id: `evt-${type}`,
      'detail-type': type,
      source: 'rewind',
      detail: { ...example, run: run.run },
    });
    return {
      Records: [
        { messageId: 'm-1', receiptHandle: 'r-1', body, attributes: { ApproximateReceiveCount: '1' } },
      ],
    } as unknown as SQSEvent;
  }

  const handlerWith = (c: ReturnType<typeof ctx>) =>
    inboxHandler(
      'rename',
      {
        events: stepRoutes({ 'set-aside': setAside.start, 'rename-back': renameBack.start }),
        ...waitingRoutes([setAside.wait, renameBack.wait]),
      },
      () => c,
    );
  afterEach(() => jest.restoreAllMocks());

  test.each([
    [
      'set-aside',
      'RunStarted',
      async () => {
        put('instance', 'orders-db', 'available', ORIGINAL_ID);
        return instanceRun();
      },
    ],
    [
      'rename-back',
      'DiscardCompleted',
      async () => {
        const run = await rollingBack(await instanceRun());
        put('instance', run.names.temporary!, 'available', ORIGINAL_ID);
        return run;
      },
    ],
  ] as const)(
    'during %s: the message fails, the run stays where it was, nothing is renamed; the redelivery goes on',
    async (_step, trigger, prepare) => {
      const run = await prepare();
      const before = await stored(run);
      const c = ctx();
      jest.spyOn(c.store, 'updateRun').mockRejectedValueOnce(throughput());

      expect(await handlerWith(c)(delivery(trigger, run))).toEqual({
        batchItemFailures: [{ itemIdentifier: 'm-1' }],
      });
      expect(await stored(run)).toEqual(before);
      expect(instanceRenames()).toEqual([]);
      expect(published()).toEqual([]);

      expect(await handlerWith(c)(delivery(trigger, run))).toEqual({ batchItemFailures: [] });
      expect(instanceRenames()).toHaveLength(1);
      expect((await stored(run)).expectation).toMatchObject({ step: _step, acted: true });
    },
  );

  test('during a rename-back look: the check fails, no RollbackFailed, the run stays where it was', async () => {
    const run = await rollingBack(await clusterRun());
    const temp = run.names.temporary!;
    put('cluster', temp, 'rebooting', 'cluster-LEDGER');
    put('instance', 'ledger-1', 'available', 'db-LEDGER1');
    put('instance', 'ledger-2', 'available', 'db-LEDGER2');
    await renameBack.start(ctx(), run);
    const waiting = await stored(run);
    put('cluster', temp, 'available', 'cluster-LEDGER');
    const c = ctx();
    jest.spyOn(c.store, 'updateRun').mockRejectedValueOnce(throughput());
    const check = {
      kind: 'rewind.check',
      runId: run.runId,
      step: 'rename-back',
      seq: waiting.expectation!.checks,
    };
    const batch = {
      Records: [{ messageId: 'c-1', receiptHandle: 'r-1', body: JSON.stringify(check), attributes: {} }],
    } as unknown as SQSEvent;

    expect(await handlerWith(c)(batch)).toEqual({ batchItemFailures: [{ itemIdentifier: 'c-1' }] });
    expect(await stored(run)).toEqual(waiting);
    expect(clusterRenames()).toEqual([]);
    expect(published()).toEqual([]);

    expect(await handlerWith(c)(batch)).toEqual({ batchItemFailures: [] });
    expect(clusterRenames()).toEqual([
      { DBClusterIdentifier: temp, NewDBClusterIdentifier: 'ledger', ApplyImmediately: true },
    ]);
  });
});
