import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeKeyCommand, KMSClient, type KeyMetadata } from '@aws-sdk/client-kms';
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  RDSClient,
  type DBClusterSnapshot,
  type DBInstance,
  type DBSnapshot,
} from '@aws-sdk/client-rds';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  JobStore,
  replicationPolicySchema,
  sourceStatus,
  stateTableDefinition,
  type Envelope,
  type EventDetail,
  type ReplicationPolicyInput,
  type SourceJob,
} from '@rewind/shared';
import { testContext } from '@rewind/shared/src/testing/context';
import { startDynalite } from '@rewind/shared/src/testing/dynalite';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { mockClient } from 'aws-sdk-client-mock';
import type { ReplicationDeps } from '../src/deps';
import {
  onBounced,
  onPeerAnswer,
  onRawReplicationRequested,
  onReplicationRequested,
  onSourceCheck,
  onSourceRdsEvent,
  SOURCE_CHECK_TYPE,
} from '../src/source';

const bed = useServiceTestBed();
const kms = mockClient(KMSClient);

const REGION = 'us-east-1';
const SRC = '111111111111';
const DST = '222222222222';
const DST2 = '333333333333';
const AWS_RDS_KEY = `arn:aws:kms:${REGION}:${SRC}:key/aws-rds-0000`;
const CMK = `arn:aws:kms:${REGION}:${SRC}:key/shareable-1111`;
const OTHER_CMK = `arn:aws:kms:${REGION}:${SRC}:key/other-2222`;
const SCHEDULED = '2026-03-01T03:00:00Z';
const NAME = 'rewind-repl-orders-to-staging-202603010300';
const SHARED = `${NAME}-shared`;
const REPLICATION_ID = 'repl-orders-to-staging-202603010300';
const arnOf = (id: string) => `arn:aws:rds:${REGION}:${SRC}:snapshot:${id}`;

// ---- a fake RDS (one account, one region) and KMS behind the mocks ------------------------------------

const rdsClient = new RDSClient({
  region: REGION,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});
const kmsClient = new KMSClient({
  region: REGION,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});

const fake = {
  instances: new Map<string, DBInstance>(),
  snapshots: new Map<string, DBSnapshot>(),
  sharedWith: new Map<string, string[]>(),
  /** Errors the next call of a command gets, once each. */
  fail: new Map<string, Error[]>(),
};

const awsError = (name: string, message = name, status = 400) =>
  Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

function failing(command: string) {
  const queue = fake.fail.get(command);
  const err = queue?.shift();
  if (err) throw err;
}

const keys: Record<string, KeyMetadata> = {
  [AWS_RDS_KEY]: {
    KeyId: 'aws-rds-0000',
    Arn: AWS_RDS_KEY,
    KeyManager: 'AWS',
    Enabled: true,
    KeyState: 'Enabled',
  },
  'alias/aws/rds': {
    KeyId: 'aws-rds-0000',
    Arn: AWS_RDS_KEY,
    KeyManager: 'AWS',
    Enabled: true,
    KeyState: 'Enabled',
  },
  [CMK]: { KeyId: 'shareable-1111', Arn: CMK, KeyManager: 'CUSTOMER', Enabled: true, KeyState: 'Enabled' },
  [OTHER_CMK]: {
    KeyId: 'other-2222',
    Arn: OTHER_CMK,
    KeyManager: 'CUSTOMER',
    Enabled: true,
    KeyState: 'Enabled',
  },
};

function snapshot(id: string, status: string, extra: Partial<DBSnapshot> = {}): DBSnapshot {
  return {
    DBSnapshotIdentifier: id,
    DBSnapshotArn: arnOf(id),
    DBInstanceIdentifier: 'orders-db',
    Status: status,
    SnapshotType: 'manual',
    SnapshotCreateTime: new Date(SCHEDULED),
    Encrypted: true,
    KmsKeyId: AWS_RDS_KEY,
    ...extra,
  };
}

function put(s: DBSnapshot) {
  fake.snapshots.set(s.DBSnapshotIdentifier!, s);
  return { DBSnapshot: s };
}

