import {
  CopyDBSnapshotCommand,
  DescribeExportTasksCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { findInstance, parsePolicyConfig, policySnapshotName, schedulerSchedules } from '@rewind/shared';
import { createSampleCluster, createSampleInstance } from '@rewind/local';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applySchedules } from '../schedules';
import { rewindIn } from '../../cli/test/helpers';
import { startE2E, TERMINAL, type E2E, type ObservedEvent } from '../harness';

/**
 * Snapshot policies on the local cloud with two regions: the policy file's schedules created through the
 * Scheduler API as the deployment creates them, the cloud clock advanced from firing to firing (never
 * waited), the lifecycle service's real handler, and what RDS holds in each region afterwards.
 */
const WEST = 'us-west-2';
let e2e: E2E;
let west: RDSClient;
let scheduler: SchedulerClient;
let kmsWest: KMSClient;
let busArn: string;
let roleArn: string;
const GROUP = 'rewind-local-schedules';

/** The policy file the deployment (here: the local cloud's roles) is generated with: it copies to us-west-2. */
const DEPLOYED_CONFIG = {
  snapshotPolicies: [
    {
      name: 'dr-copies',
      databases: { tag: { key: 'rewind:allow', value: 'true' } },
      schedule: 'rate(1 day)',
      enabled: false,
      retention: { keepLast: 1 },
      copies: [{ region: WEST, retention: { keepLast: 1 } }],
    },
  ],
};
const previousConfigFile = process.env.REWIND_CONFIG_FILE;

beforeAll(async () => {
  // The lifecycle role reaches the regions the policy file copies to, and only those.
  const file = join(mkdtempSync(join(tmpdir(), 'rewind-e2e-')), 'rewind.config.json');
  writeFileSync(file, JSON.stringify(DEPLOYED_CONFIG));
  process.env.REWIND_CONFIG_FILE = file;
  e2e = await startE2E();
  const { accountId, region } = e2e.cloud.identity;
  const common = {
    endpoint: e2e.cloud.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  west = new RDSClient({ ...common, region: WEST, maxAttempts: 8 });
  scheduler = new SchedulerClient({ ...common, region });
  kmsWest = new KMSClient({ ...common, region: WEST });
  busArn = `arn:aws:events:${region}:${accountId}:event-bus/${e2e.cloud.names.busName}`;
  roleArn = `arn:aws:iam::${accountId}:role/${e2e.cloud.names.prefix}-scheduler`;
}, 120_000);
/** Each test's schedules stop firing when it ends, whatever its outcome. */
let pause: (() => Promise<void>) | undefined;
afterEach(async () => {
  await pause?.();
  pause = undefined;
});
afterAll(async () => {
  if (previousConfigFile === undefined) delete process.env.REWIND_CONFIG_FILE;
  else process.env.REWIND_CONFIG_FILE = previousConfigFile;
  west?.destroy();
  kmsWest?.destroy();
  scheduler?.destroy();
  await e2e?.stop();
});

/** The policy file's schedules, created (or updated) through the Scheduler API as the deployment makes them. */
async function deploySchedules(file: unknown, state: 'ENABLED' | 'DISABLED' = 'ENABLED') {
  await applySchedules(scheduler, schedulerSchedules(parsePolicyConfig(file)), {
    group: GROUP,
    busArn,
    roleArn,
    state,
  });
}

/** Cloud time, and a move of the clock to `to` (every firing due on the way happens, in order). */
const cloudNow = async () => new Date((await e2e.cloud.admin.clock()).now);
const advanceTo = (to: Date) => e2e.cloud.admin.advanceClock({ to: to.toISOString() });

/** The next time of day `hour`:00 UTC after the cloud's now (the next firing of a daily cron at that hour). */
async function nextAt(hour = 0): Promise<Date> {
  const now = await cloudNow();
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour));
  return today > now ? today : plus(today, 24);
}
const plus = (at: Date, hours: number) => new Date(at.getTime() + hours * 3600_000);

