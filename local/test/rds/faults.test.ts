import {
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  DescribeEventsCommand,
  ModifyDBInstanceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import {
  createInstance,
  eventually,
  sleep,
  startHarness,
  statuses,
  type Harness,
  type HarnessOptions,
} from './harness';

let h: Harness;
async function start(opts: HarnessOptions = {}): Promise<void> {
  h = await startHarness(opts);
}
afterEach(async () => {
  await h.close();
});

const describe1 = async (id: string): Promise<DBInstance> =>
  (await h.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
    .DBInstances?.[0] as DBInstance;
const until = (id: string, status: string): Promise<DBInstance> =>
  eventually(
    () => describe1(id),
    (i) => i.DBInstanceStatus === status,
  );

const create = (id: string, extra: Record<string, unknown> = {}): Promise<void> =>
  createInstance(h, id, { BackupRetentionPeriod: 0, ...extra });

async function withSnapshot(id: string, snap: string): Promise<void> {
  await create(id);
  await until(id, 'available');
  await h.client.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: id, DBSnapshotIdentifier: snap }));
  await eventually(
    () => h.client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snap })),
    (r) => r.DBSnapshots?.[0]?.Status === 'available',
  );
}

test('restore fault: ends incompatible-restore with 0031; failed; deletion then needs SkipFinalSnapshot', async () => {
  await start();
  await withSnapshot('src', 'snap');
  h.rds.setFaults({
    operations: [
      { operation: 'restore', identifier: 'bad-*', outcome: 'incompatible-restore' },
      { operation: 'restore', identifier: '/^worse$/', outcome: 'failed', times: 1 },
    ],
  });
  await h.client.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: 'bad-1',
      DBSnapshotIdentifier: 'snap',
    }),
  );
  await h.client.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: 'worse',
      DBSnapshotIdentifier: 'snap',
    }),
  );
  await h.client.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: 'fine',
      DBSnapshotIdentifier: 'snap',
    }),
  );
  await until('bad-1', 'incompatible-restore');
  await until('worse', 'failed');
  await until('fine', 'available');
  expect(h.bus.eventIds('bad-1')).toEqual(['RDS-EVENT-0031']);
  expect(h.bus.eventIds('worse')).toEqual(['RDS-EVENT-0031']);
  expect(statuses(h.rds, 'bad-1')).toEqual(['creating', 'incompatible-restore']);
  await expect(
    h.client.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'bad-1', FinalDBSnapshotIdentifier: 'f' }),
    ),
  ).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
  await h.client.send(
    new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'bad-1', SkipFinalSnapshot: true }),
  );
  // times: 1 is used up
  await h.client.send(
    new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'worse', SkipFinalSnapshot: true }),
  );
  await eventually(
    () =>
      describe1('worse').then(
        () => 'x',
        (e: Error) => e.name,
      ),
    (v) => v === 'DBInstanceNotFoundFault',
  );
  await h.client.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: 'worse',
      DBSnapshotIdentifier: 'snap',
    }),
  );
  await until('worse', 'available');
});

test('create faults: insufficient capacity (API error and async 0353), failed (0278)', async () => {
  await start();
  h.rds.setFaults({
    operations: [
      { operation: 'create', identifier: 'cap', outcome: 'insufficient-capacity' },
      { operation: 'create', identifier: 'cap-async', outcome: 'insufficient-capacity-async' },
      { operation: 'create', identifier: 'broken', outcome: 'failed' },
    ],
  });
  await expect(create('cap')).rejects.toMatchObject({ name: 'InsufficientDBInstanceCapacityFault' });
  await create('cap-async');
  await create('broken');
  await until('cap-async', 'failed');
  await until('broken', 'failed');
  expect(h.bus.eventIds('cap-async')).toEqual(['RDS-EVENT-0353']);
  expect(h.bus.eventIds('broken')).toEqual(['RDS-EVENT-0278']);
});

test('snapshot faults: failed snapshot and SnapshotQuotaExceeded', async () => {
  await start();
  await create('db');
  await until('db', 'available');
  h.rds.setFaults({
    operations: [
      { operation: 'snapshot', identifier: 'quota', outcome: 'quota-exceeded' },
      { operation: 'snapshot', identifier: 'doomed', outcome: 'failed' },
    ],
  });
  await expect(
    h.client.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'db', DBSnapshotIdentifier: 'quota' })),
  ).rejects.toMatchObject({ name: 'SnapshotQuotaExceededFault' });
  await h.client.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'db', DBSnapshotIdentifier: 'doomed' }),
  );
  await eventually(
    () => h.client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'doomed' })),
    (r) => r.DBSnapshots?.[0]?.Status === 'failed',
  );
  expect(h.bus.eventIds('doomed')).toEqual(['RDS-EVENT-0040']);
  await until('db', 'available');
});

test('delete faults (error, stuck) and a rename that never completes', async () => {
  await start();
  await create('a');
  await create('b');
  await create('c');
  await until('a', 'available');
  await until('b', 'available');
  await until('c', 'available');
  h.rds.setFaults({
    operations: [
      { operation: 'delete', identifier: 'a', outcome: 'error' },
      { operation: 'delete', identifier: 'b', outcome: 'stuck' },
      { operation: 'rename', identifier: 'c', outcome: 'stuck' },
    ],
  });
  await expect(
    h.client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'a', SkipFinalSnapshot: true })),
  ).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
  await h.client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'b', SkipFinalSnapshot: true }));
  await h.client.send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: 'c',
      NewDBInstanceIdentifier: 'c-old',
      ApplyImmediately: true,
    }),
  );
  await sleep(400);
  expect((await describe1('b')).DBInstanceStatus).toBe('deleting');
  expect((await describe1('c-old')).DBInstanceStatus).toBe('renaming');
  expect((await describe1('a')).DBInstanceStatus).toBe('available');
});