function answerFromFake() {
  bed.rds.on(DescribeDBInstancesCommand).callsFake((input) => {
    const i = fake.instances.get(input.DBInstanceIdentifier!);
    if (!i) throw awsError('DBInstanceNotFoundFault', 'not found', 404);
    return { DBInstances: [i] };
  });
  bed.rds.on(DescribeDBSnapshotsCommand).callsFake((input) => {
    if (input.DBSnapshotIdentifier) {
      const s = fake.snapshots.get(input.DBSnapshotIdentifier);
      if (!s) throw awsError('DBSnapshotNotFoundFault', 'not found', 404);
      return { DBSnapshots: [s] };
    }
    return {
      DBSnapshots: [...fake.snapshots.values()].filter(
        (s) => !input.DBInstanceIdentifier || s.DBInstanceIdentifier === input.DBInstanceIdentifier,
      ),
    };
  });
  bed.rds.on(CreateDBSnapshotCommand).callsFake((input) => {
    failing('CreateDBSnapshot');
    const i = fake.instances.get(input.DBInstanceIdentifier!)!;
    const { StorageEncrypted: Encrypted, KmsKeyId } = i;
    return put(
      snapshot(input.DBSnapshotIdentifier!, 'creating', { TagList: input.Tags, Encrypted, KmsKeyId }),
    );
  });
  bed.rds.on(CopyDBSnapshotCommand).callsFake((input) => {
    failing('CopyDBSnapshot');
    const { Tags: TagList, KmsKeyId, SourceDBSnapshotIdentifier } = input;
    return put(
      snapshot(input.TargetDBSnapshotIdentifier!, 'pending', {
        TagList,
        KmsKeyId,
        SourceDBSnapshotIdentifier,
      }),
    );
  });
  bed.rds.on(DeleteDBSnapshotCommand).callsFake((input) => {
    failing('DeleteDBSnapshot');
    if (!fake.snapshots.delete(input.DBSnapshotIdentifier!))
      throw awsError('DBSnapshotNotFoundFault', 'not found', 404);
    return {};
  });
  bed.rds.on(ModifyDBSnapshotAttributeCommand).callsFake((input) => {
    failing('ModifyDBSnapshotAttribute');
    const id = input.DBSnapshotIdentifier!;
    if (!fake.snapshots.has(id)) throw awsError('DBSnapshotNotFoundFault', 'not found', 404);
    const now = (fake.sharedWith.get(id) ?? []).filter((a) => !(input.ValuesToRemove ?? []).includes(a));
    fake.sharedWith.set(id, [...new Set([...now, ...(input.ValuesToAdd ?? [])])]);
    return {};
  });
  bed.rds.on(DescribeDBSnapshotAttributesCommand).callsFake((input) => ({
    DBSnapshotAttributesResult: {
      DBSnapshotAttributes: [
        { AttributeName: 'restore', AttributeValues: fake.sharedWith.get(input.DBSnapshotIdentifier!) ?? [] },
      ],
    },
  }));
  kms.on(DescribeKeyCommand).callsFake((input) => {
    const k = keys[input.KeyId!];
    if (!k) throw awsError('NotFoundException', `Key '${input.KeyId}' does not exist`);
    return { KeyMetadata: k };
  });
}

/** The orders database: opted in, encrypted with `key` (aws/rds by default; null: unencrypted). */
function ordersDb(key: string | null = AWS_RDS_KEY, tags = [{ Key: 'rewind:allow', Value: 'true' }]) {
  fake.instances.set('orders-db', {
    DBInstanceIdentifier: 'orders-db',
    DbiResourceId: 'db-ORDERS1',
    DBInstanceStatus: 'available',
    StorageEncrypted: key !== null,
    KmsKeyId: key ?? undefined,
    TagList: tags,
  });
}

// ---- the service's dependencies and a clock ----------------------------------------------------------

let clock = new Date('2026-03-01T03:00:05Z');
const ctx = () => testContext('replication', bed.store, () => clock);
let jobsDb: Awaited<ReturnType<typeof startDynalite>>;
let jobs: JobStore<SourceJob>;
let tables = 0;

function policy(over: Partial<ReplicationPolicyInput> = {}, source: Record<string, unknown> = {}) {
  return replicationPolicySchema.parse({
    name: 'orders-to-staging',
    kind: 'instance',
    source: { account: SRC, region: REGION, identifier: 'orders-db', kmsKeyId: CMK, ...source },
    schedule: 'cron(0 3 * * ? *)',
    retention: { keepLast: 1 },
    destinations: [
      {
        account: DST,
        kmsKeyId: `arn:aws:kms:${REGION}:${DST}:key/staging`,
        mode: 'in-place',
        identifier: 'orders-staging',
      },
    ],
    ...over,
  });
}

let deps: ReplicationDeps;
function useDeps(policies = [policy()]) {
  deps = {
    jobs: jobs as unknown as ReplicationDeps['jobs'],
    accountId: SRC,
    homeRegion: REGION,
    policies,
    rdsIn: () => rdsClient,
    secretsIn: () => {
      throw new Error('the source side never calls Secrets Manager');
    },
    kmsIn: () => kmsClient,
  };
}

beforeAll(async () => {
  jobsDb = await startDynalite('replication-jobs');
});
afterAll(() => jobsDb.stop());
beforeEach(async () => {
  const table = `replication-jobs-${++tables}`;
  await jobsDb.client.send(new CreateTableCommand(stateTableDefinition(table)));
  jobs = new JobStore<SourceJob>(jobsDb.client, table);
  fake.instances.clear();
  fake.snapshots.clear();
  fake.sharedWith.clear();
  fake.fail.clear();
  kms.reset();
  clock = new Date('2026-03-01T03:00:05Z');
  answerFromFake();
  useDeps();
});

// ---- driving ------------------------------------------------------------------------------------------

let events = 0;
const requested = (detail: Partial<EventDetail<'ReplicationRequested'>> = {}, id = `evt-${++events}`) =>
  onReplicationRequested(
    ctx(),
    deps,
    { policy: 'orders-to-staging', scheduledTime: SCHEDULED, ...detail },
    { id, 'detail-type': 'ReplicationRequested', source: 'aws.scheduler', detail: {}, account: SRC },
  );

const checks = () =>
  bed.sqs
    .commandCalls(SendMessageCommand)
    .map((c) => ({ body: JSON.parse(c.args[0].input.MessageBody!), delay: c.args[0].input.DelaySeconds }))
    .filter((m) => m.body['detail-type'] === SOURCE_CHECK_TYPE);

/** Delivers the newest deadline check (what SQS does after its delay). */
async function check() {
  const last = checks().at(-1);
  if (last) await onSourceCheck(ctx(), deps, last.body.detail);
}

/** RDS finishes what is under way (snapshots and copies become available), then a check looks. */
async function rdsFinishes() {
  for (const s of fake.snapshots.values()) if (s.Status !== 'available') s.Status = 'available';
  await check();
}

const published = (type: string) =>
  bed
    .published()
    .filter((e) => e.type === type)
    .map((e) => e.detail);
