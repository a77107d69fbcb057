import {
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  DescribeEventsCommand,
  ModifyDBClusterCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { decodeState, encodeState } from '../../src/persistence/codec';
import {
  createInstance,
  describeInstance,
  eventually,
  instanceUntil,
  startHarness,
  type Harness,
} from './harness';

// Slow enough that a step is still pending when the state is saved, fast enough for a test.
const TIME_SCALE = 0.002;

let harnesses: Harness[] = [];
const start = async () => {
  // A read replica in 10 simulated minutes (1.2 s) rather than 40; a promotion's first step as long.
  const h = await startHarness({
    timeScale: TIME_SCALE,
    profile: { replicaCreate: 10 * 60_000, instanceModify: 10 * 60_000 },
  });
  harnesses.push(h);
  return h;
};
afterEach(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  harnesses = [];
});

interface Dump {
  places: { accountId: string; region: string; state: { tasks: { task: string; key: string }[] } }[];
}

/** The saved state of every account and region (the harness's own first). */
const dumpOf = async (h: Harness) => (await h.rds.persistence.dump()) as Dump;

/** What `--state-dir` does between two runs: dump, JSON text, load into a new emulator. */
async function restart(from: Harness): Promise<Harness> {
  const text = encodeState(await from.rds.persistence.dump());
  await from.close();
  harnesses = harnesses.filter((h) => h !== from);
  const to = await start();
  await to.rds.persistence.load(decodeState(text));
  return to;
}

test('a restore that was creating when the state was saved ends available after the load, with its events', async () => {
  const h1 = await start();
  await h1.client.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'db1',
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'app',
      BackupRetentionPeriod: 0,
    }),
  );
  await instanceUntil(h1, 'db1', 'available');
  await h1.client.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'db1', DBSnapshotIdentifier: 's1' }),
  );
  await eventually(
    () => h1.client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 's1' })),
    (r) => r.DBSnapshots?.[0]?.Status === 'available',
  );
  const restored = await h1.client.send(
    new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'copy', DBSnapshotIdentifier: 's1' }),
  );
  expect(restored.DBInstance?.DBInstanceStatus).toBe('creating');
  const pending = (await dumpOf(h1)).places[0]?.state.tasks ?? [];
  expect(pending.map((t) => t.task)).toContain('instance.created');

  const h2 = await restart(h1);
  // before the step is due: the same resources, the restore still creating
  const db1 = (await h2.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'db1' })))
    .DBInstances?.[0];
  expect(db1).toMatchObject({
    DBInstanceStatus: 'available',
    Endpoint: { Address: expect.stringMatching(/^db1\./) },
  });
  expect(db1?.InstanceCreateTime).toBeInstanceOf(Date);
  const copy = await instanceUntil(h2, 'copy', 'available');
  expect(copy.DbiResourceId).toBe(restored.DBInstance?.DbiResourceId);
  // the resumed step emitted what the uninterrupted one would have: created, then restored from s1
  expect(h2.bus.eventIds('copy')).toEqual(['RDS-EVENT-0005', 'RDS-EVENT-0043']);
  // DescribeEvents still lists what happened before the restart
  const history = await h2.client.send(
    new DescribeEventsCommand({ SourceIdentifier: 's1', SourceType: 'db-snapshot' }),
  );
  expect(history.Events?.map((e) => e.Message)).toEqual(
    expect.arrayContaining([expect.stringMatching(/snapshot.*created/i)]),
  );
});

test('a deletion waiting on its final snapshot completes after the load; new keys do not collide', async () => {
  const h1 = await start();
  await h1.client.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'db2',
      Engine: 'mysql',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'app',
      BackupRetentionPeriod: 0,
    }),
  );
  await instanceUntil(h1, 'db2', 'available');
  await h1.client.send(
    new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'db2', FinalDBSnapshotIdentifier: 'db2-final' }),
  );
  const h2 = await restart(h1);
  await eventually(
    () => h2.client.send(new DescribeDBInstancesCommand({})),
    (r) => (r.DBInstances ?? []).length === 0,
  );
  const final = await h2.client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'db2-final' }));
  expect(final.DBSnapshots?.[0]?.Status).toBe('available');
  expect(h2.bus.eventIds('db2')).toEqual(['RDS-EVENT-0003']);
  // a resource created after the load gets a key of its own (its history is not mixed with an old one)
  await h2.client.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'db3',
      Engine: 'mysql',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'app',
    }),
  );
  const keys = [...h2.rds.history()].map((x) => x.key);
  expect(new Set(keys).size).toBe(keys.length);
});