/** Waits for the events that end a firing's work: retention in each region (one SnapshotExpired each). */
async function settled(policy: string, at: Date, regions: string[]): Promise<ObservedEvent[]> {
  const iso = at.toISOString().replace('.000Z', 'Z');
  const same = (e: ObservedEvent) =>
    e.detail.policy === policy && [iso, at.toISOString()].includes(String(e.detail.scheduledTime));
  const failures = () =>
    e2e.observer.events.filter((e) => e['detail-type'] === 'SnapshotFailed').map((e) => e.detail.reason);
  for (const region of regions) {
    await e2e.observer
      .waitFor((e) => e['detail-type'] === 'SnapshotExpired' && same(e) && e.detail.region === region, 60_000)
      .catch((err: Error) => {
        throw new Error(`${err.message}; failures: ${JSON.stringify(failures())}`);
      });
  }
  return e2e.observer.events.filter(same);
}

/** What a describe call lists once RDS has finished the deletions retention started (they take a moment). */
async function eventually<T>(read: () => Promise<T>, expected: T): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (JSON.stringify(value) === JSON.stringify(expected) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function instanceSnapshots(rds: RDSClient, identifier: string) {
  const out = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: identifier }));
  return (out.DBSnapshots ?? []).map((s) => s.DBSnapshotIdentifier!).sort();
}
async function clusterSnapshots(rds: RDSClient, identifier: string) {
  const out = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: identifier }));
  return (out.DBClusterSnapshots ?? []).map((s) => s.DBClusterSnapshotIdentifier!).sort();
}