const calls = <I extends object>(command: new (input: I) => unknown) =>
  bed.rds.commandCalls(command as never).map((c) => c.args[0].input as I);
const job = async () => (await jobs.byIndex(`REPLSRC-ID#${REPLICATION_ID}`))!;

const answer = <N extends 'ReplicationReceived' | 'ReplicationCompleted' | 'ReplicationFailed'>(
  name: N,
  detail: Record<string, unknown>,
  from = DST,
) =>
  onPeerAnswer(
    ctx(),
    deps,
    name,
    {
      replicationId: REPLICATION_ID,
      policy: 'orders-to-staging',
      sourceAccount: SRC,
      destinationAccount: from,
      ...detail,
    } as unknown as EventDetail<N>,
    {
      id: `answer-${++events}`,
      'detail-type': name,
      source: 'rewind',
      detail: {},
      account: from,
    } as Envelope,
  );

const received = (from = DST) =>
  answer(
    'ReplicationReceived',
    { mode: 'in-place', copyIdentifier: `${NAME}-copy`, receivedAt: clock.toISOString() },
    from,
  );
const completed = (from = DST) =>
  answer(
    'ReplicationCompleted',
    {
      kind: 'instance',
      sourceIdentifier: 'orders-db',
      destinationRegion: REGION,
      mode: 'in-place',
      identifier: 'orders-staging',
      runId: 'run-20260301-030500-abcdefgh',
      lineage: { sourceSnapshotArn: arnOf(NAME), sharedSnapshotArn: arnOf(SHARED), copySnapshotArn: 'x' },
      warnings: [],
      durationMs: 1000,
    },
    from,
  );

/** Requested, snapshot taken and re-encrypted, shared and announced. */
async function sharedAndAnnounced() {
  ordersDb();
  await requested();
  await rdsFinishes(); // the snapshot: the copy starts
  await rdsFinishes(); // the copy: the plain snapshot goes, the copy is shared and announced
}

const tagsOf = (purpose: string) => [
  { Key: 'rewind:created-by', Value: 'rewind' },
  { Key: 'rewind:source', Value: 'orders-db' },
  { Key: 'rewind:purpose', Value: purpose },
  { Key: 'rewind:replication', Value: 'orders-to-staging' },
  { Key: 'rewind:replication-id', Value: REPLICATION_ID },
  { Key: 'rewind:scheduled-time', Value: SCHEDULED },
];

// ---- the stages ---------------------------------------------------------------------------------------

describe('a malformed request', () => {
  test('is answered once with ReplicationFailed at select, saying what is wrong; nothing is taken', async () => {
    const envelope = {
      id: 'evt-bad',
      'detail-type': 'ReplicationRequested',
      source: 'cli',
      detail: {},
      account: SRC,
    };
    const bad = { policy: 'orders-to-staging', destinations: ['2222'], extra: true };
    await onRawReplicationRequested(ctx(), deps, bad, envelope);
    await onRawReplicationRequested(ctx(), deps, bad, envelope); // the same event delivered again
    await onRawReplicationRequested(ctx(), deps, 'not an object', { ...envelope, id: 'evt-worse' });
    expect(published('ReplicationFailed').map((d) => [d.policy, d.stage, d.reason])).toEqual([
      [
        'orders-to-staging',
        'select',
        expect.stringMatching(/^the ReplicationRequested is not valid: .*destinations/),
      ],
      ['invalid-request', 'select', expect.stringMatching(/^the ReplicationRequested is not valid: /)],
    ]);
    expect(published('ReplicationStarted')).toEqual([]);
    expect(fake.snapshots.size).toBe(0);
    // A valid one goes on as usual (here refused further on, by what RDS says: the database is not there).
    await onRawReplicationRequested(
      ctx(),
      deps,
      { policy: 'orders-to-staging', scheduledTime: SCHEDULED },
      {
        ...envelope,
        id: 'evt-good',
      },
    );
    const answers = published('ReplicationFailed');
    expect(answers).toHaveLength(3);
    expect(answers[2]!.reason).not.toMatch(/is not valid/);
    expect(answers[2]!.replicationId).toBe(REPLICATION_ID);
  });
});

