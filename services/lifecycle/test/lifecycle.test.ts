import {
  CopyDBSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeAccountAttributesCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  DescribeExportTasksCommand,
  RDSClient,
  StartExportTaskCommand,
  type DBSnapshot,
  type ExportTask,
} from '@aws-sdk/client-rds';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  parsePolicyConfig,
  policySnapshotName,
  stateTableDefinition,
  type EventDetail,
} from '@rewind/shared';
import { startDynalite } from '@rewind/shared/src/testing/dynalite';
import { testContext } from '@rewind/shared/src/testing/context';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { runFixture } from '@rewind/shared/src/testing/fixtures';
import type { LifecycleDeps } from '../src/deps';
import { PolicyJobStore } from '../src/jobs';
import { CHECK_TYPE, onCheck, onFiring } from '../src/lifecycle';

const bed = useServiceTestBed();
const EAST = 'us-east-1';
const WEST = 'us-west-2';
const ACCOUNT = '000000000000';
const arnOf = (region: string, id: string) => `arn:aws:rds:${region}:${ACCOUNT}:snapshot:${id}`;

/**
 * One region's RDS: snapshots by name, export tasks, the quota. The test bed's RDS mock answers every
 * client from the region the client is in; `calls` are the commands sent to this region.
 */
type Fake = ReturnType<typeof fakeRegion>;
const regions = new Map<RDSClient, Fake>();

function fakeRegion(region: string) {
  const client = new RDSClient({
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const state = {
    region,
    client,
    snapshots: new Map<string, DBSnapshot>(),
    exports: [] as ExportTask[],
    quota: { Used: 3, Max: 100 },
    /** Errors the next call of an action gets (once, or always). */
    fail: {} as Record<string, { err: Error; once: boolean }>,
    snap: (id: string, db: string, status: string): DBSnapshot => ({
      DBSnapshotIdentifier: id,
      DBSnapshotArn: arnOf(region, id),
      DBInstanceIdentifier: db,
      Status: status,
      SnapshotType: 'manual',
      SnapshotCreateTime: new Date(),
      AllocatedStorage: 20,
      Encrypted: true,
    }),
    calls: <I extends object>(command: new (input: I) => unknown) =>
      bed.rds
        .commandCalls(command as never)
        .filter((c) => c.thisValue === client)
        .map((c) => c.args[0].input as I),
    reset: () => {
      state.snapshots.clear();
      state.exports.length = 0;
      state.quota = { Used: 3, Max: 100 };
      state.fail = {};
    },
  };
  regions.set(client, state);
  return state;
}

function failing(fake: Fake, action: string) {
  const f = fake.fail[action];
  if (!f) return;
  if (f.once) delete fake.fail[action];
  throw f.err;
}

/** The fake RDS behind the test bed's mock: each call is answered by the region of the client sending it. */
function answerFromRegions() {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any SDK command class
  const on = <C extends new (...args: any[]) => unknown>(
    command: C,
    fn: (fake: Fake, input: NonNullable<ConstructorParameters<C>[0]>) => unknown,
  ) =>
    bed.rds
      .on(command as never)
      .callsFake((input: NonNullable<ConstructorParameters<C>[0]>, getClient: () => RDSClient) =>
        fn(regions.get(getClient())!, input),
      );
  on(DescribeDBSnapshotsCommand, (fake, input) => {
    if (input.DBSnapshotIdentifier) {
      const s = fake.snapshots.get(input.DBSnapshotIdentifier);
      if (!s) throw Object.assign(new Error('not found'), { name: 'DBSnapshotNotFoundFault' });
      return { DBSnapshots: [s] };
    }
    const list = [...fake.snapshots.values()].filter(
      (s) =>
        (!input.DBInstanceIdentifier || s.DBInstanceIdentifier === input.DBInstanceIdentifier) &&
        (!input.SnapshotType || s.SnapshotType === input.SnapshotType),
    );
    return { DBSnapshots: list };
  });
  on(CreateDBSnapshotCommand, (fake, input) => {
    failing(fake, 'create');
    const s = {
      ...fake.snap(input.DBSnapshotIdentifier!, input.DBInstanceIdentifier!, 'creating'),
      TagList: input.Tags,
    };
    fake.snapshots.set(s.DBSnapshotIdentifier!, s);
    return { DBSnapshot: s };
  });
  on(CopyDBSnapshotCommand, (fake, input) => {
    failing(fake, 'copy');
    const s = {
      ...fake.snap(input.TargetDBSnapshotIdentifier!, 'orders-db', 'copying'),
      TagList: input.Tags,
      SourceDBSnapshotIdentifier: input.SourceDBSnapshotIdentifier,
    };
    fake.snapshots.set(s.DBSnapshotIdentifier!, s);
    return { DBSnapshot: s };
  });
  on(DeleteDBSnapshotCommand, (fake, input) => {
    fake.snapshots.delete(input.DBSnapshotIdentifier!);
    return {};
  });
  on(DescribeDBSnapshotAttributesCommand, () => ({
    DBSnapshotAttributesResult: { DBSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: [] }] },
  }));
  on(DescribeExportTasksCommand, (fake, input) => ({
    ExportTasks: fake.exports.filter(
      (t) =>
        (!input.ExportTaskIdentifier || t.ExportTaskIdentifier === input.ExportTaskIdentifier) &&
        (!input.SourceArn || t.SourceArn === input.SourceArn) &&
        (!input.Filters || ['STARTING', 'IN_PROGRESS'].includes(t.Status!)),
    ),
  }));
  on(StartExportTaskCommand, (fake, input) => {
    fake.exports.push({ ...input, S3Bucket: input.S3BucketName, Status: 'STARTING' });
    return {};
  });
  on(DescribeAccountAttributesCommand, (fake) => ({
    AccountQuotas: [{ AccountQuotaName: 'ManualSnapshots', ...fake.quota }],
  }));
  on(DescribeDBInstancesCommand, () => ({
    DBInstances: [
      { DBInstanceIdentifier: 'orders-db', TagList: [{ Key: 'rewind:allow', Value: 'true' }] },
      { DBInstanceIdentifier: 'legacy-db', TagList: [] },
    ],
  }));
}

