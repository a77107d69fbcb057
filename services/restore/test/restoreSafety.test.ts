import {
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type DBCluster,
  type DBInstance,
} from '@aws-sdk/client-rds';
import {
  captureClusterConfig,
  captureInstanceConfig,
  diffClusterConfig,
  diffInstanceConfig,
  settle,
} from '@rewind/shared';
import { requestEnvelope, useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture, runFixture } from '@rewind/shared/src/testing/fixtures';
import { intake } from '../src/intake';
import { Rejection } from '../src/rejection';
import { rejectClusterWithReplicas, rejectInstanceWithReplicas } from '../src/replicas';
import { restoreWait, startRestore } from '../src/restoreStep';
import {
  assessCompatibility,
  compareVersions,
  majorVersion,
  type StorageFacts,
} from '../src/snapshotCompatibility';

const KEY_A = 'arn:aws:kms:us-east-1:000000000000:key/aaaa-1111';
const KEY_B = 'arn:aws:kms:us-east-1:000000000000:key/bbbb-2222';

const pg = (over: Partial<StorageFacts> = {}): StorageFacts & { identifier: string } => ({
  identifier: 'orders-db',
  resourceId: 'db-ORIGINAL',
  engine: 'postgres',
  engineVersion: '15.4',
  encryption: 'sse-kms',
  kmsKeyId: KEY_A,
  ...over,
});
const snapOf = (over: Partial<StorageFacts> = {}) => pg({ resourceId: 'db-ORIGINAL', ...over });

function rejection(fn: () => unknown): { code: string; reason: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof Rejection)) throw err;
    return { code: err.code, reason: err.message };
  }
}

describe('versions', () => {
  test.each([
    ['postgres', '15.4', '15'],
    ['postgres', '9.6.22', '9.6'],
    ['aurora-postgresql', '16.1', '16'],
    ['mysql', '8.0.35', '8.0'],
    ['mysql', '8.4.3', '8.4'],
    ['aurora-mysql', '8.0.mysql_aurora.3.05.2', '8.0'],
    ['aurora-mysql', '5.7.mysql_aurora.2.11.2', '5.7'],
    ['mariadb', '10.6.14', '10.6'],
    ['oracle-ee', '19.0.0.0.ru-2023-01.rur-2023-01.r1', '19'],
    ['sqlserver-se', '15.00.4312.2.v1', '15.00'],
  ])('%s %s has major version %s', (engine, version, major) => {
    expect(majorVersion(engine, version)).toBe(major);
  });

  test('versions order part by part, numerically', () => {
    expect(compareVersions('15.10', '15.4')).toBe(1);
    expect(compareVersions('9.6', '10')).toBe(-1);
    expect(compareVersions('8.0.mysql_aurora.3.04.0', '8.0.mysql_aurora.3.05.2')).toBe(-1);
    expect(compareVersions('15.4', '15.4')).toBe(0);
  });
});