test('every 12 h, keep 50 days, copy to us-west-2 and keep 1 day: exactly those snapshots in both regions, over 50 simulated days', async () => {
  await createSampleInstance(e2e.rds, 'orders-db');
  // What Rewind did not create: a manual snapshot by hand, its copy in us-west-2 by hand, and the
  // automated snapshots of the instance (backups are on).
  await e2e.rds.send(
    new CreateDBSnapshotCommand({
      DBInstanceIdentifier: 'orders-db',
      DBSnapshotIdentifier: 'orders-by-hand',
    }),
  );
  const policy = {
    name: 'orders-twice-daily',
    databases: { identifiers: ['orders-db'] },
    schedule: 'cron(0 0/12 * * ? *)',
    retention: { maxAgeDays: 50 },
    copies: [{ region: WEST, retention: { maxAgeDays: 1 } }],
  };
  const file = { snapshotPolicies: [policy] };
  const day0 = await nextAt();
  await deploySchedules(file);
  pause = () => deploySchedules(file, 'DISABLED');
  const name = (at: Date) => policySnapshotName(policy.name, 'orders-db', at);
  const [f1, f2, f3] = [day0, plus(day0, 12), plus(day0, 24)];
  for (const at of [f1, f2, f3]) {
    await advanceTo(at);
    await settled(policy.name, at, [e2e.cloud.identity.region, WEST]);
  }
  const automated = (await instanceSnapshots(e2e.rds, 'orders-db')).filter((s) => s.startsWith('rds:'));
  const byHandSource = (
    await e2e.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'orders-by-hand' }))
  ).DBSnapshots![0]!.DBSnapshotArn!;
  await west.send(
    new CopyDBSnapshotCommand({
      SourceDBSnapshotIdentifier: byHandSource,
      TargetDBSnapshotIdentifier: 'orders-by-hand-dr',
    }),
  );
  expect(await instanceSnapshots(e2e.rds, 'orders-db')).toEqual(
    [...automated, 'orders-by-hand', name(f1), name(f2), name(f3)].sort(),
  );
  // us-west-2 keeps one day: the copy of f1 is a day old at f3.
  const westPolicy = async () =>
    (await instanceSnapshots(west, 'orders-db')).filter((s) => s.startsWith('rewind-'));
  expect(await eventually(westPolicy, [name(f2), name(f3)].sort())).toEqual([name(f2), name(f3)].sort());

  // The policy is paused 49 days (an operator disables its schedule), then runs again.
  await deploySchedules(file, 'DISABLED');
  const f4 = plus(day0, 50 * 24 + 12);
  await advanceTo(plus(f4, -1));
  await deploySchedules(file, 'ENABLED');
  await advanceTo(f4);
  const events = await settled(policy.name, f4, [e2e.cloud.identity.region, WEST]);

  // 50 days: f1 (50.5 days old) and f2 (50.0) go, f3 (49.5) stays; us-west-2 keeps f4 alone.
  const automatedNow = (await instanceSnapshots(e2e.rds, 'orders-db')).filter((s) => s.startsWith('rds:'));
  const homeLeft = [...automatedNow, 'orders-by-hand', name(f3), name(f4)].sort();
  expect(await eventually(() => instanceSnapshots(e2e.rds, 'orders-db'), homeLeft)).toEqual(homeLeft);
  const westLeft = ['orders-by-hand-dr', name(f4)].sort();
  expect(await eventually(() => instanceSnapshots(west, 'orders-db'), westLeft)).toEqual(westLeft);
  const home = events.find(
    (e) => e['detail-type'] === 'SnapshotExpired' && e.detail.region === e2e.cloud.identity.region,
  )!;
  expect(home.detail.deleted).toEqual([
    expect.objectContaining({
      snapshotIdentifier: name(f2),
      ageDays: 50,
      reason: 'older than 50 days (maxAgeDays)',
    }),
    expect.objectContaining({
      snapshotIdentifier: name(f1),
      ageDays: 50.5,
      reason: 'older than 50 days (maxAgeDays)',
    }),
  ]);
  expect(home.detail.kept).toEqual([
    expect.objectContaining({
      snapshotIdentifier: name(f4),
      reason: 'newest available snapshot: always kept',
    }),
    expect.objectContaining({ snapshotIdentifier: name(f3), reason: 'younger than 50 days (maxAgeDays)' }),
  ]);
  expect(e2e.observer.events.filter((e) => e['detail-type'] === 'SnapshotFailed')).toEqual([]);

  // The operator's view: rewind snapshots list / prune --dry-run / schedules, on the same local cloud.
  const config = join(mkdtempSync(join(tmpdir(), 'rewind-e2e-')), 'rewind.config.json');
  writeFileSync(config, JSON.stringify(file));
  const listed = await rewindIn(e2e.cloud.endpoint, [
    'snapshots',
    'list',
    'orders-db',
    '--config',
    config,
    '--as-of',
    f4.toISOString(),
    '--json',
  ]);
  expect(listed.code).toBe(0);
  const rows = JSON.parse(listed.out).snapshots as {
    region: string;
    snapshotIdentifier: string;
    retention: string;
  }[];
  expect(
    rows
      .filter((r) => !r.snapshotIdentifier.startsWith('rds:'))
      .map((r) => [r.region, r.snapshotIdentifier, r.retention]),
  ).toEqual([
    [
      e2e.cloud.identity.region,
      name(f4),
      'kept by orders-twice-daily: newest available snapshot: always kept',
    ],
    [e2e.cloud.identity.region, name(f3), 'kept by orders-twice-daily: younger than 50 days (maxAgeDays)'],
    [e2e.cloud.identity.region, 'orders-by-hand', 'not made by Rewind: never deleted by Rewind'],
    [WEST, name(f4), 'kept by orders-twice-daily: newest available snapshot: always kept'],
    [WEST, 'orders-by-hand-dr', 'not made by Rewind: never deleted by Rewind'],
  ]);
  // A day later, f3 is past 50 days: the dry run says so and deletes nothing.
  const dry = await rewindIn(e2e.cloud.endpoint, [
    'snapshots',
    'prune',
    'orders-db',
    '--dry-run',
    '--config',
    config,
    '--as-of',
    plus(f4, 24).toISOString(),
    '--json',
  ]);
  expect(JSON.parse(dry.out).wouldDelete).toEqual([
    expect.objectContaining({
      region: e2e.cloud.identity.region,
      snapshotIdentifier: name(f3),
      ageDays: 50.5,
      reason: 'older than 50 days (maxAgeDays)',
    }),
  ]);
  expect(await instanceSnapshots(e2e.rds, 'orders-db')).toEqual(homeLeft);
  const schedules = await rewindIn(e2e.cloud.endpoint, ['schedules', '--config', config, '--json']);
  expect(JSON.parse(schedules.out).schedules).toEqual([
    expect.objectContaining({
      name: 'snapshot-orders-twice-daily',
      deployed: 'ENABLED',
      nextRuns: [expect.stringMatching(/T(00|12):00:00Z$/), expect.anything(), expect.anything()],
    }),
  ]);
}, 240_000);

