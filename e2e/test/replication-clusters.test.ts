/**
 * Cross-account replication of Aurora clusters end to end (issue #20): Rewind installed in a source and a
 * destination account of one local cloud, IAM evaluated in both with the generated policies, RDS on
 * compressed time. Its own cloud, apart from the instance cases (replication.test.ts), so that the two
 * files run in parallel.
 * Each case checks what RDS, Secrets Manager and IAM show in each account afterwards: the destination
 * cluster and its members, the snapshot lineage, what is left of the snapshots in both accounts.
 */
import {
  AddTagsToResourceCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  RemoveTagsFromResourceCommand,
} from '@aws-sdk/client-rds';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { findCluster, findInstance, type ReplicationPolicyInput } from '@rewind/shared';
import { eventually } from '../drHarness';
import {
  alerted,
  clusterSnapshotsOf,
  completed,
  createCluster,
  createKey,
  DEST,
  fireAt,
  keyAlias,
  nextAt,
  REGION,
  replicationEnd,
  requestReplication,
  sharedWith,
  SOURCE,
  startReplicationWorld,
  type ReplicationWorld,
} from '../replicationHarness';

const SHARED_KEY = keyAlias(SOURCE, 'shared');
const STAGING_KEY = keyAlias(DEST, 'staging');

const source = (identifier: string) => ({
  account: SOURCE,
  region: REGION,
  identifier,
  kmsKeyId: SHARED_KEY,
});

/** The policy file deployed in both accounts. */
const POLICIES: ReplicationPolicyInput[] = [
  {
    name: 'cinplace',
    kind: 'cluster',
    source: source('payments'),
    schedule: 'cron(0 3 * * ? *)',
    destinations: [{ account: DEST, kmsKeyId: STAGING_KEY, mode: 'in-place', identifier: 'paystage' }],
  },
  {
    name: 'cversioned',
    kind: 'cluster',
    source: source('payments'),
    schedule: ['cron(0 5 * * ? *)', 'cron(0 6 * * ? *)'],
    destinations: [
      {
        account: DEST,
        kmsKeyId: STAGING_KEY,
        mode: 'versioned',
        prefix: 'pay-v',
        keep: 1,
        template: 'paytpl',
        finalSnapshot: true,
        secret: { id: 'staging/payments', field: 'host' },
      },
    ],
  },
  {
    // The source cluster is not encrypted: the policy's key cannot apply to its snapshots.
    name: 'cplain',
    kind: 'cluster',
    source: source('plain'),
    destinations: [{ account: DEST, kmsKeyId: STAGING_KEY, mode: 'in-place', identifier: 'plain' }],
  },
  {
    // The source cluster is on the account's aws/rds key, which no other account can ever use.
    name: 'crekey',
    kind: 'cluster',
    source: source('ledger'),
    destinations: [{ account: DEST, kmsKeyId: STAGING_KEY, mode: 'in-place', identifier: 'paystage' }],
  },
];

/** The destination account's clusters: restored in place, a template. */
const DEST_CLUSTERS = ['paystage', 'paytpl', 'plain'];

let world: ReplicationWorld;
const keys: Record<string, string> = {};