describe('snapshot compatibility', () => {
  test('the same database, same version and key: no warning, the restored database must match the original', () => {
    expect(assessCompatibility('instance', pg(), snapOf(), 'snap')).toEqual({
      expected: { engineVersion: '15.4', storageEncrypted: true, kmsKeyId: KEY_A },
      warnings: [],
      snapshotSource: { identifier: 'orders-db', resourceId: 'db-ORIGINAL', sameDatabase: true },
    });
  });

  test.each([
    ['instance', 'mysql', /snap was taken of a database running mysql, but orders-db runs postgres/],
    [
      'cluster',
      'aurora-postgresql',
      /snap was taken of a database running aurora-postgresql, but orders-db runs postgres/,
    ],
  ] as const)('%s: another engine (%s) is rejected', (kind, engine, reason) => {
    const r = rejection(() => assessCompatibility(kind, pg(), snapOf({ engine }), 'snap'));
    expect(r?.code).toBe('incompatible-snapshot');
    expect(r?.reason).toMatch(reason);
  });

  test.each([
    ['instance', pg(), snapOf({ engineVersion: '14.10' }), /back a major version.*modify-db-snapshot/],
    ['instance', pg({ engineVersion: '10.21' }), snapOf({ engineVersion: '9.6.22' }), /back a major version/],
    ['instance', pg(), snapOf({ engineVersion: '16.1' }), /would upgrade orders-db a major version/],
    [
      'cluster',
      pg({ engine: 'aurora-mysql', engineVersion: '8.0.mysql_aurora.3.05.2' }),
      snapOf({ engine: 'aurora-mysql', engineVersion: '5.7.mysql_aurora.2.11.2' }),
      /major version 5\.7.*major version 8\.0.*restore this one as a new cluster/,
    ],
  ] as const)('%s: a major version change is rejected (%#)', (kind, db, snap, reason) => {
    const r = rejection(() => assessCompatibility(kind, db, snap, 'snap'));
    expect(r?.code).toBe('incompatible-snapshot');
    expect(r?.reason).toMatch(reason);
  });

  test('an older minor version: an instance restores at the snapshot version (announced), a cluster at its own', () => {
    const older = snapOf({ engineVersion: '15.2' });
    const instance = assessCompatibility('instance', pg(), older, 'snap');
    expect(instance.expected.engineVersion).toBe('15.2');
    expect(instance.warnings).toEqual([
      "orders-db will run postgres 15.2 after the restore (the snapshot's version); it runs 15.4 now",
    ]);
    const cluster = assessCompatibility('cluster', pg(), older, 'snap');
    expect(cluster.expected.engineVersion).toBe('15.4');
    expect(cluster.warnings).toEqual([]);
    // A restore cannot downgrade: a newer cluster snapshot sets the version.
    expect(
      assessCompatibility('cluster', pg(), snapOf({ engineVersion: '15.7' }), 'snap').expected,
    ).toMatchObject({ engineVersion: '15.7' });
  });

  test.each([
    [
      'unencrypted',
      { encryption: 'none', kmsKeyId: undefined },
      /snap is not encrypted but orders-db is encrypted/,
    ],
    [
      'with an AWS owned key',
      { encryption: 'sse-rds', kmsKeyId: undefined },
      /encrypted with an AWS owned key/,
    ],
  ] as const)('instance: a snapshot %s onto an encrypted database is rejected', (_what, over, reason) => {
    const r = rejection(() => assessCompatibility('instance', pg(), snapOf(over), 'snap'));
    expect(r?.code).toBe('incompatible-snapshot');
    expect(r?.reason).toMatch(reason);
    expect(r?.reason).toContain(
      `aws rds copy-db-snapshot --source-db-snapshot-identifier snap --target-db-snapshot-identifier snap-encrypted --kms-key-id ${KEY_A}`,
    );
  });

  test('the copy the reason proposes has a legal name, even for a shared snapshot given by ARN', () => {
    const arn = `arn:aws:rds:us-east-1:111111111111:snapshot:${'s'.repeat(60)}`;
    const reason = rejection(() =>
      assessCompatibility('instance', pg(), snapOf({ encryption: 'none', kmsKeyId: undefined }), arn),
    )?.reason;
    const target = /--target-db-snapshot-identifier (\S+)/.exec(reason ?? '')?.[1];
    expect(target).toBe(`${'s'.repeat(53)}-encrypted`);
  });

  test('instance: another KMS key is rejected unless the request accepts that very key', () => {
    const snap = snapOf({ kmsKeyId: KEY_B });
    expect(rejection(() => assessCompatibility('instance', pg(), snap, 'snap'))?.reason).toContain(
      `"acceptKmsKeyId": "${KEY_B}"`,
    );
    expect(rejection(() => assessCompatibility('instance', pg(), snap, 'snap', KEY_A))?.reason).toContain(
      `the request accepts ${KEY_A}, which is not the snapshot's key`,
    );
    for (const accepted of [KEY_B, 'bbbb-2222']) {
      const ok = assessCompatibility('instance', pg(), snap, 'snap', accepted);
      expect(ok.expected).toEqual({ engineVersion: '15.4', storageEncrypted: true, kmsKeyId: KEY_B });
      expect(ok.warnings).toEqual([
        `orders-db will be encrypted with KMS key ${KEY_B} (the snapshot's, accepted by the request) instead of ${KEY_A}`,
      ]);
    }
  });

  test('instance: an encrypted snapshot onto an unencrypted database runs, encrypted, and says so', () => {
    const db = pg({ encryption: 'none', kmsKeyId: undefined });
    const out = assessCompatibility('instance', db, snapOf({ kmsKeyId: KEY_B }), 'snap');
    expect(out.expected).toEqual({ engineVersion: '15.4', storageEncrypted: true, kmsKeyId: KEY_B });
    expect(out.warnings).toEqual([
      `orders-db will be encrypted with KMS key ${KEY_B} after the restore; it is not encrypted now`,
    ]);
  });

  test("cluster: the restore re-encrypts with the cluster's own key, whatever the snapshot's", () => {
    for (const snap of [snapOf({ encryption: 'none', kmsKeyId: undefined }), snapOf({ kmsKeyId: KEY_B })]) {
      const out = assessCompatibility('cluster', pg(), snap, 'snap');
      expect(out.expected).toEqual({ engineVersion: '15.4', storageEncrypted: true, kmsKeyId: KEY_A });
      expect(out.warnings).toEqual([
        expect.stringContaining(`the restore re-encrypts orders-db with its own key ${KEY_A}`),
      ]);
    }
    // Without a key of its own (an AWS owned key), nothing re-encrypts it: an unencrypted snapshot is weaker.
    const owned = pg({ encryption: 'sse-rds', kmsKeyId: undefined });
    const r = rejection(() =>
      assessCompatibility('cluster', owned, snapOf({ encryption: 'none', kmsKeyId: undefined }), 'snap'),
    );
    expect(r?.reason).toMatch(/weaker than the original/);
  });

  test('a snapshot of another database of the same engine runs, announced with its source', () => {
    const out = assessCompatibility(
      'instance',
      pg(),
      snapOf({ identifier: 'donor-db', resourceId: 'db-DONOR' }),
      'golden',
    );
    expect(out.snapshotSource).toEqual({
      identifier: 'donor-db',
      resourceId: 'db-DONOR',
      sameDatabase: false,
    });
    expect(out.warnings).toEqual([
      "snapshot golden was taken of another database, donor-db (resource id db-DONOR): orders-db will hold that database's data, not its own",
    ]);
    // A request that says whose snapshot it is (a replication's copy of its source) is not warned about
    // it; a snapshot of any other database still is.
    const expected = (snapshotOf: string) =>
      assessCompatibility(
        'instance',
        pg(),
        snapOf({ identifier: 'donor-db', resourceId: 'db-DONOR' }),
        'golden',
        undefined,
        undefined,
        snapshotOf,
      );
    expect(expected('Donor-DB').warnings).toEqual([]);
    expect(expected('Donor-DB').snapshotSource.sameDatabase).toBe(false);
    expect(expected('other-db').warnings).toEqual(out.warnings);
  });

  test('a clone: the warnings speak of the clone, never of its source, which the clone leaves as it is', () => {
    // A new version of a replication: cloned from the previous one (or the template), from a snapshot of
    // the source account's database, not encrypted, on a newer minor version.
    const out = assessCompatibility(
      'cluster',
      pg({ identifier: 'pay-v-1', engine: 'aurora-postgresql' }),
      snapOf({
        identifier: 'payments',
        resourceId: 'cluster-PAYMENTS',
        engine: 'aurora-postgresql',
        engineVersion: '15.5',
        encryption: 'none',
        kmsKeyId: undefined,
      }),
      'repl-copy',
      undefined,
      'pay-v-2',
    );
    expect(out.warnings).toEqual([
      "the clone pay-v-2 will run aurora-postgresql 15.5 after the restore (the snapshot's version); pay-v-1 runs 15.4 now",
      `snapshot repl-copy is not encrypted: the restore encrypts the clone pay-v-2 with pay-v-1's key ${KEY_A}`,
      "snapshot repl-copy was taken of another database, payments (resource id cluster-PAYMENTS): the clone pay-v-2 will hold that database's data, not pay-v-1's",
    ]);
    // An instance clone taking the snapshot's key, and one of a stronger encryption than its source.
    const rekeyed = assessCompatibility(
      'instance',
      pg(),
      snapOf({ kmsKeyId: KEY_B }),
      'snap',
      KEY_B,
      'orders-copy',
    );
    expect(rekeyed.warnings).toEqual([
      `the clone orders-copy will be encrypted with KMS key ${KEY_B} (the snapshot's, accepted by the request) instead of ${KEY_A}`,
    ]);
    const stronger = assessCompatibility(
      'instance',
      pg({ encryption: 'none', kmsKeyId: undefined }),
      snapOf(),
      'snap',
      undefined,
      'orders-copy',
    );
    expect(stronger.warnings).toEqual([
      `the clone orders-copy will be encrypted with KMS key ${KEY_A} after the restore; orders-db is not encrypted now`,
    ]);
    // Its own snapshot: nothing to say.
    expect(
      assessCompatibility('instance', pg(), snapOf(), 'snap', undefined, 'orders-copy').warnings,
    ).toEqual([]);
  });
});

