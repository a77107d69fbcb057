/**
 * Cross-account replication end to end (issue #20): Rewind installed in a source and a destination
 * account of one local cloud, both deployed with the same policy file, IAM evaluated in both with the
 * generated policies, RDS on compressed time. Scheduled replications fire on the cloud clock (advanced,
 * never waited); the others are requested as `rewind replicate` does. Each case checks what RDS, KMS,
 * Secrets Manager and the alert sinks hold in each account afterwards.
 */
import { PutPermissionCommand, RemovePermissionCommand } from '@aws-sdk/client-eventbridge';
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { findInstance, type ReplicationPolicyInput } from '@rewind/shared';
import { peerStatementId } from '../../local/src/provision/replication';
import { eventually } from '../drHarness';
import {
  alerted,
  completed,
  createDatabase,
  createKey,
  databasesAvailable,
  DEST,
  fireAt,
  keyAlias,
  nextAt,
  REGION,
  replicationEnd,
  requestReplication,
  sharedWith,
  snapshotsOf,
  SOURCE,
  startReplicationWorld,
  type ReplicationWorld,
} from '../replicationHarness';

const SHARED_KEY = keyAlias(SOURCE, 'shared');
const NO_GRANT_KEY = keyAlias(SOURCE, 'nogrant');
const STAGING_KEY = keyAlias(DEST, 'staging');

const source = (identifier: string, kmsKeyId?: string) => ({
  account: SOURCE,
  region: REGION,
  identifier,
  ...(kmsKeyId ? { kmsKeyId } : {}),
});
const inPlace = (identifier: string) => ({
  account: DEST,
  kmsKeyId: STAGING_KEY,
  mode: 'in-place' as const,
  identifier,
});

/**
 * The policy file deployed in both accounts (the policies an account takes part in are its replication
 * function's environment: above 2 KB, as here, the local cloud gzips them as a deployment does above 4 KB).
 */
const POLICIES: ReplicationPolicyInput[] = [
  {
    name: 'inplace',
    source: source('orders', SHARED_KEY),
    schedule: 'cron(0 3 * * ? *)',
    destinations: [inPlace('staging')],
  },
  {
    name: 'versioned',
    source: source('orders', SHARED_KEY),
    schedule: ['cron(0 5 * * ? *)', 'cron(0 6 * * ? *)'],
    destinations: [
      {
        account: DEST,
        kmsKeyId: STAGING_KEY,
        mode: 'versioned',
        prefix: 'orders-v',
        keep: 1,
        template: 'template',
        secret: { id: 'staging/orders', field: 'host' },
      },
    ],
  },
  { name: 'nogrant', source: source('ledger', NO_GRANT_KEY), destinations: [inPlace('ledger')] },
  { name: 'rekey', source: source('billing', SHARED_KEY), destinations: [inPlace('billing')] },
  { name: 'nokey', source: source('billing'), destinations: [inPlace('billing')] },
];

/** The destination account's databases: restored in place (same names as the sources), a template. */
const DEST_DATABASES = ['staging', 'ledger', 'billing', 'template'];

let world: ReplicationWorld;
const keys: Record<string, string> = {};