const east = fakeRegion(EAST);
const west = fakeRegion(WEST);
let deps: LifecycleDeps;
let jobsDb: Awaited<ReturnType<typeof startDynalite>>;
let tables = 0;
beforeAll(async () => {
  jobsDb = await startDynalite('lifecycle-jobs');
});
const stopJobs = () => jobsDb.stop();
// Each test its own table of jobs: the same firing in two tests is two jobs.
beforeEach(async () => {
  const table = `lifecycle-jobs-${++tables}`;
  await jobsDb.client.send(new CreateTableCommand(stateTableDefinition(table)));
  deps = {
    jobs: new PolicyJobStore(jobsDb.client, table),
    homeRegion: EAST,
    rdsIn: (region) => (region === EAST ? east.client : west.client),
  };
});
afterAll(() => stopJobs());
beforeEach(() => {
  east.reset();
  west.reset();
  answerFromRegions();
});

const ctx = () => testContext('lifecycle', bed.store, () => new Date('2026-03-01T12:00:05Z'));
const config = (over: Record<string, unknown> = {}) =>
  parsePolicyConfig({
    snapshotPolicies: [
      {
        name: 'orders-twice-daily',
        databases: { identifiers: ['orders-db'] },
        schedule: 'rate(12 hours)',
        retention: { maxAgeDays: 50 },
        copies: [
          {
            region: WEST,
            kmsKeyId: 'arn:aws:kms:us-west-2:000000000000:key/dr',
            retention: { maxAgeDays: 1 },
          },
        ],
        ...over,
      },
    ],
  }).snapshotPolicies[0]!;

/** Sends the firing, then runs each check the service sends itself, `looks` times at most. */
async function fire(
  policy = config(),
  scheduledTime = '2026-03-01T12:00:00Z',
  between?: (n: number) => void,
  looks = 6,
) {
  const c = ctx();
  await onFiring(c, deps, {
    policy,
    scheduledTime,
    action: 'snapshot',
  } as EventDetail<'SnapshotPolicyFired'>);
  for (let n = 0; n < looks; n++) {
    const checks = bed.sqs
      .commandCalls(SendMessageCommand)
      .map((call) => JSON.parse(call.args[0].input.MessageBody!))
      .filter((m) => m['detail-type'] === CHECK_TYPE);
    const last = checks[checks.length - 1];
    if (!last || checks.length <= n) break;
    between?.(n);
    await onCheck(c, deps, last.detail);
  }
}

const published = (type: string) =>
  bed
    .published()
    .filter((e) => e.type === type)
    .map((e) => e.detail);
const name = (at = '2026-03-01T12:00:00Z') =>
  policySnapshotName('orders-twice-daily', 'orders-db', new Date(at));