test('a cluster policy: cluster snapshots, their copies, retention in both regions', async () => {
  await createSampleCluster(e2e.rds, 'ledger');
  // The cluster is encrypted: its copies need a key of us-west-2.
  const key = await kmsWest.send(new CreateKeyCommand({ Description: 'ledger copies in us-west-2' }));
  const policy = {
    name: 'ledger-daily',
    kind: 'cluster',
    databases: { tag: { key: 'rewind:allow', value: 'true' } },
    schedule: 'cron(0 6 * * ? *)',
    retention: { keepLast: 2 },
    copies: [{ region: WEST, kmsKeyId: key.KeyMetadata!.Arn!, retention: { keepLast: 1 } }],
  };
  await deploySchedules({ snapshotPolicies: [policy] });
  pause = () => deploySchedules({ snapshotPolicies: [policy] }, 'DISABLED');
  const first = await nextAt(6);
  const firings = [first, plus(first, 24), plus(first, 48)];
  for (const at of firings) {
    await advanceTo(at);
    await settled(policy.name, at, [e2e.cloud.identity.region, WEST]);
  }
  const name = (at: Date) => policySnapshotName(policy.name, 'ledger', at);
  const homePolicy = async () =>
    (await clusterSnapshots(e2e.rds, 'ledger')).filter((s) => s.startsWith('rewind-'));
  const homeLeft = [name(firings[1]!), name(firings[2]!)].sort();
  expect(await eventually(homePolicy, homeLeft)).toEqual(homeLeft);
  expect(await eventually(() => clusterSnapshots(west, 'ledger'), [name(firings[2]!)])).toEqual([
    name(firings[2]!),
  ]);
  const copies = await west.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: 'ledger' }));
  expect(copies.DBClusterSnapshots![0]!.KmsKeyId).toBe(key.KeyMetadata!.Arn);
  const copied = e2e.observer.events.filter(
    (e) => e['detail-type'] === 'SnapshotCopied' && e.detail.policy === policy.name,
  );
  expect(copied).toHaveLength(3);
}, 240_000);