beforeAll(async () => {
  world = await startReplicationWorld(POLICIES);
  const { source: src, dest } = world;
  keys.shared = await createKey(src, 'shared', { peer: DEST });
  keys.noGrant = await createKey(src, 'nogrant', { peer: DEST, grants: false });
  keys.staging = await createKey(dest, 'staging');
  await Promise.all([
    createDatabase(src, 'orders', { kmsKeyId: keys.shared, owner: 'orders_owner' }),
    createDatabase(src, 'ledger', { kmsKeyId: keys.noGrant, owner: 'ledger_owner' }),
    // Encrypted with the account's default aws/rds key, which can never be shared.
    createDatabase(src, 'billing', { owner: 'billing_owner' }),
    ...DEST_DATABASES.map((id) =>
      createDatabase(dest, id, { kmsKeyId: keys.staging, owner: 'staging_owner' }),
    ),
  ]);
  await world.dest.secrets.send(
    new CreateSecretCommand({
      Name: 'staging/orders',
      SecretString: JSON.stringify({ host: 'old.example.com', port: 5432, username: 'app' }),
    }),
  );
  await databasesAvailable(src, ['orders', 'ledger', 'billing']);
  await databasesAvailable(dest, DEST_DATABASES);
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

/** What a destination database is now: whose data (master user), its resource id, endpoint and key. */
async function state(id: string) {
  const db = await findInstance(world.dest.rds, id);
  return {
    status: db?.DBInstanceStatus,
    owner: db?.MasterUsername,
    resourceId: db?.DbiResourceId,
    address: db?.Endpoint?.Address,
    kmsKeyId: db?.KmsKeyId,
  };
}

const snapshotIdOf = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);

/** A snapshot of an account by ARN (its own, by identifier), or undefined once deleted. */
async function snapshotAt(account: 'source' | 'dest', arn: string) {
  const out = await world[account].rds
    .send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotIdOf(arn) }))
    .catch((err: Error) => {
      if (err.name === 'DBSnapshotNotFound' || err.name === 'DBSnapshotNotFoundFault')
        return { DBSnapshots: [] };
      throw err;
    });
  return out.DBSnapshots?.[0];
}

/** Nothing of a policy is shared any more in the source account. */
async function expectNothingShared(policy: string) {
  await eventually(
    async () =>
      (
        await Promise.all(
          (await snapshotsOf(world.source, `rewind-repl-${policy}`)).map((s) =>
            sharedWith(world.source, s.DBSnapshotIdentifier!),
          ),
        )
      ).flat(),
    (accounts) => accounts.length === 0,
    20_000,
  );
}

/** The source's `ReplicationStarted` of a replication. */
const startOf = (replicationId: string) =>
  world.source.observer.events.find(
    (e) => e['detail-type'] === 'ReplicationStarted' && e.detail.replicationId === replicationId,
  );

type Lineage = { sourceSnapshotArn: string; sharedSnapshotArn: string; copySnapshotArn: string };

test('scheduled, in place: the destination database holds the source data under its own name', async () => {
  const before = await state('staging');
  const since = world.source.observer.events.length;
  const at = await nextAt(world, 3);
  await fireAt(world, at);
  const end = completed(await replicationEnd(world, 'inplace', since));
  expect(startOf(String(end.detail.replicationId))?.detail.scheduledTime).toBe(
    at.toISOString().replace('.000Z', 'Z'),
  );

  expect(end.detail).toMatchObject({
    policy: 'inplace',
    sourceAccount: SOURCE,
    destinationAccount: DEST,
    mode: 'in-place',
    identifier: 'staging',
  });
  // The source's data, in the destination database under its name and endpoint, with the destination's key.
  expect(await state('staging')).toEqual({
    status: 'available',
    owner: 'orders_owner',
    resourceId: expect.not.stringMatching(before.resourceId!),
    address: before.address,
    kmsKeyId: keys.staging,
  });
  // Lineage: the destination's copy was made from the shared snapshot, itself the source's snapshot of
  // `orders` (already encrypted with the shareable key: no re-encryption).
  const lineage = end.detail.lineage as Lineage;
  const copy = await snapshotAt('dest', lineage.copySnapshotArn);
  expect(copy).toMatchObject({
    SourceDBSnapshotIdentifier: lineage.sharedSnapshotArn,
    KmsKeyId: keys.staging,
  });
  expect(lineage.sharedSnapshotArn).toBe(lineage.sourceSnapshotArn);
  expect(lineage.sharedSnapshotArn).toContain(`:${SOURCE}:snapshot:rewind-repl-inplace-`);
  // Kept by the policy's retention (the newest one), no longer shared.
  expect(await snapshotAt('source', lineage.sharedSnapshotArn)).toMatchObject({
    DBInstanceIdentifier: 'orders',
    KmsKeyId: keys.shared,
  });
  // Cleaned up: nothing shared any more, no intermediate snapshot, at most the newest of each kept.
  await expectNothingShared('inplace');
  expect((await snapshotsOf(world.source, 'rewind-repl-inplace')).length).toBeLessThanOrEqual(1);
  expect((await snapshotsOf(world.dest, 'rewind-repl-inplace')).length).toBeLessThanOrEqual(1);
  // Each account's replication function did its side under its own role, and IAM refused none of it.
  const invocations = await world.cloud.admin.invocations(
    world.cloud.names.functionName('replication', 'worker'),
  );
  expect([...new Set(invocations.map((i) => i.accountId ?? SOURCE))].sort()).toEqual([SOURCE, DEST]);
  expect(await world.cloud.admin.get('iam/denials')).toEqual({ denials: [] });
}, 120_000);