beforeAll(async () => {
  world = await startReplicationWorld(POLICIES, { timeScale: 0.0005 });
  const { source: src, dest } = world;
  keys.shared = await createKey(src, 'shared', { peer: DEST });
  keys.staging = await createKey(dest, 'staging');
  await Promise.all([
    createCluster(src, 'payments', { kmsKeyId: keys.shared, owner: 'payments_owner' }),
    createCluster(src, 'plain', { owner: 'plain_owner' }),
    createCluster(src, 'ledger', { kmsKeyId: 'alias/aws/rds', owner: 'ledger_owner' }),
    ...DEST_CLUSTERS.map((id) =>
      createCluster(dest, id, {
        kmsKeyId: keys.staging,
        owner: 'staging_owner',
        // Versions take the template's deletion protection: lifted on each before it is deleted.
        deletionProtection: id === 'paytpl',
      }),
    ),
  ]);
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

type Lineage = { sourceSnapshotArn: string; sharedSnapshotArn: string; copySnapshotArn: string };
const snapshotIdOf = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);

/** What a destination cluster is now: whose data, resource id, endpoints, key, and its members. */
async function clusterState(id: string) {
  const c = await findCluster(world.dest.rds, id);
  const members = await Promise.all(
    (c?.DBClusterMembers ?? []).map(async (m) => {
      const db = await findInstance(world.dest.rds, m.DBInstanceIdentifier!);
      return {
        id: m.DBInstanceIdentifier!,
        writer: m.IsClusterWriter,
        status: db?.DBInstanceStatus,
        resourceId: db?.DbiResourceId,
      };
    }),
  );
  return {
    status: c?.Status,
    owner: c?.MasterUsername,
    resourceId: c?.DbClusterResourceId,
    endpoint: c?.Endpoint,
    readerEndpoint: c?.ReaderEndpoint,
    port: c?.Port,
    encrypted: c?.StorageEncrypted,
    kmsKeyId: c?.KmsKeyId,
    members: members.sort((a, b) => a.id.localeCompare(b.id)),
  };
}

/** A cluster snapshot of an account by ARN (its own, by identifier), or undefined once deleted. */
async function clusterSnapshotAt(account: 'source' | 'dest', arn: string) {
  const out = await world[account].rds
    .send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: snapshotIdOf(arn) }))
    .catch((err: Error) => {
      if (/DBClusterSnapshotNotFound/.test(err.name)) return { DBClusterSnapshots: [] };
      throw err;
    });
  return out.DBClusterSnapshots?.[0];
}

/**
 * What a policy leaves once it is over: its snapshot in the source shared with no one, and in each
 * account only the newest replication's snapshot (retention keeps 1), the intermediate ones gone.
 */
async function expectCleanedUp(policy: string, lineage: Lineage) {
  await eventually(
    async () => ({
      source: await clusterSnapshotsOf(world.source, `rewind-repl-${policy}-`),
      dest: await clusterSnapshotsOf(world.dest, `rewind-repl-${policy}-`),
      shared: await sharedWith(world.source, snapshotIdOf(lineage.sharedSnapshotArn), 'cluster'),
    }),
    (left) =>
      JSON.stringify(left) ===
      JSON.stringify({
        source: [snapshotIdOf(lineage.sharedSnapshotArn)],
        dest: [snapshotIdOf(lineage.copySnapshotArn)],
        shared: [],
      }),
    20_000,
  );
}

const denials = async () => (await world.cloud.admin.get('iam/denials')) as { denials: unknown[] };