describe('a replication of an instance encrypted with aws/rds, with a shareable key', () => {
  test('snapshot, re-encrypt with source.kmsKeyId, delete the plain one, share, announce', async () => {
    await sharedAndAnnounced();

    expect(kms.commandCalls(DescribeKeyCommand).map((c) => c.args[0].input.KeyId)).toEqual([
      CMK,
      AWS_RDS_KEY,
    ]);
    expect(calls(CreateDBSnapshotCommand)).toEqual([
      {
        DBInstanceIdentifier: 'orders-db',
        DBSnapshotIdentifier: NAME,
        Tags: tagsOf('replication-intermediate'),
      },
    ]);
    expect(calls(CopyDBSnapshotCommand)).toEqual([
      {
        SourceDBSnapshotIdentifier: arnOf(NAME),
        TargetDBSnapshotIdentifier: SHARED,
        KmsKeyId: CMK,
        Tags: tagsOf('replication'),
      },
    ]);
    expect(calls(DeleteDBSnapshotCommand)).toEqual([{ DBSnapshotIdentifier: NAME }]);
    expect(calls(ModifyDBSnapshotAttributeCommand)).toEqual([
      { DBSnapshotIdentifier: SHARED, AttributeName: 'restore', ValuesToAdd: [DST] },
    ]);
    expect(published('ReplicationStarted')).toEqual([
      expect.objectContaining({
        replicationId: REPLICATION_ID,
        policy: 'orders-to-staging',
        sourceAccount: SRC,
        sourceIdentifier: 'orders-db',
        destinations: [DST],
        scheduledTime: SCHEDULED,
        snapshotIdentifier: NAME,
      }),
    ]);
    expect(published('SnapshotShared')).toEqual([
      {
        replicationId: REPLICATION_ID,
        policy: 'orders-to-staging',
        kind: 'instance',
        sourceAccount: SRC,
        sourceRegion: REGION,
        sourceIdentifier: 'orders-db',
        destinationAccount: DST,
        snapshotIdentifier: SHARED,
        snapshotArn: arnOf(SHARED),
        sourceSnapshotArn: arnOf(SHARED.replace(/-shared$/, '')),
        kmsKeyId: CMK,
        reencrypted: true,
        snapshotCreateTime: new Date(SCHEDULED).toISOString(),
        sharedAt: clock.toISOString(),
      },
    ]);
    expect(published('ReplicationFailed')).toEqual([]);
    expect(fake.sharedWith.get(SHARED)).toEqual([DST]);
  });

  test('answers: received then completed; the snapshot stops being shared, retention keeps the newest', async () => {
    // An older shared snapshot of the policy (no longer shared) and a snapshot made by hand.
    const older = 'rewind-repl-orders-to-staging-202602280300-shared';
    fake.snapshots.set(
      older,
      snapshot(older, 'available', {
        TagList: tagsOf('replication').map((t) =>
          t.Key === 'rewind:scheduled-time'
            ? { ...t, Value: '2026-02-28T03:00:00Z' }
            : t.Key === 'rewind:replication-id'
              ? { ...t, Value: 'repl-orders-to-staging-202602280300' }
              : t,
        ),
      }),
    );
    fake.snapshots.set('by-hand', snapshot('by-hand', 'available'));
    await sharedAndAnnounced();
    bed.rds.resetHistory();

    await received();
    expect((await job()).marks[`ack:${DST}`]).toBeDefined();
    expect(calls(ModifyDBSnapshotAttributeCommand)).toEqual([]);
    await completed();

    expect(calls(ModifyDBSnapshotAttributeCommand)).toEqual([
      { DBSnapshotIdentifier: SHARED, AttributeName: 'restore', ValuesToRemove: [DST] },
    ]);
    expect(calls(DeleteDBSnapshotCommand)).toEqual([{ DBSnapshotIdentifier: older }]);
    expect([...fake.snapshots.keys()].sort()).toEqual(['by-hand', SHARED]);
    const status = sourceStatus(await job());
    expect(status).toMatchObject({
      state: 'finished',
      snapshot: SHARED,
      destinations: [{ account: DST, state: 'completed', unshared: true }],
      retention: { deleted: [older], kept: [`${SHARED} (newest available snapshot: always kept)`] },
    });
    expect(published('ReplicationFailed')).toEqual([]);
    // The finished job ignores what comes later.
    await completed();
    await check();
    expect(calls(ModifyDBSnapshotAttributeCommand)).toHaveLength(1);
  });

  test('a plain snapshot whose deletion was refused goes once every destination answered', async () => {
    ordersDb();
    await requested();
    await rdsFinishes();
    fake.fail.set('DeleteDBSnapshot', [awsError('InvalidDBSnapshotStateFault', 'busy')]);
    await rdsFinishes();
    expect(fake.snapshots.has(NAME)).toBe(true);
    expect(published('SnapshotShared')).toHaveLength(1);
    await received();
    await completed();
    expect(calls(DeleteDBSnapshotCommand)).toEqual([
      { DBSnapshotIdentifier: NAME },
      { DBSnapshotIdentifier: NAME },
    ]);
    expect([...fake.snapshots.keys()]).toEqual([SHARED]);
  });

  test('a repeated firing, check or RDS event changes nothing', async () => {
    ordersDb();
    await requested({}, 'same-event');
    await requested({}, 'same-event');
    await requested({}, 'another-delivery');
    await onSourceRdsEvent(ctx(), deps, {
      kind: 'snapshot',
      name: NAME,
      message: 'Manual snapshot created',
      categories: [],
    });
    expect(calls(CreateDBSnapshotCommand)).toHaveLength(1);
    expect(published('ReplicationStarted')).toHaveLength(1);
    await rdsFinishes();
    await rdsFinishes();
    await check();
    await onSourceRdsEvent(ctx(), deps, {
      kind: 'snapshot',
      name: SHARED,
      message: 'Finished copy',
      categories: [],
    });
    expect(calls(CopyDBSnapshotCommand)).toHaveLength(1);
    expect(calls(ModifyDBSnapshotAttributeCommand)).toHaveLength(1);
    expect(published('SnapshotShared')).toHaveLength(1);
  });

  test('an RDS event moves the job on without waiting for the check', async () => {
    ordersDb();
    await requested();
    fake.snapshots.get(NAME)!.Status = 'available';
    await onSourceRdsEvent(ctx(), deps, {
      kind: 'snapshot',
      name: NAME,
      eventId: 'RDS-EVENT-0042',
      message: '',
      categories: [],
    });
    expect(calls(CopyDBSnapshotCommand)).toHaveLength(1);
  });

  test('throttling is retried by the next check, not failed', async () => {
    ordersDb();
    fake.fail.set('CreateDBSnapshot', [awsError('ThrottlingException', 'Rate exceeded', 400)]);
    await requested();
    expect(fake.snapshots.size).toBe(0);
    expect((await job()).marks['snapshot:requested']).toBeUndefined();
    await check();
    expect(calls(CreateDBSnapshotCommand)).toHaveLength(2);
    expect(fake.snapshots.get(NAME)?.Status).toBe('creating');
    expect(published('ReplicationFailed')).toEqual([]);
  });

  test('the next check comes no later than the ack deadline', async () => {
    await sharedAndAnnounced();
    clock = new Date(clock.getTime() + 55_000);
    await check();
    // LOCAL_WAIT: checks back off to 2 s; the ack deadline (60 s) is 5 s away.
    expect(checks().at(-1)!.delay).toBeLessThanOrEqual(5);
  });
});