describe('read replicas', () => {
  const instance = (over: Partial<DBInstance>) => ({ DBInstanceIdentifier: 'orders-db', ...over });
  test.each([
    [
      { ReadReplicaDBInstanceIdentifiers: ['orders-db-r1', 'orders-db-r2'] },
      /read replicas \(orders-db-r1, orders-db-r2\)/,
    ],
    [
      { ReadReplicaDBClusterIdentifiers: ['arn:aws:rds:us-east-1:000000000000:cluster:orders-am'] },
      /read replicas \(orders-am\)/,
    ],
  ])('an instance with replicas is rejected (%#)', (over, reason) => {
    const r = rejection(() => rejectInstanceWithReplicas(instance(over), 'orders-db'));
    expect(r?.code).toBe('has-read-replicas');
    expect(r?.reason).toMatch(reason);
  });

  test('an instance without replicas passes', () => {
    expect(
      rejection(() =>
        rejectInstanceWithReplicas(instance({ ReadReplicaDBInstanceIdentifiers: [] }), 'orders-db'),
      ),
    ).toBeUndefined();
  });

  test.each([
    [
      { ReadReplicaIdentifiers: ['arn:aws:rds:eu-west-1:000000000000:cluster:ledger-dr'] },
      /read replica clusters \(ledger-dr\)/,
    ],
    [
      { GlobalClusterIdentifier: 'ledger-global' },
      /member of the global database ledger-global.*remove-from-global-cluster/,
    ],
  ])('a cluster others replicate from is rejected (%#)', (over: Partial<DBCluster>, reason) => {
    const r = rejection(() =>
      rejectClusterWithReplicas({ DBClusterIdentifier: 'ledger', ...over }, 'ledger'),
    );
    expect(r?.code).toBe('has-read-replicas');
    expect(r?.reason).toMatch(reason);
  });
});