test('scheduled, in place: the destination cluster and its members hold the source data under their names', async () => {
  const before = await clusterState('paystage');
  const since = world.source.observer.events.length;
  await fireAt(world, await nextAt(world, 3));
  const end = completed(await replicationEnd(world, 'cinplace', since));

  expect(end.detail).toMatchObject({
    policy: 'cinplace',
    kind: 'cluster',
    sourceAccount: SOURCE,
    sourceIdentifier: 'payments',
    destinationAccount: DEST,
    mode: 'in-place',
    identifier: 'paystage',
  });
  // The source's data in the destination cluster, under its name and endpoints, with the destination's
  // key; its members restored under their names too, the writer the same.
  const after = await clusterState('paystage');
  expect(after).toEqual({
    ...before,
    owner: 'payments_owner',
    resourceId: expect.not.stringMatching(before.resourceId!),
    members: before.members.map((m) => ({ ...m, resourceId: expect.any(String) })),
  });
  expect(after.kmsKeyId).toBe(keys.staging);
  for (const [i, m] of after.members.entries()) {
    expect(m).toMatchObject({ status: 'available', id: `paystage-${i + 1}`, writer: i === 0 });
    expect(m.resourceId).not.toBe(before.members[i]!.resourceId);
  }
  expect(end.detail.resourceId).toBe(after.resourceId);
  expect(end.detail.endpoint).toEqual({ address: after.endpoint, port: after.port });
  // The request told the run whose snapshot it is: no "another database" warning (and alert) each time.
  expect(end.detail.warnings).toEqual([]);
  // Lineage: the destination copied the shared cluster snapshot with its own key (not restored from the
  // shared one directly), and the shared one is the source's snapshot of payments, already on the
  // shareable key (no re-encryption).
  const lineage = end.detail.lineage as Lineage;
  expect(lineage.sharedSnapshotArn).toBe(lineage.sourceSnapshotArn);
  expect(lineage.sharedSnapshotArn).toContain(`:${SOURCE}:cluster-snapshot:rewind-repl-cinplace-`);
  expect(lineage.copySnapshotArn).toContain(`:${DEST}:cluster-snapshot:rewind-repl-cinplace-`);
  expect(await clusterSnapshotAt('dest', lineage.copySnapshotArn)).toMatchObject({
    SourceDBClusterSnapshotArn: lineage.sharedSnapshotArn,
    DBClusterIdentifier: 'payments',
    MasterUsername: 'payments_owner',
    StorageEncrypted: true,
    KmsKeyId: keys.staging,
  });
  expect(await clusterSnapshotAt('source', lineage.sharedSnapshotArn)).toMatchObject({
    DBClusterIdentifier: 'payments',
    KmsKeyId: keys.shared,
  });
  await expectCleanedUp('cinplace', lineage);
  expect(await denials()).toEqual({ denials: [] });
}, 120_000);

test('scheduled, versioned: two firings make pay-v-1 then pay-v-2 with members, the older one deleted, the secret on the newest writer endpoint', async () => {
  const ends = [];
  let older: (Awaited<ReturnType<typeof clusterState>> & { protected?: boolean }) | undefined;
  for (const hour of [5, 6]) {
    const since = world.source.observer.events.length;
    await fireAt(world, await nextAt(world, hour));
    ends.push(completed(await replicationEnd(world, 'cversioned', since)));
    older ??= {
      ...(await clusterState('pay-v-1')),
      protected: (await findCluster(world.dest.rds, 'pay-v-1'))?.DeletionProtection,
    };
  }
  const [first, second] = ends.map((e) => e.detail);
  expect([first!.identifier, second!.identifier]).toEqual(['pay-v-1', 'pay-v-2']);
  expect(second!.versions).toEqual({ kept: ['pay-v-2'], deleted: ['pay-v-1'] });
  // The first version: cloned from the template (its members' names, its deletion protection).
  expect(older).toMatchObject({
    status: 'available',
    owner: 'payments_owner',
    resourceId: first!.resourceId,
    protected: true,
    members: [
      { id: 'pay-v-1-1', writer: true, status: 'available' },
      { id: 'pay-v-1-2', writer: false, status: 'available' },
    ],
  });
  // The requests said whose snapshot each copy is: neither run warns (nor alerts) about another database.
  expect([first!.warnings, second!.warnings]).toEqual([[], []]);

  // The newest version: a cluster with members named after the previous version's, the source's data.
  const newest = await clusterState('pay-v-2');
  expect(newest).toMatchObject({
    status: 'available',
    owner: 'payments_owner',
    resourceId: second!.resourceId,
    kmsKeyId: keys.staging,
    members: [
      { id: 'pay-v-2-1', writer: true, status: 'available' },
      { id: 'pay-v-2-2', writer: false, status: 'available' },
    ],
  });
  // keep 1: the older cluster and its members are gone; what was deleted was the version this
  // replication made (its final snapshot carries the resource id recorded when pay-v-1 was made).
  await eventually(
    async () => ({
      clusters: ((await world.dest.rds.send(new DescribeDBClustersCommand({}))).DBClusters ?? [])
        .map((c) => c.DBClusterIdentifier!)
        .filter((id) => id.startsWith('pay-v')),
      members: ((await world.dest.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [])
        .map((d) => d.DBInstanceIdentifier!)
        .filter((id) => id.startsWith('pay-v'))
        .sort(),
    }),
    (left) =>
      JSON.stringify(left) === JSON.stringify({ clusters: ['pay-v-2'], members: ['pay-v-2-1', 'pay-v-2-2'] }),
    30_000,
  );
  const finals = (
    (await world.dest.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: 'pay-v-1' })))
      .DBClusterSnapshots ?? []
  ).filter((s) => s.SnapshotType === 'manual');
  expect(finals.map((s) => s.DbClusterResourceId)).toEqual([first!.resourceId]);
  // The template is untouched.
  expect(await clusterState('paytpl')).toMatchObject({ status: 'available', owner: 'staging_owner' });
  // The secret did not exist: created, pointing at the newest version's writer (cluster) endpoint.
  const secret = await world.dest.secrets.send(new GetSecretValueCommand({ SecretId: 'staging/payments' }));
  expect(JSON.parse(secret.SecretString!)).toEqual({ host: newest.endpoint, port: newest.port });
  expect(second!.secret).toEqual({ id: 'staging/payments', field: 'host', value: newest.endpoint });
  // Each firing's snapshots: the older ones gone by retention in both accounts.
  await expectCleanedUp('cversioned', second!.lineage as Lineage);
  expect(await denials()).toEqual({ denials: [] });
}, 150_000);