describe('the encryption decision, before anything is taken', () => {
  test('aws/rds and no source.kmsKeyId: select fails with the fix, and nothing is created', async () => {
    useDeps([policy({}, { kmsKeyId: undefined })]);
    ordersDb(AWS_RDS_KEY);
    await requested();

    expect(published('ReplicationFailed')).toEqual([
      {
        replicationId: REPLICATION_ID,
        policy: 'orders-to-staging',
        account: SRC,
        sourceAccount: SRC,
        stage: 'select',
        reason: expect.stringContaining('encrypted with the AWS managed key aws/rds'),
        errorCode: 'DefaultKeyNotShareable',
        cleanedUp: [],
        action: expect.stringContaining('rewind replication key-policy --policy orders-to-staging'),
      },
    ]);
    expect(published('ReplicationFailed')[0].action).toContain('set source.kmsKeyId');
    expect(calls(CreateDBSnapshotCommand)).toEqual([]);
    expect(calls(CopyDBSnapshotCommand)).toEqual([]);
    expect(calls(ModifyDBSnapshotAttributeCommand)).toEqual([]);
    expect(calls(DeleteDBSnapshotCommand)).toEqual([]);
    expect(published('ReplicationStarted')).toEqual([]);
    expect(checks()).toEqual([]);
    expect(sourceStatus(await job())).toMatchObject({ state: 'failed', failure: { stage: 'select' } });
    // Asked again: the same job, no second alert.
    await requested();
    expect(published('ReplicationFailed')).toHaveLength(1);
  });

  test('a customer managed key and no source.kmsKeyId: the snapshot is shared as it is', async () => {
    useDeps([policy({}, { kmsKeyId: undefined })]);
    ordersDb(OTHER_CMK);
    await requested();
    await rdsFinishes();
    expect(calls(CopyDBSnapshotCommand)).toEqual([]);
    expect(calls(CreateDBSnapshotCommand)[0]!.Tags).toEqual(tagsOf('replication'));
    expect(calls(ModifyDBSnapshotAttributeCommand)).toEqual([
      { DBSnapshotIdentifier: NAME, AttributeName: 'restore', ValuesToAdd: [DST] },
    ]);
    expect(published('SnapshotShared')).toEqual([
      expect.objectContaining({ snapshotIdentifier: NAME, kmsKeyId: OTHER_CMK, reencrypted: false }),
    ]);
  });

  test('another customer key than source.kmsKeyId: re-encrypted with the policy key', async () => {
    ordersDb(OTHER_CMK);
    await requested();
    await rdsFinishes();
    expect(calls(CopyDBSnapshotCommand)).toEqual([
      expect.objectContaining({ KmsKeyId: CMK, TargetDBSnapshotIdentifier: SHARED }),
    ]);
  });

  test('an unencrypted instance with source.kmsKeyId: encrypted by the copy', async () => {
    ordersDb(null);
    await requested();
    await rdsFinishes();
    expect(calls(CopyDBSnapshotCommand)).toEqual([expect.objectContaining({ KmsKeyId: CMK })]);
    expect(kms.commandCalls(DescribeKeyCommand).map((c) => c.args[0].input.KeyId)).toEqual([CMK]);
  });

  test('source.kmsKeyId that does not exist: select fails naming the key', async () => {
    const missing = `arn:aws:kms:${REGION}:${SRC}:key/missing-9999`;
    useDeps([policy({}, { kmsKeyId: missing })]);
    ordersDb();
    await requested();
    expect(published('ReplicationFailed')).toEqual([
      expect.objectContaining({
        stage: 'select',
        errorCode: 'NotFoundException',
        reason: expect.stringContaining(missing),
      }),
    ]);
    expect(calls(CreateDBSnapshotCommand)).toEqual([]);
  });
});

describe('select refusals', () => {
  test('an unknown policy, a policy of another account, a foreign destination: no RDS call', async () => {
    await requested({ policy: 'no-such-policy' });
    useDeps([policy({}, { account: '444444444444', kmsKeyId: undefined })]);
    await requested({ requestId: 'other-account' });
    useDeps([policy()]);
    await requested({ requestId: 'foreign', scheduledTime: undefined, destinations: [DST2] });
    expect(published('ReplicationFailed').map((f) => [f.stage, f.reason])).toEqual([
      ['select', expect.stringContaining('no replication policy named no-such-policy')],
      ['select', expect.stringContaining('replicates from account 444444444444')],
      ['select', expect.stringContaining(`${DST2} is not a destination of policy orders-to-staging`)],
    ]);
    expect(bed.rds.calls()).toEqual([]);
  });

  test('a database without the opt-in tag, or missing', async () => {
    ordersDb(AWS_RDS_KEY, []);
    await requested();
    fake.instances.clear();
    await requested({ requestId: 'again', scheduledTime: undefined });
    expect(published('ReplicationFailed').map((f) => [f.stage, f.reason, f.action])).toEqual([
      [
        'select',
        expect.stringContaining('has no tag rewind:allow=true'),
        expect.stringContaining('add-tags-to-resource'),
      ],
      [
        'select',
        expect.stringContaining('orders-db does not exist'),
        expect.stringContaining('source.identifier'),
      ],
    ]);
    expect(calls(CreateDBSnapshotCommand)).toEqual([]);
  });
});