test('failures: a copy refused (no accessible key in us-west-2) is alerted, retention keeps what it must, the next firing runs', async () => {
  const { accountId } = e2e.cloud.identity;
  const policy = {
    name: 'ledger-broken-dr',
    kind: 'cluster',
    databases: { identifiers: ['ledger'] },
    schedule: 'cron(0 9 * * ? *)',
    retention: { keepLast: 1 },
    copies: [
      {
        region: WEST,
        kmsKeyId: `arn:aws:kms:${WEST}:${accountId}:key/00000000-0000-4000-8000-000000000000`,
        retention: { keepLast: 1 },
      },
    ],
  };
  await deploySchedules({ snapshotPolicies: [policy] });
  pause = () => deploySchedules({ snapshotPolicies: [policy] }, 'DISABLED');
  const first = await nextAt(9);
  const firings = [first, plus(first, 24)];
  for (const at of firings) {
    await advanceTo(at);
    await settled(policy.name, at, [e2e.cloud.identity.region, WEST]);
  }
  const name = (at: Date) => policySnapshotName(policy.name, 'ledger', at);
  const failed = e2e.observer.events.filter(
    (e) => e['detail-type'] === 'SnapshotFailed' && e.detail.policy === policy.name,
  );
  expect(
    failed.map((e) => [e.detail.stage, e.detail.region, e.detail.errorCode, e.detail.snapshotIdentifier]),
  ).toEqual(firings.map((at) => ['copy', WEST, 'KMSKeyNotAccessibleFault', name(at)]));
  expect(String(failed[0]!.detail.action)).toMatch(/check the KMS key arn:aws:kms:us-west-2:.* in us-west-2/);
  // The second firing ran; keepLast 1 kept its snapshot, deleted the first; nothing reached us-west-2.
  const homePolicy = async () =>
    (await clusterSnapshots(e2e.rds, 'ledger')).filter((s) => s.includes(name(first).slice(-6)));
  expect(await eventually(homePolicy, [name(firings[1]!)])).toEqual([name(firings[1]!)]);
  expect((await clusterSnapshots(west, 'ledger')).filter((s) => s.endsWith(name(first).slice(-6)))).toEqual(
    [],
  );
  // The on-call people heard of it.
  const deadline = Date.now() + 20_000;
  let emails: unknown[] = [];
  while (Date.now() < deadline) {
    emails = (await e2e.cloud.admin.sentEmails()).filter((m) =>
      JSON.stringify(m).includes('ledger-broken-dr'),
    );
    if (emails.length >= 2) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(emails).toHaveLength(2);
  expect(JSON.stringify(emails[0])).toMatch(
    /snapshot policy ledger-broken-dr: copy failed for ledger in us-west-2/,
  );
}, 240_000);

test('an export that fails, then the quota reached: alerted with what to do; retention frees space; the next firing snapshots again', async () => {
  const { accountId, region } = e2e.cloud.identity;
  await createSampleInstance(e2e.rds, 'billing-db');
  const kmsEast = new KMSClient({
    endpoint: e2e.cloud.endpoint,
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const key = await kmsEast.send(new CreateKeyCommand({ Description: 'billing exports' }));
  kmsEast.destroy();
  const policy = {
    name: 'billing-hourly',
    databases: { identifiers: ['billing-db'] },
    schedule: 'cron(0 * * * ? *)',
    // 1.2 hours: a snapshot goes at the second firing after it.
    retention: { maxAgeDays: 0.05 },
    export: {
      bucket: 'no-such-bucket-for-rewind',
      iamRoleArn: `arn:aws:iam::${accountId}:role/rewind-export`,
      kmsKeyId: key.KeyMetadata!.Arn!,
    },
  };
  await deploySchedules({ snapshotPolicies: [policy] });
  pause = () => deploySchedules({ snapshotPolicies: [policy] }, 'DISABLED');
  const now = await cloudNow();
  const first = new Date(Math.ceil(now.getTime() / 3600_000) * 3600_000);
  const firings = [0, 1, 2, 3].map((h) => plus(first, h));
  const name = (at: Date) => policySnapshotName(policy.name, 'billing-db', at);
  const manual = async () =>
    ((await e2e.rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }))).DBSnapshots ?? [])
      .length;
  for (const [i, at] of firings.entries()) {
    // Before the third firing the account has no room left for a manual snapshot.
    if (i === 2)
      await e2e.cloud.admin.post('rds/config', { behaviour: { manualSnapshotQuota: await manual() } });
    await advanceTo(at);
    await settled(policy.name, at, [region]);
    // The quota alert's retention freed the first snapshot: room for the next firing.
    if (i === 2) {
      const gone = async () => (await instanceSnapshots(e2e.rds, 'billing-db')).includes(name(firings[0]!));
      expect(await eventually(gone, false)).toBe(false);
    }
  }
  await e2e.cloud.admin.post('rds/config', { behaviour: { manualSnapshotQuota: 100 } });
  const failed = e2e.observer.events.filter(
    (e) => e['detail-type'] === 'SnapshotFailed' && e.detail.policy === policy.name,
  );
  expect(failed.map((e) => [e.detail.scheduledTime, e.detail.stage])).toEqual([
    [firings[0]!.toISOString().replace('.000Z', 'Z'), 'export'],
    [firings[1]!.toISOString().replace('.000Z', 'Z'), 'export'],
    [firings[2]!.toISOString().replace('.000Z', 'Z'), 'quota'],
    [firings[3]!.toISOString().replace('.000Z', 'Z'), 'export'],
  ]);
  expect(String(failed[0]!.detail.reason)).toMatch(/StartExportTask .* refused/);
  expect(String(failed[2]!.detail.reason)).toMatch(
    /the manual snapshot quota is reached in us-east-1 \((\d+) of \1 DB snapshots\): no snapshot of billing-db was taken; policy billing-hourly's retention frees 1 now/,
  );
  // The firing after the quota alert found room again; its retention took the second snapshot.
  const left = [name(firings[3]!)];
  const policySnapshots = async () =>
    (await instanceSnapshots(e2e.rds, 'billing-db')).filter((s) => s.startsWith('rewind-'));
  expect(await eventually(policySnapshots, left)).toEqual(left);
}, 240_000);

/** A one-time Scheduler expression at that cloud time (UTC, to the second). */
const atExpression = (at: Date) => `at(${at.toISOString().slice(0, 19)})`;
/** The next whole minute of the cloud clock at least `leadSeconds` ahead. */
async function nextMinute(leadSeconds = 5): Promise<Date> {
  const now = (await cloudNow()).getTime() + leadSeconds * 1000;
  return new Date(Math.ceil(now / 60_000) * 60_000);
}
const expiredIn = (events: ObservedEvent[], region: string) =>
  events.find((e) => e['detail-type'] === 'SnapshotExpired' && e.detail.region === region)!.detail as {
    deleted: { snapshotIdentifier: string; reason: string }[];
    kept: { snapshotIdentifier: string; reason: string }[];
  };
/** RDS durations for what follows (simulated ms, merged into the realistic profile); 'realistic' resets them. */
const durations = (profile: Record<string, number> | 'realistic') =>
  e2e.cloud.admin.post('/_rewind/rds/config', { profile });