const policyTags = (scheduledTime: string, extra: { Key: string; Value: string }[] = []) => [
  { Key: 'rewind:created-by', Value: 'rewind' },
  { Key: 'rewind:source', Value: 'orders-db' },
  { Key: 'rewind:purpose', Value: 'snapshot-policy' },
  { Key: 'rewind:policy', Value: 'orders-twice-daily' },
  { Key: 'rewind:scheduled-time', Value: scheduledTime },
  ...extra,
];
/** Makes every snapshot in a region available (what RDS does in its own time). */
const settle = (region: ReturnType<typeof fakeRegion>) => {
  for (const s of region.snapshots.values()) s.Status = 'available';
};

test('a firing: a tagged snapshot, a copy with the source ARN and the destination key, retention in both regions', async () => {
  // An old policy snapshot in each region, a hand-made one and an automated one of the same database.
  const old = name('2026-01-01T00:00:00Z');
  east.snapshots.set(old, {
    ...east.snap(old, 'orders-db', 'available'),
    TagList: policyTags('2026-01-01T00:00:00Z'),
  });
  west.snapshots.set(old, {
    ...west.snap(old, 'orders-db', 'available'),
    TagList: policyTags('2026-01-01T00:00:00Z'),
  });
  east.snapshots.set('by-hand', east.snap('by-hand', 'orders-db', 'available'));
  east.snapshots.set('rds:orders-db-2025', {
    ...east.snap('rds:orders-db-2025', 'orders-db', 'available'),
    SnapshotType: 'automated',
  });

  await fire(config(), '2026-03-01T12:00:00Z', () => {
    settle(east);
    settle(west);
  });

  expect(east.calls(CreateDBSnapshotCommand)).toEqual([
    {
      DBInstanceIdentifier: 'orders-db',
      DBSnapshotIdentifier: name(),
      Tags: policyTags('2026-03-01T12:00:00Z'),
    },
  ]);
  expect(west.calls(CopyDBSnapshotCommand)).toEqual([
    {
      SourceDBSnapshotIdentifier: arnOf(EAST, name()),
      TargetDBSnapshotIdentifier: name(),
      KmsKeyId: 'arn:aws:kms:us-west-2:000000000000:key/dr',
      Tags: policyTags('2026-03-01T12:00:00Z', [{ Key: 'rewind:copied-from', Value: EAST }]),
    },
  ]);
  // East keeps 50 days: the two-month-old policy snapshot goes; west keeps 1 day: the same.
  expect(east.calls(DeleteDBSnapshotCommand)).toEqual([{ DBSnapshotIdentifier: old }]);
  expect(west.calls(DeleteDBSnapshotCommand)).toEqual([{ DBSnapshotIdentifier: old }]);
  expect([...east.snapshots.keys()].sort()).toEqual(['by-hand', 'rds:orders-db-2025', name()].sort());
  expect(published('SnapshotCreated')).toEqual([
    expect.objectContaining({ snapshotIdentifier: name(), region: EAST, snapshotArn: arnOf(EAST, name()) }),
  ]);
  expect(published('SnapshotCopied')).toEqual([
    expect.objectContaining({ region: WEST, sourceRegion: EAST }),
  ]);
  const expired = published('SnapshotExpired');
  expect(
    expired.map((e) => [
      e.region,
      e.asOf,
      e.deleted.map((d: { reason: string }) => d.reason),
      e.kept.map((k: { reason: string }) => k.reason),
    ]),
  ).toEqual([
    [
      EAST,
      '2026-03-01T12:00:00.000Z',
      ['older than 50 days (maxAgeDays)'],
      ['newest available snapshot: always kept'],
    ],
    [
      WEST,
      '2026-03-01T12:00:00.000Z',
      ['older than 1 days (maxAgeDays)'],
      ['newest available snapshot: always kept'],
    ],
  ]);
  expect(published('SnapshotFailed')).toEqual([]);
});

test('a snapshot a restore in progress restores from is kept, however old', async () => {
  const old = name('2026-01-01T00:00:00Z');
  const older = name('2025-12-01T00:00:00Z');
  for (const [id, at] of [
    [old, '2026-01-01T00:00:00Z'],
    [older, '2025-12-01T00:00:00Z'],
  ] as const) {
    east.snapshots.set(id, { ...east.snap(id, 'orders-db', 'available'), TagList: policyTags(at) });
  }
  const restore = runFixture('orders-db', 'db_restore');
  await bed.store.createRun({ ...restore, names: { ...restore.names, restoreFrom: older } });
  await fire(config({ copies: [] }), '2026-03-01T12:00:00Z', () => settle(east));
  expect(east.calls(DeleteDBSnapshotCommand)).toEqual([{ DBSnapshotIdentifier: old }]);
  const [expired] = published('SnapshotExpired');
  expect(expired.kept).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        snapshotIdentifier: older,
        reason: `needed by run ${restore.runId} (running)`,
      }),
    ]),
  );
  await bed.store.updateRun((await bed.store.getRun(restore.runId))!, { status: 'completed' });
});