test('an unencrypted source cluster: shared as it is, copied without a key, restored', async () => {
  const before = await clusterState('plain');
  const since = world.source.observer.events.length;
  await requestReplication(world, 'cplain');
  const end = completed(await replicationEnd(world, 'cplain', since));

  const announced = world.source.observer.events.find(
    (e) => e['detail-type'] === 'SnapshotShared' && e.detail.replicationId === end.detail.replicationId,
  );
  expect(announced?.detail).toMatchObject({ kind: 'cluster', reencrypted: false, kmsKeyId: null });
  const lineage = end.detail.lineage as Lineage;
  expect(lineage.sharedSnapshotArn).toBe(lineage.sourceSnapshotArn);
  expect(await clusterSnapshotAt('source', lineage.sharedSnapshotArn)).toMatchObject({
    DBClusterIdentifier: 'plain',
    StorageEncrypted: false,
  });
  const copy = await clusterSnapshotAt('dest', lineage.copySnapshotArn);
  expect(copy).toMatchObject({
    SourceDBClusterSnapshotArn: lineage.sharedSnapshotArn,
    MasterUsername: 'plain_owner',
    StorageEncrypted: false,
  });
  expect(copy?.KmsKeyId).toBeUndefined();
  // Restored in place: the source's data, the destination cluster's own key kept.
  const after = await clusterState('plain');
  expect(after).toMatchObject({
    status: 'available',
    owner: 'plain_owner',
    endpoint: before.endpoint,
    encrypted: true,
    kmsKeyId: keys.staging,
    members: before.members.map((m) => ({ id: m.id, writer: m.writer, status: 'available' })),
  });
  expect(after.resourceId).not.toBe(before.resourceId);
  expect(end.detail.warnings).toEqual([
    expect.stringContaining(
      `is not encrypted: the restore re-encrypts plain with its own key ${keys.staging}`,
    ),
  ]);
  await expectCleanedUp('cplain', lineage);
  expect(await denials()).toEqual({ denials: [] });
}, 120_000);