async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
async function snapshotStatus(rds: RDSClient, name: string): Promise<string | undefined> {
  const out = await rds
    .send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: name }))
    .catch((err: Error) => {
      if (err.name === 'DBSnapshotNotFoundFault' || err.name === 'DBSnapshotNotFound') return undefined;
      throw err;
    });
  return out?.DBSnapshots?.[0]?.Status;
}

test('in use by a restore in progress: kept with the run named, deleted by the retention after the run ended', async () => {
  const { region } = e2e.cloud.identity;
  await createSampleInstance(e2e.rds, 'inventory-db');
  const a = await nextMinute();
  const [t1, t2, t3] = [a, plus(a, 1 / 60), plus(a, 5 / 60)];
  const policy = {
    name: 'inventory-minutely',
    databases: { identifiers: ['inventory-db'] },
    schedule: [t1, t2].map(atExpression),
    pruneSchedule: atExpression(t3),
    retention: { keepLast: 1 },
  };
  const file = { snapshotPolicies: [policy] };
  await deploySchedules(file);
  pause = () => deploySchedules(file, 'DISABLED');
  const name = (at: Date) => policySnapshotName(policy.name, 'inventory-db', at);
  await advanceTo(t1);
  await settled(policy.name, t1, [region]);

  // A swap restore from t1's snapshot (the database keeps serving, so t2 snapshots it), held in `creating`
  // beside it: RestoreDBInstanceFromDBSnapshot takes 750 simulated minutes, 90 s of cloud time here.
  await durations({ instanceRestore: 750 * 60_000 });
  const requestId = `keep-in-use-${process.pid}`;
  await e2e.publish({
    identifier: 'inventory-db',
    task: 'db_restore',
    strategy: 'swap',
    snapshotIdentifier: name(t1),
    requestId,
  });
  const started = await e2e.observer.waitFor(
    (e) => e.detail.requestId === requestId && ['RunStarted', 'RestoreRejected'].includes(e['detail-type']),
  );
  expect([started['detail-type'], started.detail.reason]).toEqual(['RunStarted', undefined]);
  const runId = started.detail.run!.id;
  const staging = String(started.detail.stagingIdentifier);
  await until(
    async () => (await findInstance(e2e.rds, staging))?.DBInstanceStatus,
    (s) => s === 'creating',
    `the copy ${staging} being restored`,
  );
  await durations('realistic');

  // t2: a newer snapshot; keepLast 1 would delete t1's, which the run restores from.
  await advanceTo(t2);
  const during = expiredIn(await settled(policy.name, t2, [region]), region);
  expect((await e2e.store.getRun(runId))?.status).toBe('running');
  expect(during.deleted).toEqual([]);
  expect(during.kept).toEqual([
    expect.objectContaining({
      snapshotIdentifier: name(t2),
      reason: 'newest available snapshot: always kept',
    }),
    expect.objectContaining({ snapshotIdentifier: name(t1), reason: `needed by run ${runId} (running)` }),
  ]);
  expect(await snapshotStatus(e2e.rds, name(t1))).toBe('available');

  // The clock passes the restore (requested before now: done 90 s after at the latest, well within the
  // run's 180 s deadline for it); the run ends; the retention at t3 deletes t1's snapshot.
  await advanceTo(plus(await cloudNow(), 95 / 3600));
  const terminal = await e2e.observer.waitFor(
    (e) => TERMINAL.includes(e['detail-type']) && e.detail.run?.id === runId,
    60_000,
  );
  expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
  await advanceTo(t3);
  const after = expiredIn(await settled(policy.name, t3, [region]), region);
  expect(after.deleted).toEqual([
    expect.objectContaining({ snapshotIdentifier: name(t1), reason: 'not among the newest 1 (keepLast)' }),
  ]);
  expect(await eventually(() => snapshotStatus(e2e.rds, name(t1)), undefined)).toBeUndefined();
  expect(await snapshotStatus(e2e.rds, name(t2))).toBe('available');
}, 120_000);