test('a snapshot being copied to another region (by anyone) is kept until its copy is available', async () => {
  const old = name('2026-01-01T00:00:00Z');
  east.snapshots.set(old, {
    ...east.snap(old, 'orders-db', 'available'),
    TagList: policyTags('2026-01-01T00:00:00Z'),
  });
  west.snapshots.set('dr-drill', {
    ...west.snap('dr-drill', 'orders-db', 'copying'),
    SourceDBSnapshotIdentifier: arnOf(EAST, old),
  });
  // Our own copy finishes; the drill's copy is still in flight.
  await fire(config(), '2026-03-01T12:00:00Z', () => {
    settle(east);
    const ours = west.snapshots.get(name());
    if (ours) ours.Status = 'available';
  });
  expect(east.calls(DeleteDBSnapshotCommand)).toEqual([]);
  const home = published('SnapshotExpired').find((e) => e.region === EAST);
  expect(home.kept).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        snapshotIdentifier: old,
        reason: 'being copied to us-west-2 as dr-drill (copying)',
      }),
    ]),
  );
});

test('a repeated firing starts nothing twice', async () => {
  await fire(config(), '2026-03-01T12:00:00Z', () => settle(east), 1);
  const checksBefore = bed.sqs.commandCalls(SendMessageCommand).length;
  await onFiring(ctx(), deps, {
    policy: config(),
    scheduledTime: '2026-03-01T12:00:00Z',
    action: 'snapshot',
  } as EventDetail<'SnapshotPolicyFired'>);
  expect(bed.sqs.commandCalls(SendMessageCommand).length).toBe(checksBefore);
  expect(east.calls(CreateDBSnapshotCommand)).toHaveLength(1);
});

test('a database not opted in is alerted and left alone', async () => {
  await fire(config({ databases: { identifiers: ['legacy-db'] } }));
  expect(east.calls(CreateDBSnapshotCommand)).toEqual([]);
  expect(published('SnapshotFailed')).toEqual([
    expect.objectContaining({
      stage: 'select',
      identifier: 'legacy-db',
      reason: expect.stringMatching(/no tag rewind:allow=true/),
    }),
  ]);
});

test('copies wait their turn while the destination has 20 copies in flight', async () => {
  for (let i = 0; i < 20; i++) {
    west.snapshots.set(`other-${i}`, {
      ...west.snap(`other-${i}`, 'other-db', 'copying'),
      SourceDBSnapshotIdentifier: arnOf(EAST, `x-${i}`),
    });
  }
  await fire(config(), '2026-03-01T12:00:00Z', () => settle(east), 3);
  expect(west.calls(CopyDBSnapshotCommand)).toEqual([]);
  expect(published('SnapshotFailed')).toEqual([]);
  // One of them finishes: the next check copies.
  west.snapshots.get('other-0')!.Status = 'available';
  await fire(config(), '2026-03-01T12:00:00Z', undefined, 1);
  const last = bed.sqs
    .commandCalls(SendMessageCommand)
    .map((c) => JSON.parse(c.args[0].input.MessageBody!))
    .pop();
  await onCheck(ctx(), deps, last.detail);
  expect(west.calls(CopyDBSnapshotCommand)).toHaveLength(1);
});

test('a copy refused (KMS key not accessible): alerted with what to do, the source kept, west untouched', async () => {
  west.fail.copy = {
    once: false,
    err: Object.assign(
      new Error(
        'The target KMS key does not exist, is not enabled or you do not have permissions to access it',
      ),
      {
        name: 'KMSKeyNotAccessibleFault',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      },
    ),
  };
  const old = name('2026-02-28T12:00:00Z');
  west.snapshots.set(old, {
    ...west.snap(old, 'orders-db', 'available'),
    TagList: policyTags('2026-02-28T00:00:00Z'),
  });
  await fire(config(), '2026-03-01T12:00:00Z', () => settle(east));
  expect(published('SnapshotFailed')).toEqual([
    expect.objectContaining({
      stage: 'copy',
      region: WEST,
      errorCode: 'KMSKeyNotAccessibleFault',
      action: expect.stringMatching(/KMS key arn:aws:kms:us-west-2:000000000000:key\/dr in us-west-2/),
    }),
  ]);
  expect(east.snapshots.get(name())?.Status).toBe('available');
  // West's only policy snapshot is its newest available one: kept.
  expect(west.calls(DeleteDBSnapshotCommand)).toEqual([]);
  expect(published('SnapshotExpired').find((e) => e.region === WEST)?.kept).toEqual([
    expect.objectContaining({ snapshotIdentifier: old, reason: 'newest available snapshot: always kept' }),
  ]);
});