describe('failures after the snapshot', () => {
  test('share refused: ReplicationFailed share, what this replication made is deleted', async () => {
    ordersDb();
    fake.fail.set('ModifyDBSnapshotAttribute', [
      awsError('InvalidParameterValue', 'snapshots with permanent options cannot be shared'),
    ]);
    await requested();
    await rdsFinishes();
    await rdsFinishes();

    expect(published('ReplicationFailed')).toEqual([
      {
        replicationId: REPLICATION_ID,
        policy: 'orders-to-staging',
        account: SRC,
        sourceAccount: SRC,
        stage: 'share',
        reason: `sharing ${SHARED} with ${DST} was refused: InvalidParameterValue: snapshots with permanent options cannot be shared`,
        errorCode: 'InvalidParameterValue',
        cleanedUp: [`deleted ${SHARED}`],
        action: expect.stringContaining('rds:ModifyDBSnapshotAttribute'),
      },
    ]);
    expect(calls(DeleteDBSnapshotCommand)).toEqual([
      { DBSnapshotIdentifier: NAME },
      { DBSnapshotIdentifier: SHARED },
    ]);
    expect(fake.snapshots.size).toBe(0);
    expect(published('SnapshotShared')).toEqual([]);
    expect((await job()).marks.done).toBeDefined();
    // The job keeps what the alert said (rewind replication status and the console show it).
    expect(JSON.parse((await job()).marks.alerted!)).toEqual({
      at: expect.any(String),
      cleanedUp: [`deleted ${SHARED}`],
      action: expect.stringContaining('rds:ModifyDBSnapshotAttribute'),
    });
  });

  test('the key cannot be used for the copy: ReplicationFailed encrypt, the plain snapshot deleted', async () => {
    ordersDb();
    fake.fail.set('CopyDBSnapshot', [
      awsError(
        'KMSKeyNotAccessibleFault',
        `The target KMS key [${CMK}] does not exist, is not enabled or you do not have permissions to access it.`,
      ),
    ]);
    await requested();
    await rdsFinishes();
    expect(published('ReplicationFailed')).toEqual([
      expect.objectContaining({
        stage: 'encrypt',
        errorCode: 'KMSKeyNotAccessibleFault',
        reason: expect.stringContaining(CMK),
        cleanedUp: [`deleted ${NAME}`],
        action: expect.stringContaining('rewind replication key-policy --policy orders-to-staging'),
      }),
    ]);
    expect(fake.snapshots.size).toBe(0);
  });

  test('a snapshot not available by the snapshot deadline: failed, deleted once it can be', async () => {
    ordersDb();
    await requested();
    clock = new Date(clock.getTime() + 121_000); // LOCAL_WAIT: snapshot deadline 120 s
    fake.fail.set('DeleteDBSnapshot', [awsError('InvalidDBSnapshotStateFault', 'snapshot is being created')]);
    await check();
    const [failure] = published('ReplicationFailed');
    expect(failure).toMatchObject({ stage: 'snapshot', cleanedUp: [] });
    expect(failure.action).toContain(`aws rds delete-db-snapshot --db-snapshot-identifier ${NAME}`);
    await check();
    expect(fake.snapshots.size).toBe(0);
    expect(published('ReplicationFailed')).toHaveLength(1);
    expect((await job()).marks.done).toBeDefined();
  });
});