test('being copied to us-west-2: kept while the copy runs, deleted by the retention after it ended', async () => {
  const { region } = e2e.cloud.identity;
  await createSampleInstance(e2e.rds, 'catalog-db');
  const a = await nextMinute();
  const [t1, t2, t3] = [a, plus(a, 1 / 60), plus(a, 2 / 60)];
  const policy = {
    name: 'catalog-minutely',
    databases: { identifiers: ['catalog-db'] },
    schedule: [t1, t2].map(atExpression),
    pruneSchedule: atExpression(t3),
    retention: { keepLast: 1 },
    copies: [{ region: WEST, retention: { keepLast: 1 } }],
  };
  const file = { snapshotPolicies: [policy] };
  await deploySchedules(file);
  pause = () => deploySchedules(file, 'DISABLED');
  const name = (at: Date) => policySnapshotName(policy.name, 'catalog-db', at);
  const created = (at: Date) =>
    e2e.observer.waitFor(
      (e) =>
        e['detail-type'] === 'SnapshotCreated' &&
        e.detail.policy === policy.name &&
        e.detail.scheduledTime === at.toISOString().replace('.000Z', 'Z'),
    );

  // t1's copy transfers for 125 simulated hours (15 min of cloud time here); t2's waits behind it (RDS
  // copies one snapshot of a database to a region at a time).
  await durations({ snapshotCopyCrossRegion: 125 * 3600_000 });
  await advanceTo(t1);
  await until(
    () => snapshotStatus(west, name(t1)),
    (s) => s === 'copying',
    `the copy of ${name(t1)}`,
  );
  await durations('realistic');
  await advanceTo(t2);
  await created(t2);

  // t3, retention alone: t1's snapshot, no longer the newest and beyond keepLast 1, is kept for its copy.
  await advanceTo(t3);
  const during = await settled(policy.name, t3, [region, WEST]);
  expect(expiredIn(during, region).deleted).toEqual([]);
  expect(expiredIn(during, region).kept).toEqual([
    expect.objectContaining({
      snapshotIdentifier: name(t2),
      reason: 'newest available snapshot: always kept',
    }),
    expect.objectContaining({
      snapshotIdentifier: name(t1),
      reason: `being copied to ${WEST} as ${name(t1)} (copying)`,
    }),
  ]);
  expect(expiredIn(during, WEST).deleted).toEqual([]);
  expect(await snapshotStatus(e2e.rds, name(t1))).toBe('available');

  // The clock passes both copies: the jobs of t1 and t2 (whichever looks first) delete t1's snapshot at
  // home and its copy in us-west-2, now that no copy of it runs.
  await advanceTo(plus(t3, 0.5));
  const ended = [
    ...(await settled(policy.name, t1, [region, WEST])),
    ...(await settled(policy.name, t2, [region, WEST])),
  ];
  const deletedIn = (where: string) =>
    ended
      .filter((e) => e['detail-type'] === 'SnapshotExpired' && e.detail.region === where)
      .flatMap((e) => (e.detail as ReturnType<typeof expiredIn>).deleted);
  for (const where of [region, WEST]) {
    expect(deletedIn(where)).toEqual([
      expect.objectContaining({ snapshotIdentifier: name(t1), reason: 'not among the newest 1 (keepLast)' }),
    ]);
  }
  const left = [name(t2)];
  for (const rds of [e2e.rds, west]) {
    const policySnapshots = async () =>
      (await instanceSnapshots(rds, 'catalog-db')).filter((s) => s.startsWith('rewind-'));
    expect(await eventually(policySnapshots, left)).toEqual(left);
  }
  expect(
    e2e.observer.events.filter(
      (e) => e['detail-type'] === 'SnapshotFailed' && e.detail.policy === policy.name,
    ),
  ).toEqual([]);
}, 120_000);