test('a member of the destination cluster not opted in: refused before copying, alerted there, the source told, nothing left', async () => {
  const member = (await findInstance(world.dest.rds, 'paystage-2'))!;
  await world.dest.rds.send(
    new RemoveTagsFromResourceCommand({ ResourceName: member.DBInstanceArn!, TagKeys: ['rewind:allow'] }),
  );
  try {
    const before = await clusterState('paystage');
    const since = world.source.observer.events.length;
    await requestReplication(world, 'cinplace');
    const end = await replicationEnd(world, 'cinplace', since);

    expect(end['detail-type']).toBe('ReplicationFailed');
    expect(end.detail).toMatchObject({
      stage: 'receive',
      account: DEST,
      sourceAccount: SOURCE,
      cleanedUp: [],
    });
    expect(String(end.detail.reason)).toContain(
      'the destination cluster paystage of policy cinplace is not opted in: member paystage-2 has no tag rewind:allow=true',
    );
    expect(String(end.detail.action)).toContain(
      `aws rds add-tags-to-resource --resource-name ${member.DBInstanceArn} --tags Key=rewind:allow,Value=true`,
    );
    await alerted(world, DEST, String(end.detail.replicationId));
    // Nothing copied, the cluster untouched; the source's snapshot, which no destination holds, deleted.
    const id = end.detail.replicationId;
    const received = world.source.observer.events.find(
      (e) => e['detail-type'] === 'ReplicationReceived' && e.detail.replicationId === id,
    );
    expect(received?.detail.copyIdentifier).toEqual(expect.stringMatching(/^rewind-repl-cinplace-.*-copy$/));
    expect(await clusterSnapshotsOf(world.dest, String(received?.detail.copyIdentifier))).toEqual([]);
    expect(await clusterState('paystage')).toEqual(before);
    const started = world.source.observer.events.find(
      (e) => e['detail-type'] === 'ReplicationStarted' && e.detail.replicationId === id,
    );
    expect(started?.detail.snapshotIdentifier).toEqual(
      expect.stringMatching(/^rewind-repl-cinplace-\d{12}$/),
    );
    await eventually(
      () => clusterSnapshotsOf(world.source, String(started?.detail.snapshotIdentifier)),
      (left) => left.length === 0,
      20_000,
    );
  } finally {
    await world.dest.rds.send(
      new AddTagsToResourceCommand({
        ResourceName: member.DBInstanceArn!,
        Tags: [{ Key: 'rewind:allow', Value: 'true' }],
      }),
    );
  }
}, 60_000);

test('a source cluster on the default aws/rds key: its snapshot re-encrypted with the policy key, the plain one deleted, replicated', async () => {
  const since = world.source.observer.events.length;
  await requestReplication(world, 'crekey');
  const end = completed(await replicationEnd(world, 'crekey', since));

  expect((await clusterState('paystage')).owner).toBe('ledger_owner');
  // Lineage: the shared snapshot is a copy of the source's, encrypted with the shareable key; the
  // destination's copy was made from it with the destination's key.
  const lineage = end.detail.lineage as Lineage;
  expect(lineage.sharedSnapshotArn).toBe(`${lineage.sourceSnapshotArn}-shared`);
  expect(await clusterSnapshotAt('source', lineage.sharedSnapshotArn)).toMatchObject({
    DBClusterIdentifier: 'ledger',
    SourceDBClusterSnapshotArn: lineage.sourceSnapshotArn,
    StorageEncrypted: true,
    KmsKeyId: keys.shared,
  });
  expect(await clusterSnapshotAt('dest', lineage.copySnapshotArn)).toMatchObject({
    SourceDBClusterSnapshotArn: lineage.sharedSnapshotArn,
    KmsKeyId: keys.staging,
  });
  // The plain snapshot on aws/rds is gone; the shared one kept (retention), shared with no one.
  await eventually(
    () => clusterSnapshotAt('source', lineage.sourceSnapshotArn),
    (plain) => plain === undefined,
    20_000,
  );
  await expectCleanedUp('crekey', lineage);
  expect(await denials()).toEqual({ denials: [] });
}, 60_000);