test('scheduled, versioned: two firings make <prefix>-1 then <prefix>-2, keep the newest, the secret follows', async () => {
  const ends = [];
  for (const hour of [5, 6]) {
    const since = world.source.observer.events.length;
    await fireAt(world, await nextAt(world, hour));
    ends.push(completed(await replicationEnd(world, 'versioned', since)));
  }
  expect(ends.map((e) => [e['detail-type'], e.detail.identifier])).toEqual([
    ['ReplicationCompleted', 'orders-v-1'],
    ['ReplicationCompleted', 'orders-v-2'],
  ]);
  expect(ends[1]!.detail.versions).toEqual({ kept: ['orders-v-2'], deleted: ['orders-v-1'] });
  const newest = await state('orders-v-2');
  expect(newest).toMatchObject({ status: 'available', owner: 'orders_owner', kmsKeyId: keys.staging });
  // keep 1: the older version is deleted (the template and the rest are untouched).
  await eventually(
    async () =>
      ((await world.dest.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [])
        .map((d) => d.DBInstanceIdentifier!)
        .filter((id) => id.startsWith('orders-v')),
    (ids) => ids.length === 1 && ids[0] === 'orders-v-2',
    30_000,
  );
  expect((await state('template')).owner).toBe('staging_owner');
  const secret = await world.dest.secrets.send(new GetSecretValueCommand({ SecretId: 'staging/orders' }));
  expect(JSON.parse(secret.SecretString!)).toMatchObject({ host: newest.address, username: 'app' });
  expect(ends[1]!.detail.secret).toMatchObject({
    id: 'staging/orders',
    field: 'host',
    value: newest.address,
  });
  await expectNothingShared('versioned');
}, 120_000);

test('the destination cannot use the source key: copy fails there, alerted there, the source told, nothing left', async () => {
  const before = await state('ledger');
  const since = world.source.observer.events.length;
  await requestReplication(world, 'nogrant');
  const end = await replicationEnd(world, 'nogrant', since);

  expect(end['detail-type']).toBe('ReplicationFailed');
  expect(end.detail).toMatchObject({
    stage: 'copy',
    account: DEST,
    sourceAccount: SOURCE,
    destinationAccount: DEST,
  });
  expect(String(end.detail.reason)).toContain(keys.noGrant);
  // The source learnt it on its own bus (forwarded from the destination's), and the destination alerted.
  expect((end as unknown as { account: string }).account).toBe(DEST);
  await alerted(world, DEST, String(end.detail.replicationId));
  // Nothing orphaned: no copy in the destination (not the one it announced either), its database
  // untouched, the source snapshot unshared.
  const received = world.source.observer.events.find(
    (e) => e['detail-type'] === 'ReplicationReceived' && e.detail.replicationId === end.detail.replicationId,
  );
  expect(received?.detail.copyIdentifier).toEqual(expect.stringMatching(/^rewind-repl-nogrant-.*-copy$/));
  expect(await snapshotAt('dest', String(received?.detail.copyIdentifier))).toBeUndefined();
  expect(await snapshotsOf(world.dest, 'rewind-repl-nogrant')).toEqual([]);
  expect(await state('ledger')).toEqual(before);
  await expectNothingShared('nogrant');
}, 120_000);

test('a source on the default aws/rds key: rejected with the fix without a key of its own', async () => {
  const since = world.source.observer.events.length;
  await requestReplication(world, 'nokey');
  const end = await replicationEnd(world, 'nokey', since);

  expect(end['detail-type']).toBe('ReplicationFailed');
  expect(end.detail).toMatchObject({ stage: 'select', account: SOURCE });
  expect(String(end.detail.reason)).toMatch(/aws\/rds/);
  expect(String(end.detail.action)).toContain('rewind replication key-policy --policy nokey');
  await alerted(world, SOURCE, String(end.detail.replicationId));
  // Decided before anything was taken.
  expect(await snapshotsOf(world.source, 'rewind-repl-nokey')).toEqual([]);
}, 60_000);

test('a source on the default aws/rds key: re-encrypted with the policy key and replicated', async () => {
  const since = world.source.observer.events.length;
  await requestReplication(world, 'rekey');
  const end = completed(await replicationEnd(world, 'rekey', since));

  expect((await state('billing')).owner).toBe('billing_owner');
  const lineage = end.detail.lineage as Lineage;
  expect(lineage.sharedSnapshotArn).not.toBe(lineage.sourceSnapshotArn);
  const copy = await snapshotAt('dest', lineage.copySnapshotArn);
  expect(copy?.SourceDBSnapshotIdentifier).toBe(lineage.sharedSnapshotArn);
  // The shared copy is encrypted with the shareable key; the plain intermediate snapshot is gone.
  expect(await snapshotAt('source', lineage.sharedSnapshotArn)).toMatchObject({
    DBInstanceIdentifier: 'billing',
    KmsKeyId: keys.shared,
  });
  await eventually(
    () => snapshotAt('source', lineage.sourceSnapshotArn),
    (s) => s === undefined,
    20_000,
  );
  await expectNothingShared('rekey');
}, 120_000);

test('the in-place restore fails in the destination: rolled back, alerted there, the source told', async () => {
  const before = await state('staging');
  await world.cloud.admin.post('/_rewind/rds/faults', {
    apiErrors: [
      {
        action: 'RestoreDBInstanceFromDBSnapshot',
        code: 'InsufficientDBInstanceCapacity',
        identifier: 'staging',
      },
    ],
  });
  try {
    const since = world.source.observer.events.length;
    await requestReplication(world, 'inplace');
    const end = await replicationEnd(world, 'inplace', since);

    expect(end['detail-type']).toBe('ReplicationFailed');
    expect(end.detail).toMatchObject({ stage: 'restore', account: DEST, rolledBack: true });
    expect(end.detail.runId).toEqual(expect.any(String));
    // Rolled back as any failed run: the original database back under its name, as it was.
    expect(await state('staging')).toEqual(before);
    // Alerted in the destination: its run's failure, and the replication's.
    await alerted(world, DEST, String(end.detail.runId));
    await alerted(world, DEST, String(end.detail.replicationId));
    await expectNothingShared('inplace');
  } finally {
    await world.cloud.admin.post('/_rewind/rds/faults', {});
  }
}, 120_000);

test('the destination bus refuses the announcement: failed at announce in the source, share removed, nothing left', async () => {
  const { dest, busName } = world;
  await dest.events.send(
    new RemovePermissionCommand({ EventBusName: busName, StatementId: peerStatementId(SOURCE) }),
  );
  try {
    const since = world.source.observer.events.length;
    const destSince = dest.observer.events.length;
    await requestReplication(world, 'inplace');
    const end = await replicationEnd(world, 'inplace', since);

    expect(end['detail-type']).toBe('ReplicationFailed');
    expect(end.detail).toMatchObject({ stage: 'announce', account: SOURCE, destinationAccount: DEST });
    expect(String(end.detail.reason)).toMatch(/events:PutEvents|not allow|refused/i);
    await alerted(world, SOURCE, String(end.detail.replicationId));
    // Nothing reached the destination, and the source removed the snapshot it took for it.
    const id = end.detail.replicationId;
    expect(dest.observer.events.slice(destSince).filter((e) => e.detail.replicationId === id)).toEqual([]);
    const started = startOf(String(id));
    await expectNothingShared('inplace');
    await eventually(
      () => snapshotAt('source', String(started?.detail.snapshotIdentifier)),
      (left) => left === undefined,
      20_000,
    );
  } finally {
    await dest.events.send(
      new PutPermissionCommand({
        EventBusName: busName,
        StatementId: peerStatementId(SOURCE),
        Principal: SOURCE,
        Action: 'events:PutEvents',
      }),
    );
  }
}, 120_000);