test('an export that fails after it started (FAILED, RDS-EVENT-0159): alerted; the snapshot and its copy untouched', async () => {
  const { accountId, region } = e2e.cloud.identity;
  await createSampleInstance(e2e.rds, 'exports-db');
  const common = {
    endpoint: e2e.cloud.endpoint,
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'rewind-exports' }));
  s3.destroy();
  const kmsEast = new KMSClient(common);
  const key = await kmsEast.send(new CreateKeyCommand({ Description: 'exports-db exports' }));
  kmsEast.destroy();
  // The export's role: trusted by export.rds.amazonaws.com, allowed to write the bucket.
  const { arn: exportRole } = await e2e.cloud.admin.post<{ arn: string }>('iam/roles', {
    name: 'rewind-exports-writer',
    policies: [
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:PutObject*', 's3:GetObject*', 's3:DeleteObject*'],
            Resource: 'arn:aws:s3:::rewind-exports/*',
          },
          {
            Effect: 'Allow',
            Action: ['s3:ListBucket', 's3:GetBucketLocation'],
            Resource: 'arn:aws:s3:::rewind-exports',
          },
        ],
      },
    ],
  });
  expect(exportRole).toBe(`arn:aws:iam::${accountId}:role/rewind-exports-writer`);
  const at = await nextMinute();
  const policy = {
    name: 'exports-daily',
    databases: { identifiers: ['exports-db'] },
    schedule: atExpression(at),
    retention: { keepLast: 1 },
    copies: [{ region: WEST, retention: { keepLast: 1 } }],
    export: {
      bucket: 'rewind-exports',
      prefix: 'daily',
      iamRoleArn: exportRole,
      kmsKeyId: key.KeyMetadata!.Arn!,
    },
  };
  const file = { snapshotPolicies: [policy] };
  await deploySchedules(file);
  pause = () => deploySchedules(file, 'DISABLED');
  const name = policySnapshotName(policy.name, 'exports-db', at);
  // RDS accepts the task, then the task fails while it runs. (The copy takes 5 simulated minutes, not 45:
  // the test waits less.)
  await e2e.cloud.admin.post('/_rewind/rds/faults', {
    operations: [{ operation: 'export', identifier: `${name}*`, outcome: 'failed' }],
  });
  await durations({ snapshotCopyCrossRegion: 5 * 60_000 });
  try {
    await advanceTo(at);
    await settled(policy.name, at, [region, WEST]);
    const failed = await e2e.observer.waitFor(
      (e) => e['detail-type'] === 'SnapshotFailed' && e.detail.policy === policy.name,
    );
    const events = e2e.observer.events.filter((e) => e.detail.policy === policy.name);
    expect(failed.detail).toMatchObject({
      stage: 'export',
      region,
      errorCode: 'FAILED',
      snapshotIdentifier: name,
      scheduledTime: at.toISOString().replace('.000Z', 'Z'),
    });
    expect(String(failed.detail.reason)).toMatch(
      new RegExp(`^export task ${name} ended FAILED: The export task failed because of an internal error`),
    );
    expect(String(failed.detail.action)).toMatch(
      /check the bucket rewind-exports, the role .*rewind-exports-writer/,
    );
    // RDS started the task and said it failed (RDS-EVENT-0159): it is not a refusal of StartExportTask.
    const rdsEvents =
      await e2e.cloud.admin.get<{ eventId: string; sourceIdentifier: string }[]>('rds/events');
    expect(
      rdsEvents.filter((e) => e.sourceIdentifier === name && /^RDS-EVENT-01(59|61)$/.test(e.eventId)),
    ).toEqual([expect.objectContaining({ eventId: 'RDS-EVENT-0159' })]);
    const tasks = await e2e.rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: name }));
    expect(tasks.ExportTasks?.map((t) => [t.Status, t.S3Bucket, t.S3Prefix])).toEqual([
      ['FAILED', 'rewind-exports', 'daily'],
    ]);
    // The rest of the firing went on: the snapshot, its copy, retention in both regions deleting nothing.
    expect(events.map((e) => e['detail-type']).sort()).toEqual(
      ['SnapshotCopied', 'SnapshotCreated', 'SnapshotExpired', 'SnapshotExpired', 'SnapshotFailed'].sort(),
    );
    expect(expiredIn(events, region).deleted).toEqual([]);
    expect(expiredIn(events, WEST).deleted).toEqual([]);
    expect(await snapshotStatus(e2e.rds, name)).toBe('available');
    expect(await snapshotStatus(west, name)).toBe('available');
    // The on-call people heard of it.
    const email = await until(
      async () =>
        (await e2e.cloud.admin.sentEmails()).filter((m) => JSON.stringify(m).includes('exports-daily')),
      (m) => m.length > 0,
      'the alert email',
    );
    expect(JSON.stringify(email[0])).toMatch(
      /snapshot policy exports-daily: export failed for exports-db in us-east-1/,
    );
  } finally {
    await e2e.cloud.admin.post('/_rewind/rds/faults', {});
    await durations('realistic');
  }
}, 120_000);

test('the lifecycle service was refused nothing by IAM (its generated policy covers every call it made)', async () => {
  const denials = await e2e.cloud.admin.get<unknown[]>('iam/denials');
  expect(JSON.stringify(denials)).not.toMatch(/rewind-local-lifecycle/);
});