test('API error faults: N times, always, per identifier; clear', async () => {
  await start({ maxAttempts: 1 });
  await create('db');
  h.rds.setFaults({
    apiErrors: [
      { action: 'DescribeDBInstances', code: 'InternalFailure', status: 500, times: 2 },
      { action: 'ModifyDBInstance', code: 'InvalidDBInstanceState', identifier: 'db' },
    ],
  });
  await expect(describe1('db')).rejects.toMatchObject({
    name: 'InternalFailure',
    $metadata: { httpStatusCode: 500 },
  });
  await expect(describe1('db')).rejects.toMatchObject({ name: 'InternalFailure' });
  await expect(describe1('db')).resolves.toMatchObject({ DBInstanceIdentifier: 'db' });
  for (let i = 0; i < 3; i++) {
    await expect(
      h.client.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'db', DeletionProtection: true })),
    ).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
  }
  h.rds.clearFaults();
  await until('db', 'available');
  await expect(
    h.client.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'db', DeletionProtection: true })),
  ).resolves.toBeDefined();
  expect(h.rds.getFaults()).toEqual({ events: {}, operations: [], apiErrors: [] });
});

test('event faults: lose, duplicate, delay, reorder (seeded); DescribeEvents still lists lost events', async () => {
  await start({ seed: 42 });
  h.rds.setFaults({ events: { lose: 1 } });
  await create('lost');
  await until('lost', 'available');
  expect(h.bus.eventIds('lost')).toEqual([]);
  const described = await h.client.send(
    new DescribeEventsCommand({ SourceType: 'db-instance', SourceIdentifier: 'lost' }),
  );
  expect(described.Events?.map((e) => e.Message)).toEqual(['DB instance created']);

  h.rds.setFaults({ events: { duplicate: 1 } });
  await create('dup');
  await until('dup', 'available');
  await eventually(
    () => h.bus.eventIds('dup'),
    (ids) => ids.length === 2,
  );
  expect(h.bus.eventIds('dup')).toEqual(['RDS-EVENT-0005', 'RDS-EVENT-0005']);

  h.rds.setFaults({ events: { delay: 1, delayMs: 600_000 } }); // 10 simulated minutes = 300 ms here
  await create('late');
  await until('late', 'available');
  expect(h.bus.eventIds('late')).toEqual([]);
  await eventually(
    () => h.bus.eventIds('late'),
    (ids) => ids.length === 1,
  );

  h.rds.setFaults({ events: { reorder: 1, delayMs: 600_000 } });
  await create('ord', { BackupRetentionPeriod: 1 });
  await until('ord', 'available');
  await eventually(
    () => h.bus.eventIds('ord'),
    (ids) => ids.length === 3,
  );
  // 0005 was held back and delivered after 0001; 0002 was held until the reorder window passed.
  expect(h.bus.eventIds('ord')).toEqual(['RDS-EVENT-0001', 'RDS-EVENT-0005', 'RDS-EVENT-0002']);
});

test('fault rates are seeded: the same seed loses the same events', async () => {
  const lostWith = async (seed: number): Promise<string[]> => {
    await start({ seed, profile: 'instant', timeScale: 1 });
    h.rds.setFaults({ events: { lose: 0.5 } });
    for (let i = 0; i < 8; i++) await create(`db-${i}`);
    await eventually(
      () => h.rds.events().length,
      (n) => n === 8,
    );
    await sleep(20);
    const delivered = h.bus.entries.map((e) => String(e.entry.detail['SourceArn']));
    await h.close();
    return delivered;
  };
  const a = await lostWith(7);
  const b = await lostWith(7);
  expect(a).toEqual(b);
  expect(a.length).toBeGreaterThan(0);
  expect(a.length).toBeLessThan(8);
  h = await startHarness();
});

test('admin API: POST faults, GET faults, bad body, clear, config', async () => {
  await start({ maxAttempts: 1 });
  const set = await h.admin('POST', 'faults', {
    events: { lose: 0.25 },
    operations: [{ operation: 'restore', identifier: 'x-*', outcome: 'failed', times: 2 }],
    apiErrors: [{ action: 'CreateDBInstance', code: 'InsufficientDBInstanceCapacity', times: 1 }],
  });
  expect(set.status).toBe(200);
  expect((await h.admin('GET', 'faults')).json).toMatchObject({
    events: { lose: 0.25 },
    operations: [{ times: 2 }],
  });
  await expect(create('db')).rejects.toMatchObject({ name: 'InsufficientDBInstanceCapacityFault' });
  expect((await h.admin('POST', 'faults', { events: { lose: 3 } })).status).toBe(400);
  expect((await h.admin('DELETE', 'faults')).json).toEqual({ events: {}, operations: [], apiErrors: [] });
  const cfg = await h.admin('POST', 'config', {
    quirks: { sourceIdentifierPrefix: 'none' },
    throttle: { burst: 50 },
  });
  expect(cfg.json).toMatchObject({
    quirks: { sourceIdentifierPrefix: 'none' },
    throttle: { burst: 50, refillPerSecond: 12 },
  });
  expect((await h.admin('GET', 'nope')).status).toBe(404);
});