describe('destinations that do not take the snapshot', () => {
  test('the destination bus refused the announcement: unshared, cleaned up, ReplicationFailed announce', async () => {
    await sharedAndAnnounced();
    const [shared] = published('SnapshotShared');
    bed.rds.resetHistory();

    await onBounced(ctx(), deps, shared, {
      id: 'dead-lettered',
      'detail-type': 'SnapshotShared',
      source: 'rewind',
      detail: shared,
      account: SRC,
      deadLettered: {
        code: 'AccessDeniedException',
        message: `User: arn:aws:iam::${SRC}:root is not authorized to perform: events:PutEvents on resource: arn:aws:events:${REGION}:${DST}:event-bus/rewind-test`,
        targetArn: `arn:aws:events:${REGION}:${DST}:event-bus/rewind-test`,
      },
    });

    expect(calls(ModifyDBSnapshotAttributeCommand)).toEqual([
      { DBSnapshotIdentifier: SHARED, AttributeName: 'restore', ValuesToRemove: [DST] },
    ]);
    expect(calls(DeleteDBSnapshotCommand)).toEqual([{ DBSnapshotIdentifier: SHARED }]);
    const [failure] = published('ReplicationFailed');
    expect(failure).toEqual({
      replicationId: REPLICATION_ID,
      policy: 'orders-to-staging',
      account: SRC,
      sourceAccount: SRC,
      destinationAccount: DST,
      stage: 'announce',
      reason: expect.stringContaining(
        `the Rewind bus of account ${DST} refused the announcement of ${SHARED}`,
      ),
      errorCode: 'AccessDeniedException',
      cleanedUp: [`${SHARED} no longer shared with ${DST}`, `deleted ${SHARED}`],
      action: expect.stringContaining(`"Principal":{"AWS":"arn:aws:iam::${SRC}:root"}`),
    });
    expect(failure.action).toContain(`arn:aws:events:${REGION}:${DST}:event-bus/rewind-test`);
    expect(fake.snapshots.size).toBe(0);
    expect((await job()).marks.done).toBeDefined();
    expect(JSON.parse((await job()).marks[`alerted:${DST}`]!)).toEqual({
      at: expect.any(String),
      cleanedUp: failure.cleanedUp,
      action: failure.action,
    });
    // The same dead letter again: nothing more.
    await onBounced(ctx(), deps, shared, {
      id: 'dl-2',
      'detail-type': 'SnapshotShared',
      source: 'rewind',
      detail: shared,
      deadLettered: { code: 'x', message: 'y' },
    });
    expect(published('ReplicationFailed')).toHaveLength(1);
  });

  test('no acknowledgement by the ack deadline: unshared, cleaned up, ReplicationFailed "no answer"', async () => {
    await sharedAndAnnounced();
    bed.rds.resetHistory();
    clock = new Date(clock.getTime() + 59_000);
    await check();
    expect(published('ReplicationFailed')).toEqual([]);
    clock = new Date(clock.getTime() + 2_000);
    await check();

    expect(published('ReplicationFailed')).toEqual([
      expect.objectContaining({
        destinationAccount: DST,
        stage: 'announce',
        reason: `account ${DST} did not acknowledge the shared snapshot within 1 min (no ReplicationReceived)`,
        errorCode: 'NoAnswer',
        cleanedUp: [`${SHARED} no longer shared with ${DST}`, `deleted ${SHARED}`],
      }),
    ]);
    expect(fake.snapshots.size).toBe(0);
    // A late answer is kept out: the first outcome stands.
    await received();
    await completed();
    expect(sourceStatus(await job()).destinations).toEqual([
      expect.objectContaining({ account: DST, state: 'no-answer' }),
    ]);
  });

  test('two destinations: one bounces, the other completes; the snapshot is kept for retention', async () => {
    useDeps([
      policy({
        destinations: [
          {
            account: DST,
            kmsKeyId: `arn:aws:kms:${REGION}:${DST}:key/a`,
            mode: 'in-place',
            identifier: 'orders-staging',
          },
          {
            account: DST2,
            kmsKeyId: `arn:aws:kms:${REGION}:${DST2}:key/b`,
            mode: 'versioned',
            prefix: 'orders-copy',
          },
        ],
      }),
    ]);
    await sharedAndAnnounced();
    expect(calls(ModifyDBSnapshotAttributeCommand)).toEqual([
      { DBSnapshotIdentifier: SHARED, AttributeName: 'restore', ValuesToAdd: [DST, DST2] },
    ]);
    const shared = published('SnapshotShared');
    expect(shared.map((s) => s.destinationAccount)).toEqual([DST, DST2]);
    await onBounced(ctx(), deps, shared[1], {
      id: 'dl',
      'detail-type': 'SnapshotShared',
      source: 'rewind',
      detail: shared[1],
      deadLettered: { code: 'AccessDeniedException', message: 'denied' },
    });
    // Alerted at once, the snapshot still shared with the other destination.
    expect(published('ReplicationFailed')).toEqual([
      expect.objectContaining({
        destinationAccount: DST2,
        cleanedUp: [`${SHARED} no longer shared with ${DST2}`],
      }),
    ]);
    expect(fake.sharedWith.get(SHARED)).toEqual([DST]);
    await received(DST);
    await completed(DST);
    expect(fake.snapshots.has(SHARED)).toBe(true);
    expect(fake.sharedWith.get(SHARED)).toEqual([]);
    expect(sourceStatus(await job()).state).toBe('finished');
  });

  test('a destination that failed: its outcome recorded (its own Rewind alerted), no alert here', async () => {
    await sharedAndAnnounced();
    await received();
    await answer('ReplicationFailed', {
      account: DST,
      stage: 'restore',
      reason: 'the restore run failed',
      runId: 'run-x',
      rolledBack: true,
      cleanedUp: [],
      action: 'look at run-x',
    });
    expect(published('ReplicationFailed')).toEqual([]);
    expect(sourceStatus(await job()).destinations).toEqual([
      expect.objectContaining({
        state: 'failed',
        outcome: expect.objectContaining({ stage: 'restore', rolledBack: true }),
      }),
    ]);
    // What the destination cleaned up and says to do, kept for rewind replication status and the console.
    expect(JSON.parse((await job()).marks[`outcome:${DST}`]!)).toMatchObject({
      cleanedUp: [],
      action: 'look at run-x',
    });
    // No destination holds the data: the shared snapshot is deleted.
    expect(fake.snapshots.size).toBe(0);
  });

  test('an unshare AWS refuses is alerted with the command that does it by hand', async () => {
    await sharedAndAnnounced();
    fake.fail.set('ModifyDBSnapshotAttribute', [awsError('InvalidDBSnapshotStateFault', 'snapshot is busy')]);
    await received();
    await completed();
    expect(published('ReplicationFailed')).toEqual([
      expect.objectContaining({
        stage: 'cleanup',
        destinationAccount: DST,
        errorCode: 'UnshareRefused',
        reason: expect.stringContaining('InvalidDBSnapshotStateFault: snapshot is busy'),
        action: `stop sharing it by hand: aws rds modify-db-snapshot-attribute --db-snapshot-identifier ${SHARED} --attribute-name restore --values-to-remove ${DST} --region ${REGION}`,
      }),
    ]);
    expect(sourceStatus(await job()).state).toBe('finished');
  });

  test('throttled unsharing is tried again by the next check', async () => {
    await sharedAndAnnounced();
    fake.fail.set('ModifyDBSnapshotAttribute', [awsError('ThrottlingException', 'Rate exceeded')]);
    await received();
    await completed();
    expect(fake.sharedWith.get(SHARED)).toEqual([DST]);
    expect((await job()).marks.done).toBeUndefined();
    await check();
    expect(fake.sharedWith.get(SHARED)).toEqual([]);
    expect(published('ReplicationFailed')).toEqual([]);
    expect((await job()).marks.done).toBeDefined();
  });

  test('an answer put by another account than the destination it names is ignored', async () => {
    await sharedAndAnnounced();
    await onPeerAnswer(
      ctx(),
      deps,
      'ReplicationCompleted',
      {
        replicationId: REPLICATION_ID,
        policy: 'orders-to-staging',
        sourceAccount: SRC,
        destinationAccount: DST,
      } as unknown as EventDetail<'ReplicationCompleted'>,
      { id: 'forged', 'detail-type': 'ReplicationCompleted', source: 'rewind', detail: {}, account: DST2 },
    );
    expect((await job()).marks[`outcome:${DST}`]).toBeUndefined();
  });
});