test('a cluster renamed just before the save is available under its new name after the load, with 0172', async () => {
  const h1 = await start();
  await h1.client.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: 'aur',
      Engine: 'aurora-postgresql',
      MasterUsername: 'admin',
      MasterUserPassword: 'secret123',
    }),
  );
  const cluster = (id: string, h: Harness) =>
    h.client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })).then((r) => r.DBClusters?.[0]);
  await eventually(
    () => cluster('aur', h1),
    (c) => c?.Status === 'available',
  );
  await h1.client.send(
    new ModifyDBClusterCommand({
      DBClusterIdentifier: 'aur',
      NewDBClusterIdentifier: 'aur-old',
      ApplyImmediately: true,
    }),
  );
  const h2 = await restart(h1);
  expect((await cluster('aur-old', h2))?.Status).toBe('renaming');
  await eventually(
    () => cluster('aur-old', h2),
    (c) => c?.Status === 'available',
  );
  expect(h2.bus.eventIds('aur-old')).toEqual(['RDS-EVENT-0172']);
});

test('a cross-region read replica creating, then its promotion, each resume after a load', async () => {
  const h1 = await start();
  await createInstance(h1, 'src', { BackupRetentionPeriod: 1 });
  const source = await instanceUntil(h1, 'src', 'available');
  const west = (h: Harness) =>
    new RDSClient({
      endpoint: h.endpoint,
      region: 'us-west-2',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  const west1 = west(h1);
  await west1.send(
    new CreateDBInstanceReadReplicaCommand({
      DBInstanceIdentifier: 'src-dr',
      SourceDBInstanceIdentifier: source.DBInstanceArn,
    }),
  );
  west1.destroy();
  const saved = (await dumpOf(h1)).places.find((p) => p.region === 'us-west-2')?.state.tasks;
  expect(saved?.map((t) => t.task)).toContain('instance.created');

  const h2 = await restart(h1);
  const west2 = west(h2);
  const replica = () =>
    west2
      .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'src-dr' }))
      .then((r) => r.DBInstances?.[0]);
  const seeds = () =>
    west2
      .send(new DescribeDBSnapshotsCommand({ SnapshotType: 'automated' }))
      .then((r) => r.DBSnapshots?.map((x) => x.DBSnapshotIdentifier) ?? []);
  expect(await seeds()).toHaveLength(1); // the copy of the source's snapshot, until the replica is up
  const up = await eventually(replica, (r) => r?.DBInstanceStatus === 'available');
  expect(up?.ReadReplicaSourceDBInstanceIdentifier).toBe(source.DBInstanceArn);
  expect(await seeds()).toEqual([]);
  expect((await describeInstance(h2, 'src')).ReadReplicaDBInstanceIdentifiers).toEqual([up?.DBInstanceArn]);

  await west2.send(
    new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'src-dr', BackupRetentionPeriod: 3 }),
  );
  west2.destroy();
  const h3 = await restart(h2);
  const west3 = west(h3);
  const promoted = await eventually(
    () =>
      west3
        .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'src-dr' }))
        .then((r) => r.DBInstances?.[0]),
    (r) => r?.DBInstanceStatus === 'available',
  );
  west3.destroy();
  expect(promoted?.ReadReplicaSourceDBInstanceIdentifier).toBeUndefined();
  expect(promoted?.BackupRetentionPeriod).toBe(3);
  expect((await describeInstance(h3, 'src')).ReadReplicaDBInstanceIdentifiers ?? []).toEqual([]);
  // the promotion's reboot after the load: shutdown (0004), restarted (0006)
  expect(h3.bus.eventIds('src-dr')).toEqual(['RDS-EVENT-0004', 'RDS-EVENT-0006']);
});

describe('identifier lengths, as in AWS', () => {
  const longId = (n: number) => `s${'a'.repeat(n - 1)}`;

  test('a DB snapshot identifier may be 255 characters, not 256; a cluster snapshot 63', async () => {
    const h = await start();
    await h.client.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'db4',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        AllocatedStorage: 20,
        MasterUsername: 'app',
      }),
    );
    await instanceUntil(h, 'db4', 'available');
    const ok = await h.client.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'db4', DBSnapshotIdentifier: longId(255) }),
    );
    expect(ok.DBSnapshot?.DBSnapshotIdentifier).toHaveLength(255);
    await expect(
      h.client.send(
        new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'db4', DBSnapshotIdentifier: longId(256) }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('1 to 255 characters'),
    });
    await expect(
      h.client.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterIdentifier: 'none',
          DBClusterSnapshotIdentifier: longId(64),
        }),
      ),
    ).rejects.toMatchObject({ message: expect.stringContaining('1 to 63 characters') });
  });
});

test('a saved step this version does not know is refused at load, by name (not when its timer fires)', async () => {
  const h = await start();
  const dump = await dumpOf(h);
  const tasks = dump.places[0]?.state.tasks as unknown[];
  tasks.push({ task: 'instance.teleported', key: 'instance:x#1', args: {}, dueAt: Date.now() });
  const fresh = await start();
  await expect(fresh.rds.persistence.load(dump)).rejects.toThrow(
    'it names lifecycle steps this version does not know (instance.teleported)',
  );
});