test('quota reached: no snapshot, an alert naming the policy whose retention frees space, then that retention', async () => {
  east.quota = { Used: 100, Max: 100 };
  const old = name('2026-01-01T00:00:00Z');
  const older = name('2025-12-01T00:00:00Z');
  for (const [id, at] of [
    [old, '2026-01-01T00:00:00Z'],
    [older, '2025-12-01T00:00:00Z'],
  ] as const) {
    east.snapshots.set(id, { ...east.snap(id, 'orders-db', 'available'), TagList: policyTags(at) });
  }
  await fire(config({ copies: [] }));
  expect(east.calls(CreateDBSnapshotCommand)).toEqual([]);
  const [failed] = published('SnapshotFailed');
  expect(failed).toMatchObject({ stage: 'quota', errorCode: 'SnapshotQuotaExceeded' });
  expect(failed.reason).toMatch(
    /quota is reached in us-east-1 \(100 of 100 DB snapshots\).*policy orders-twice-daily's retention frees 1 now/,
  );
  // The newest of the two is kept (always), the older goes.
  expect(east.calls(DeleteDBSnapshotCommand).map((i) => i.DBSnapshotIdentifier)).toEqual([older]);
});

test('throttled: no failure, the next check tries again', async () => {
  east.fail.create = {
    once: true,
    err: Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    }),
  };
  await fire(config({ copies: [] }), '2026-03-01T12:00:00Z', undefined, 2);
  expect(published('SnapshotFailed')).toEqual([]);
  expect(east.calls(CreateDBSnapshotCommand)).toHaveLength(2);
  expect(east.snapshots.has(name())).toBe(true);
});

test('export: waits while five run in the account, then StartExportTask with the policy settings; a failure is alerted', async () => {
  const exportSpec = {
    bucket: 'orders-exports',
    prefix: 'snapshots',
    iamRoleArn: 'arn:aws:iam::000000000000:role/rewind-export',
    kmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/export',
  };
  for (let i = 0; i < 5; i++) east.exports.push({ ExportTaskIdentifier: `busy-${i}`, Status: 'IN_PROGRESS' });
  await fire(config({ copies: [], export: exportSpec }), '2026-03-01T12:00:00Z', () => settle(east), 3);
  expect(east.calls(StartExportTaskCommand)).toEqual([]);
  for (const t of east.exports) t.Status = 'COMPLETE';
  const last = bed.sqs
    .commandCalls(SendMessageCommand)
    .map((c) => JSON.parse(c.args[0].input.MessageBody!))
    .pop();
  await onCheck(ctx(), deps, last.detail);
  expect(east.calls(StartExportTaskCommand)).toEqual([
    {
      ExportTaskIdentifier: name(),
      SourceArn: arnOf(EAST, name()),
      S3BucketName: 'orders-exports',
      S3Prefix: 'snapshots',
      IamRoleArn: exportSpec.iamRoleArn,
      KmsKeyId: exportSpec.kmsKeyId,
    },
  ]);
  // Retention ran already (the export blocks nothing); the export fails: alerted.
  expect(published('SnapshotExpired')).toHaveLength(1);
  east.exports.find((t) => t.ExportTaskIdentifier === name())!.Status = 'FAILED';
  east.exports.find((t) => t.ExportTaskIdentifier === name())!.FailureCause =
    'The S3 bucket orders-exports is not in us-east-1';
  const next = bed.sqs
    .commandCalls(SendMessageCommand)
    .map((c) => JSON.parse(c.args[0].input.MessageBody!))
    .pop();
  await onCheck(ctx(), deps, next.detail);
  expect(published('SnapshotFailed')).toEqual([
    expect.objectContaining({
      stage: 'export',
      reason: expect.stringMatching(/ended FAILED: The S3 bucket orders-exports/),
    }),
  ]);
});
