import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  CreateDBSnapshotCommand,
  type CreateDBClusterCommandInput,
  type CreateDBInstanceCommandInput,
} from '@aws-sdk/client-rds';
import {
  captureInstanceConfig,
  findCluster,
  findClusterSnapshot,
  findInstance,
  findSnapshot,
} from '@rewind/shared';
import { waitForCluster } from '@rewind/local';
import { expectNotified } from '../failures';
import { createProductionInstance, startE2E, waitForStatus, type E2E } from '../harness';

/**
 * Restores that must not run: a snapshot of another engine, of another major version, less encrypted
 * or under another KMS key than the database, and databases that others replicate from. Each is
 * rejected at intake with the reason, before any RDS mutation on the database. A snapshot of another
 * database of the same engine runs, and says so.
 */

let e2e: E2E;
/** Two customer-managed keys of the account (the local cloud's KMS checks that keys exist). */
let ORDERS_KEY: string;
let OTHER_KEY: string;
beforeAll(async () => {
  e2e = await startE2E();
  const kms = new KMSClient({
    endpoint: e2e.cloud.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  ORDERS_KEY = (await kms.send(new CreateKeyCommand({ Description: 'orders' }))).KeyMetadata!.Arn!;
  OTHER_KEY = (await kms.send(new CreateKeyCommand({ Description: 'analytics' }))).KeyMetadata!.Arn!;
  kms.destroy();
});
afterAll(async () => e2e?.stop());

const OPT_IN = [{ Key: 'rewind:allow', Value: 'true' }];
const MUTATING = /^(Create|Modify|Delete|Restore|Reboot|Add|Remove|Copy|Promote)/;

/** The mutating RDS calls the local cloud counted on one identifier. */
async function rdsMutationsOn(identifier: string): Promise<Record<string, number>> {
  const calls = await e2e.cloud.admin.get<{ byIdentifier: Record<string, Record<string, number>> }>(
    '/_rewind/rds/calls',
  );
  return Object.fromEntries(
    Object.entries(calls.byIdentifier[identifier] ?? {}).filter(([action]) => MUTATING.test(action)),
  );
}

async function plainInstance(identifier: string, settings: Partial<CreateDBInstanceCommandInput>) {
  await e2e.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: identifier,
      Engine: 'postgres',
      EngineVersion: '15.4',
      DBInstanceClass: 'db.t3.medium',
      MasterUsername: 'app',
      MasterUserPassword: 'not-a-real-password',
      AllocatedStorage: 20,
      BackupRetentionPeriod: 1,
      ...settings,
    }),
  );
  return waitForStatus(e2e.rds, identifier, 'available');
}

async function instanceSnapshot(instance: string, snapshot: string) {
  await e2e.rds.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: instance, DBSnapshotIdentifier: snapshot }),
  );
  for (;;) {
    if ((await findSnapshot(e2e.rds, snapshot))?.Status === 'available') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function plainCluster(identifier: string, settings: Partial<CreateDBClusterCommandInput>) {
  await e2e.rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: identifier,
      Engine: 'aurora-mysql',
      EngineVersion: '8.0.mysql_aurora.3.05.2',
      MasterUsername: 'app',
      MasterUserPassword: 'not-a-real-password',
      ...settings,
    }),
  );
  return waitForCluster(e2e.rds, identifier);
}