describe('an Aurora cluster', () => {
  const clusterArn = (id: string) => `arn:aws:rds:${REGION}:${SRC}:cluster-snapshot:${id}`;
  const clusterSnapshots = new Map<string, DBClusterSnapshot>();
  const clusterPolicy = () => policy({ kind: 'cluster' }, { identifier: 'orders' });

  function answerForClusters(key: string | null) {
    clusterSnapshots.clear();
    bed.rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: 'orders',
          DbClusterResourceId: 'cluster-ORDERS',
          StorageEncrypted: key !== null,
          KmsKeyId: key ?? undefined,
          TagList: [{ Key: 'rewind:allow', Value: 'true' }],
        },
      ],
    });
    bed.rds.on(DescribeDBClusterSnapshotsCommand).callsFake((input) => {
      if (input.DBClusterSnapshotIdentifier) {
        const found = clusterSnapshots.get(input.DBClusterSnapshotIdentifier);
        if (!found) throw awsError('DBClusterSnapshotNotFoundFault', 'not found', 404);
        return { DBClusterSnapshots: [found] };
      }
      return { DBClusterSnapshots: [...clusterSnapshots.values()] };
    });
    const add = (id: string, tags: DBClusterSnapshot['TagList'], kmsKeyId = key ?? undefined) =>
      clusterSnapshots.set(id, {
        DBClusterSnapshotIdentifier: id,
        DBClusterSnapshotArn: clusterArn(id),
        DBClusterIdentifier: 'orders',
        Status: 'creating',
        SnapshotType: 'manual',
        StorageEncrypted: key !== null,
        KmsKeyId: kmsKeyId,
        TagList: tags,
      });
    bed.rds.on(CreateDBClusterSnapshotCommand).callsFake((input) => {
      add(input.DBClusterSnapshotIdentifier!, input.Tags);
      return {};
    });
    bed.rds.on(CopyDBClusterSnapshotCommand).callsFake((input) => {
      add(input.TargetDBClusterSnapshotIdentifier!, input.Tags, input.KmsKeyId);
      return {};
    });
    bed.rds.on(DeleteDBClusterSnapshotCommand).callsFake((input) => {
      clusterSnapshots.delete(input.DBClusterSnapshotIdentifier!);
      return {};
    });
    bed.rds.on(ModifyDBClusterSnapshotAttributeCommand).resolves({});
    bed.rds.on(DescribeDBClusterSnapshotAttributesCommand).resolves({
      DBClusterSnapshotAttributesResult: { DBClusterSnapshotAttributes: [] },
    });
  }
  const finish = async () => {
    for (const c of clusterSnapshots.values()) c.Status = 'available';
    await check();
  };

  test('encrypted with aws/rds: the cluster snapshot is copied with the key and the copy shared', async () => {
    useDeps([clusterPolicy()]);
    answerForClusters(AWS_RDS_KEY);
    await requested();
    await finish();
    await finish();
    expect(calls(CreateDBClusterSnapshotCommand)).toEqual([
      { DBClusterIdentifier: 'orders', DBClusterSnapshotIdentifier: NAME, Tags: expect.any(Array) },
    ]);
    expect(calls(CopyDBClusterSnapshotCommand)).toEqual([
      {
        SourceDBClusterSnapshotIdentifier: clusterArn(NAME),
        TargetDBClusterSnapshotIdentifier: SHARED,
        KmsKeyId: CMK,
        Tags: expect.arrayContaining([{ Key: 'rewind:source', Value: 'orders' }]),
      },
    ]);
    expect(calls(DeleteDBClusterSnapshotCommand)).toEqual([{ DBClusterSnapshotIdentifier: NAME }]);
    expect(calls(ModifyDBClusterSnapshotAttributeCommand)).toEqual([
      { DBClusterSnapshotIdentifier: SHARED, AttributeName: 'restore', ValuesToAdd: [DST] },
    ]);
    expect(published('SnapshotShared')).toEqual([
      expect.objectContaining({ kind: 'cluster', snapshotArn: clusterArn(SHARED), reencrypted: true }),
    ]);
  });

  test('unencrypted: shared as it is (a cluster copy refuses a key for an unencrypted source)', async () => {
    useDeps([clusterPolicy()]);
    answerForClusters(null);
    await requested();
    await finish();
    expect(calls(CopyDBClusterSnapshotCommand)).toEqual([]);
    expect(calls(ModifyDBClusterSnapshotAttributeCommand)).toEqual([
      { DBClusterSnapshotIdentifier: NAME, AttributeName: 'restore', ValuesToAdd: [DST] },
    ]);
    expect(published('SnapshotShared')).toEqual([
      expect.objectContaining({ snapshotIdentifier: NAME, kmsKeyId: null, reencrypted: false }),
    ]);
  });
});