describe('verification compares engine, version and encryption', () => {
  const original = captureInstanceConfig(
    dbInstanceFixture('orders-db', { StorageEncrypted: true, KmsKeyId: KEY_A }),
  );
  test.each([
    ['engine', { Engine: 'mysql' }, ['engine: expected "postgres", got "mysql"']],
    ['engine version', { EngineVersion: '14.10' }, ['engineVersion: expected "15.4", got "14.10"']],
    [
      'encryption',
      { StorageEncrypted: false, KmsKeyId: undefined },
      ['storageEncrypted: expected true, got false', `kmsKeyId: expected "${KEY_A}", got undefined`],
    ],
    [
      'KMS key',
      { StorageEncrypted: true, KmsKeyId: KEY_B },
      [`kmsKeyId: expected "${KEY_A}", got "${KEY_B}"`],
    ],
  ])('instance: a different %s is a difference', (_what, over, texts) => {
    const restored = captureInstanceConfig(
      dbInstanceFixture('orders-db', { StorageEncrypted: true, KmsKeyId: KEY_A, ...over }),
    );
    const diffs = diffInstanceConfig(original, restored).map(
      (d) => `${d.field}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`,
    );
    expect(diffs).toEqual(texts);
  });

  test('cluster: engine, version, encryption and key are compared', () => {
    const cluster = (over: Partial<DBCluster>) =>
      captureClusterConfig(
        {
          DBClusterIdentifier: 'ledger',
          Engine: 'aurora-mysql',
          EngineVersion: '8.0.mysql_aurora.3.05.2',
          StorageEncrypted: true,
          KmsKeyId: KEY_A,
          ...over,
        },
        [],
      );
    const diffs = diffClusterConfig(
      cluster({}),
      cluster({
        Engine: 'aurora-postgresql',
        EngineVersion: '15.4',
        StorageEncrypted: false,
        KmsKeyId: undefined,
      }),
    );
    expect(diffs.map((d) => d.field)).toEqual(['engine', 'engineVersion', 'storageEncrypted', 'kmsKeyId']);
  });
});