async function clusterSnapshot(cluster: string, snapshot: string) {
  await e2e.rds.send(
    new CreateDBClusterSnapshotCommand({
      DBClusterIdentifier: cluster,
      DBClusterSnapshotIdentifier: snapshot,
    }),
  );
  for (;;) {
    if ((await findClusterSnapshot(e2e.rds, snapshot))?.Status === 'available') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function expectRejectedUntouched(
  request: Record<string, unknown>,
  code: string,
  reason: RegExp,
  created: Record<string, number>,
) {
  const { terminal, runId } = await e2e.request(request);
  expect([terminal['detail-type'], terminal.detail.code]).toEqual(['RestoreRejected', code]);
  expect(String(terminal.detail.reason)).toMatch(reason);
  expect((await e2e.store.getRun(runId))?.status).toBe('rejected');
  // Nothing was done to the database: only the calls that set it up.
  expect(await rdsMutationsOn(request.identifier as string)).toEqual(created);
  const kind = request.isCluster ? 'cluster' : 'instance';
  expect(await e2e.store.getLock(kind, request.identifier as string)).toBeUndefined();
}

describe('instances: unsafe snapshots are rejected before anything is touched', () => {
  test('a MySQL snapshot onto a PostgreSQL database', async () => {
    await plainInstance('shop-mysql-db', {
      Engine: 'mysql',
      EngineVersion: '8.0.35',
    });
    await instanceSnapshot('shop-mysql-db', 'shop-mysql-nightly');
    await createProductionInstance(e2e.rds, 'ledger-pg-db');
    await expectRejectedUntouched(
      { identifier: 'ledger-pg-db', task: 'db_restore', snapshotIdentifier: 'shop-mysql-nightly' },
      'incompatible-snapshot',
      /shop-mysql-nightly was taken of a database running mysql, but ledger-pg-db runs postgres/,
      { CreateDBInstance: 1 },
    );
  });

  test('a snapshot of an older major version (PostgreSQL 14 onto 15)', async () => {
    await plainInstance('legacy-pg14-db', { EngineVersion: '14.10' });
    await instanceSnapshot('legacy-pg14-db', 'legacy-pg14-snap');
    await createProductionInstance(e2e.rds, 'current-pg15-db');
    await expectRejectedUntouched(
      { identifier: 'current-pg15-db', task: 'db_restore', snapshotIdentifier: 'legacy-pg14-snap' },
      'incompatible-snapshot',
      /14\.10 \(major version 14\) but current-pg15-db runs 15\.4 \(major version 15\): restoring it would take current-pg15-db back a major version.*aws rds modify-db-snapshot/,
      { CreateDBInstance: 1 },
    );
  });

  test('an unencrypted snapshot onto an encrypted database', async () => {
    await plainInstance('plain-src-db', {});
    await instanceSnapshot('plain-src-db', 'plain-src-snap');
    await createProductionInstance(e2e.rds, 'vault-db', { StorageEncrypted: true, KmsKeyId: ORDERS_KEY });
    await expectRejectedUntouched(
      { identifier: 'vault-db', task: 'db_restore', snapshotIdentifier: 'plain-src-snap' },
      'incompatible-snapshot',
      new RegExp(
        `plain-src-snap is not encrypted but vault-db is encrypted with KMS key ${ORDERS_KEY}.*weaker than the original.*aws rds copy-db-snapshot .*--kms-key-id ${ORDERS_KEY}`,
      ),
      { CreateDBInstance: 1 },
    );
  });

  test('a snapshot under another KMS key, without the request accepting it', async () => {
    await plainInstance('keyed-src-db', { StorageEncrypted: true, KmsKeyId: OTHER_KEY });
    await instanceSnapshot('keyed-src-db', 'keyed-src-snap');
    await createProductionInstance(e2e.rds, 'keyed-db', { StorageEncrypted: true, KmsKeyId: ORDERS_KEY });
    await expectRejectedUntouched(
      { identifier: 'keyed-db', task: 'db_restore', snapshotIdentifier: 'keyed-src-snap' },
      'incompatible-snapshot',
      new RegExp(
        `encrypted with KMS key ${OTHER_KEY} but keyed-db uses ${ORDERS_KEY}.*"acceptKmsKeyId": "${OTHER_KEY}"`,
      ),
      { CreateDBInstance: 1 },
    );
    // Accepting another key than the snapshot's is no acceptance.
    await expectRejectedUntouched(
      {
        identifier: 'keyed-db',
        task: 'db_restore',
        snapshotIdentifier: 'keyed-src-snap',
        acceptKmsKeyId: 'orders',
      },
      'incompatible-snapshot',
      /the request accepts orders, which is not the snapshot's key/,
      { CreateDBInstance: 1 },
    );
  });

  test('a database with a read replica', async () => {
    await createProductionInstance(e2e.rds, 'replicated-db');
    await e2e.rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: 'replicated-db-reader',
        SourceDBInstanceIdentifier: 'replicated-db',
      }),
    );
    const replica = await waitForStatus(e2e.rds, 'replicated-db-reader', 'available');
    expect(replica.ReadReplicaSourceDBInstanceIdentifier).toBe('replicated-db');
    await expectRejectedUntouched(
      { identifier: 'replicated-db', task: 'create_snapshot' },
      'has-read-replicas',
      /replicated-db has read replicas \(replicated-db-reader\).*aws rds create-db-instance-read-replica/,
      { CreateDBInstance: 1 },
    );
    expect((await findInstance(e2e.rds, 'replicated-db-reader'))?.ReadReplicaSourceDBInstanceIdentifier).toBe(
      'replicated-db',
    );
  });
});

describe('clusters: unsafe snapshots are rejected before anything is touched', () => {
  test('an Aurora PostgreSQL snapshot onto an Aurora MySQL cluster', async () => {
    await plainCluster('events-apg-cluster', { Engine: 'aurora-postgresql', EngineVersion: '15.4' });
    await clusterSnapshot('events-apg-cluster', 'events-apg-snap');
    await plainCluster('ledger-am-cluster', { Tags: OPT_IN });
    await expectRejectedUntouched(
      {
        identifier: 'ledger-am-cluster',
        isCluster: true,
        task: 'db_restore',
        snapshotIdentifier: 'events-apg-snap',
      },
      'incompatible-snapshot',
      /events-apg-snap was taken of a database running aurora-postgresql, but ledger-am-cluster runs aurora-mysql/,
      { CreateDBCluster: 1 },
    );
  });

  test('a snapshot of an older major version (Aurora MySQL 2 onto 3)', async () => {
    await plainCluster('old-am2-cluster', { EngineVersion: '5.7.mysql_aurora.2.11.2' });
    await clusterSnapshot('old-am2-cluster', 'old-am2-snap');
    await plainCluster('new-am3-cluster', { Tags: OPT_IN });
    await expectRejectedUntouched(
      {
        identifier: 'new-am3-cluster',
        isCluster: true,
        task: 'db_restore',
        snapshotIdentifier: 'old-am2-snap',
      },
      'incompatible-snapshot',
      /\(major version 5\.7\) but new-am3-cluster runs 8\.0\.mysql_aurora\.3\.05\.2 \(major version 8\.0\)/,
      { CreateDBCluster: 1 },
    );
  });

  test("an unencrypted snapshot onto an encrypted cluster runs: the restore re-encrypts it with the cluster's key", async () => {
    await plainCluster('plain-am-cluster', {});
    await clusterSnapshot('plain-am-cluster', 'plain-am-snap');
    await plainCluster('sealed-am-cluster', { Tags: OPT_IN, StorageEncrypted: true, KmsKeyId: ORDERS_KEY });
    const { terminal } = await e2e.request({
      identifier: 'sealed-am-cluster',
      isCluster: true,
      task: 'db_restore',
      snapshotIdentifier: 'plain-am-snap',
    });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    const restored = await findCluster(e2e.rds, 'sealed-am-cluster');
    expect({ encrypted: restored?.StorageEncrypted, key: restored?.KmsKeyId }).toEqual({
      encrypted: true,
      key: ORDERS_KEY,
    });
    expect(terminal.detail.warnings).toEqual([
      `snapshot plain-am-snap is not encrypted: the restore re-encrypts sealed-am-cluster with its own key ${ORDERS_KEY}`,
      'snapshot plain-am-snap was taken of another database, plain-am-cluster (resource id ' +
        (await findClusterSnapshot(e2e.rds, 'plain-am-snap'))?.DbClusterResourceId +
        "): sealed-am-cluster will hold that database's data, not its own",
    ]);
  });

  test('a cluster with a read replica cluster', async () => {
    const source = await plainCluster('replicated-cluster', { Tags: OPT_IN });
    await plainCluster('replicated-cluster-dr', { ReplicationSourceIdentifier: source.DBClusterArn });
    await expectRejectedUntouched(
      { identifier: 'replicated-cluster', isCluster: true, task: 'create_snapshot' },
      'has-read-replicas',
      /replicated-cluster has read replica clusters \(replicated-cluster-dr\)/,
      { CreateDBCluster: 1 },
    );
  });
});