describe('in the service', () => {
  const bed = useServiceTestBed();
  const { rds } = bed;
  const envelope = () => requestEnvelope();
  const published = bed.published;

  test('intake rejects an incompatible snapshot after describing it, and sends no mutation', async () => {
    const ctx = testContext('restore', bed.store);
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [dbInstanceFixture('safety-a-db')] });
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        {
          DBSnapshotIdentifier: 'mysql-snap',
          Status: 'available',
          DBInstanceIdentifier: 'shop',
          Engine: 'mysql',
          EngineVersion: '8.0.35',
        },
      ],
    });
    await intake(
      { identifier: 'safety-a-db', task: 'db_restore', snapshotIdentifier: 'mysql-snap' },
      envelope(),
      ctx,
    );
    expect(published()).toMatchObject([
      { type: 'RestoreRejected', detail: { code: 'incompatible-snapshot' } },
    ]);
    const sent = rds.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
    expect(sent.every((name) => name.startsWith('Describe'))).toBe(true);
    expect(await bed.store.getLock('instance', 'safety-a-db')).toBeUndefined();
  });

  test('intake accepts a compatible snapshot and records what the restored database must show', async () => {
    const ctx = testContext('restore', bed.store);
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [dbInstanceFixture('safety-c-db')] });
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        {
          DBSnapshotIdentifier: 'safety-c-db-snapshot',
          Status: 'available',
          DBInstanceIdentifier: 'safety-c-db',
          Engine: 'postgres',
          EngineVersion: '15.2',
          Encrypted: false,
        },
      ],
    });
    await intake({ identifier: 'safety-c-db', task: 'db_restore' }, envelope(), ctx);
    const [started] = published();
    expect(started).toMatchObject({
      type: 'RunStarted',
      detail: { snapshotSource: { identifier: 'safety-c-db', sameDatabase: true } },
    });
    const run = (await bed.store.getRun(started!.detail.run.id))!;
    // A restored copy of this snapshot: the snapshot's minor version, unencrypted like the original.
    const restored = captureInstanceConfig(dbInstanceFixture('safety-c-db', { EngineVersion: '15.2' }));
    expect(diffInstanceConfig(run.config as unknown as typeof restored, restored)).toEqual([]);
    expect(run.warnings).toEqual([
      "safety-c-db will run postgres 15.2 after the restore (the snapshot's version); it runs 15.4 now",
    ]);
  });

  test('the restore step refuses a restored database of another engine version or key: compensation starts', async () => {
    const ctx = testContext('restore', bed.store);
    const fixture = runFixture('orders-db', 'create_snapshot');
    const run = await bed.store.createRun({ ...fixture, run: { ...fixture.run, next: 'restore' } });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: { DbiResourceId: 'db-RESTORED' } }); // the id the run records
    await startRestore(ctx, run);
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        dbInstanceFixture('orders-db', {
          DbiResourceId: 'db-RESTORED',
          EngineVersion: '15.2',
          StorageEncrypted: true,
          KmsKeyId: KEY_B,
        }),
      ],
    });
    expect(await settle(ctx, (await bed.store.getRun(run.runId))!, restoreWait)).toBe('failed');
    const failed = published().find((p) => p.type === 'RestoreFailed');
    expect(failed?.detail).toMatchObject({
      errorCode: 'ConfigurationMismatch',
      compensation: ['discard', 'rename-back'],
    });
    expect(failed?.detail.reason).toContain('engineVersion: expected "15.4", got "15.2"');
    expect(failed?.detail.reason).toContain(`kmsKeyId: expected undefined, got "${KEY_B}"`);
  });

  test('a managed master password: announced at intake, management turned on again after the restore', async () => {
    const ctx = testContext('restore', bed.store);
    const secret = {
      SecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:rds!db-1234',
      KmsKeyId: KEY_B,
    };
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        dbInstanceFixture('safety-b-db', { MasterUserSecret: { ...secret, SecretStatus: 'active' } }),
      ],
    });
    await intake({ identifier: 'safety-b-db', task: 'create_snapshot' }, envelope(), ctx);
    const [started] = published();
    expect(started?.detail.warnings).toEqual([
      expect.stringContaining(
        `safety-b-db's master password is managed in Secrets Manager (${secret.SecretArn})`,
      ),
    ]);
    const stored = (await bed.store.getRun(started!.detail.run.id))!;
    expect(stored.warnings).toEqual(started!.detail.warnings);

    // The restore step: the restored copy has no secret; the modification turns management on with the same key.
    const fixture = runFixture('orders-db', 'create_snapshot', { config: stored.config });
    const run = await bed.store.createRun({
      ...fixture,
      identifier: 'safety-b-db',
      run: { ...fixture.run, identifier: 'safety-b-db', next: 'restore' },
    });
    rds.reset();
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: { DbiResourceId: 'db-RESTORED' } }); // the id the run records
    rds.on(ModifyDBInstanceCommand).resolves({});
    await startRestore(ctx, run);
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [dbInstanceFixture('safety-b-db', { DbiResourceId: 'db-RESTORED' })],
    });
    await settle(ctx, (await bed.store.getRun(run.runId))!, restoreWait);
    expect(rds.commandCalls(ModifyDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      {
        DBInstanceIdentifier: 'safety-b-db',
        ApplyImmediately: true,
        ManageMasterUserPassword: true,
        MasterUserSecretKmsKeyId: KEY_B,
      },
    ]);
  });
});