describe('a snapshot of another database of the same engine', () => {
  test('runs, and RunStarted, the completion and the alert say whose snapshot it was', async () => {
    const donor = await plainInstance('donor-db', { StorageEncrypted: true, KmsKeyId: OTHER_KEY });
    await instanceSnapshot('donor-db', 'donor-db-golden');
    const before = await createProductionInstance(e2e.rds, 'recipient-db', {
      StorageEncrypted: true,
      KmsKeyId: ORDERS_KEY,
    });
    const { terminal, runId } = await e2e.request({
      identifier: 'recipient-db',
      task: 'db_restore',
      snapshotIdentifier: 'donor-db-golden',
      acceptKmsKeyId: OTHER_KEY,
    });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    const started = e2e.observer.ofRun(runId).find((e) => e['detail-type'] === 'RunStarted')!;
    expect(started.detail.snapshotSource).toEqual({
      identifier: 'donor-db',
      resourceId: donor.DbiResourceId,
      sameDatabase: false,
    });
    const warnings = started.detail.warnings as string[];
    expect(warnings).toEqual([
      `recipient-db will be encrypted with KMS key ${OTHER_KEY} (the snapshot's, accepted by the request) instead of ${ORDERS_KEY}`,
      `snapshot donor-db-golden was taken of another database, donor-db (resource id ${donor.DbiResourceId}): recipient-db will hold that database's data, not its own`,
    ]);
    expect(terminal.detail.warnings).toEqual(warnings);
    await expectNotified(e2e, 'recipient-db', runId, /completed with warnings/);
    const alerts = JSON.stringify(await e2e.cloud.admin.sentEmails());
    expect(alerts).toContain('was taken of another database, donor-db');

    // The restored database is verified against what the restore must produce: the accepted key.
    const after = captureInstanceConfig((await findInstance(e2e.rds, 'recipient-db'))!);
    expect({ encrypted: after.storageEncrypted, key: after.kmsKeyId, engine: after.engineVersion }).toEqual({
      encrypted: true,
      key: OTHER_KEY,
      engine: before.engineVersion,
    });
    expect(after.endpointAddress).toBe(before.endpointAddress);
  });
});

describe('names at the limits', () => {
  test('a cluster with a 63-character identifier is snapshotted, restored and cleaned up', async () => {
    const identifier = `long-${'x'.repeat(54)}-end`;
    expect(identifier).toHaveLength(63);
    await plainCluster(identifier, { Tags: OPT_IN });
    const { terminal, runId } = await e2e.request({ identifier, isCluster: true, task: 'create_snapshot' });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    const run = (await e2e.store.getRun(runId))!;
    for (const name of [run.names.snapshot!, run.names.finalSnapshot!]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect((await findClusterSnapshot(e2e.rds, name))?.Status).toBe('available');
    }
    expect((await findCluster(e2e.rds, identifier))?.Status).toBe('available');
  });
});

describe('a managed master password', () => {
  test('the restored database gets a new secret under the same key, announced at the start and in the alert', async () => {
    const before = await createProductionInstance(e2e.rds, 'secret-db', {
      MasterUserPassword: undefined,
      ManageMasterUserPassword: true,
      MasterUserSecretKmsKeyId: ORDERS_KEY,
    });
    expect(before.manageMasterUserPassword).toBe(true);
    const { terminal, runId } = await e2e.request({ identifier: 'secret-db', task: 'create_snapshot' });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    const started = e2e.observer.ofRun(runId).find((e) => e['detail-type'] === 'RunStarted')!;
    expect(started.detail.warnings).toEqual([
      expect.stringContaining(
        `secret-db's master password is managed in Secrets Manager (${before.masterUserSecretArn})`,
      ),
    ]);
    expect(terminal.detail.warnings).toEqual(started.detail.warnings);
    await expectNotified(e2e, 'secret-db', runId, /completed with warnings/);

    const after = (await findInstance(e2e.rds, 'secret-db'))!;
    expect(after.MasterUserSecret?.KmsKeyId).toBe(ORDERS_KEY);
    expect(after.MasterUserSecret?.SecretArn).toMatch(/^arn:aws:secretsmanager:.*:secret:rds!db-/);
    expect(after.MasterUserSecret?.SecretArn).not.toBe(before.masterUserSecretArn);
    expect(after.DbiResourceId).not.toBe(before.dbiResourceId);
  });
});
