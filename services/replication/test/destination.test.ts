import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  DeleteDBClusterCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  type DBCluster,
  type DBInstance,
  type DBSnapshot,
} from '@aws-sdk/client-rds';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  idempotencyKey,
  JobStore,
  newRunId,
  replicationPolicySchema,
  type Envelope,
  type EventDetail,
  type Job,
  type ReplicationPolicyInput,
} from '@rewind/shared';
import { startDynalite } from '@rewind/shared/src/testing/dynalite';
import { runFixture } from '@rewind/shared/src/testing/fixtures';
import { testContext } from '@rewind/shared/src/testing/context';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import type { ReplicationDeps } from '../src/deps';
import {
  DESTINATION_CHECK_TYPE,
  onDestinationCheck,
  onDestinationRdsEvent,
  onRunEvent,
  onSnapshotShared,
} from '../src/destination';
import { destinationStore, jobsOf } from '../src/destinationJobs';
import { pruneVersions } from '../src/destinationVersions';

const bed = useServiceTestBed();
const secrets = mockClient(SecretsManagerClient);
const SRC = '111111111111';
const DST = '222222222222';
const REGION = 'us-east-1';
const DST_KEY = `arn:aws:kms:${REGION}:${DST}:key/dst-key`;
const SRC_KEY = `arn:aws:kms:${REGION}:${SRC}:key/src-key`;

const policyOf = (input: Omit<ReplicationPolicyInput, 'source'>) =>
  replicationPolicySchema.parse({
    source: { account: SRC, region: REGION, identifier: 'orders-db', kmsKeyId: SRC_KEY },
    ...input,
  });
const IN_PLACE = policyOf({
  name: 'orders-staging',
  destinations: [{ account: DST, kmsKeyId: DST_KEY, mode: 'in-place', identifier: 'orders-staging' }],
});
const VERSIONED = policyOf({
  name: 'orders-copies',
  destinations: [
    {
      account: DST,
      kmsKeyId: DST_KEY,
      mode: 'versioned',
      prefix: 'orders-copy',
      keep: 1,
      template: 'orders-template',
      secret: { id: 'staging/orders', field: 'host' },
    },
  ],
});

// ---- a small RDS of the destination account -------------------------------------------------------

const snapshots = new Map<string, DBSnapshot>();
const instances = new Map<string, DBInstance>();
const snapshotArn = (account: string, name: string) => `arn:aws:rds:${REGION}:${account}:snapshot:${name}`;

function instance(id: string, resourceId: string, extra: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: id,
    DbiResourceId: resourceId,
    DBInstanceStatus: 'available',
    Endpoint: { Address: `${id}.abc.${REGION}.rds.amazonaws.com`, Port: 5432 },
    DeletionProtection: false,
    TagList: [{ Key: 'rewind:allow', Value: 'true' }],
    ...extra,
  };
}

const notFound = (name: string) => Object.assign(new Error(`${name} not found`), { name, $fault: 'client' });

function fakeRds() {
  bed.rds.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier?: string }) => {
    if (input.DBSnapshotIdentifier) {
      const s = snapshots.get(input.DBSnapshotIdentifier);
      if (!s) throw notFound('DBSnapshotNotFoundFault');
      return { DBSnapshots: [s] };
    }
    return { DBSnapshots: [...snapshots.values()] };
  });
  bed.rds
    .on(CopyDBSnapshotCommand)
    .callsFake((input: { TargetDBSnapshotIdentifier: string; Tags?: { Key: string; Value: string }[] }) => {
      if (snapshots.has(input.TargetDBSnapshotIdentifier))
        throw Object.assign(new Error('A snapshot with the identifier already exists.'), {
          name: 'DBSnapshotAlreadyExistsFault',
          $fault: 'client',
        });
      const s: DBSnapshot = {
        DBSnapshotIdentifier: input.TargetDBSnapshotIdentifier,
        DBSnapshotArn: snapshotArn(DST, input.TargetDBSnapshotIdentifier),
        DBInstanceIdentifier: 'orders-db',
        Status: 'copying',
        SnapshotType: 'manual',
        SnapshotCreateTime: new Date(),
        Encrypted: true,
        TagList: input.Tags,
      };
      snapshots.set(s.DBSnapshotIdentifier!, s);
      return { DBSnapshot: s };
    });
  bed.rds.on(DeleteDBSnapshotCommand).callsFake((input: { DBSnapshotIdentifier: string }) => {
    if (!snapshots.delete(input.DBSnapshotIdentifier)) throw notFound('DBSnapshotNotFoundFault');
    return {};
  });
  bed.rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => {
    if (input.DBInstanceIdentifier) {
      const i = instances.get(input.DBInstanceIdentifier);
      if (!i) throw notFound('DBInstanceNotFoundFault');
      return { DBInstances: [i] };
    }
    return { DBInstances: [...instances.values()] };
  });
  bed.rds
    .on(ModifyDBInstanceCommand)
    .callsFake((input: { DBInstanceIdentifier: string; DeletionProtection?: boolean }) => {
      const i = instances.get(input.DBInstanceIdentifier);
      if (!i) throw notFound('DBInstanceNotFoundFault');
      if (input.DeletionProtection !== undefined) i.DeletionProtection = input.DeletionProtection;
      return { DBInstance: i };
    });
  bed.rds.on(DeleteDBInstanceCommand).callsFake((input: { DBInstanceIdentifier: string }) => {
    const i = instances.get(input.DBInstanceIdentifier);
    if (!i) throw notFound('DBInstanceNotFoundFault');
    if (i.DeletionProtection)
      throw Object.assign(new Error('Cannot delete protected DB Instance'), {
        name: 'InvalidParameterCombination',
        $fault: 'client',
      });
    i.DBInstanceStatus = 'deleting';
    return { DBInstance: i };
  });
}

const sent = <I extends object>(command: new (input: I) => unknown) =>
  bed.rds.commandCalls(command as never).map((c) => c.args[0].input as I);

// ---- the service --------------------------------------------------------------------------------------

let jobsDb: Awaited<ReturnType<typeof startDynalite>>;
let deps: ReplicationDeps;
const ctx = () => testContext('replication', bed.store);
const rdsClient = new RDSClient({
  region: REGION,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});
const smClient = new SecretsManagerClient({
  region: REGION,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});

beforeAll(async () => {
  jobsDb = await startDynalite('replication-destination-jobs');
});
afterAll(async () => jobsDb.stop());
beforeEach(() => {
  snapshots.clear();
  instances.clear();
  secrets.reset();
  fakeRds();
  // The in-place destination database, opted in.
  instances.set('orders-staging', instance('orders-staging', 'db-STAGING'));
  deps = {
    jobs: new JobStore<Job & Record<string, unknown>>(jobsDb.client, jobsDb.tableName),
    accountId: DST,
    homeRegion: REGION,
    policies: [IN_PLACE, VERSIONED],
    rdsIn: () => rdsClient,
    secretsIn: () => smClient,
    kmsIn: () => {
      throw new Error('the destination side calls no KMS API of its own');
    },
  };
});

let replications = 0;
/** A SnapshotShared from the source account, as the destination's bus delivers it. */
function announcement(policy: string, overrides: Partial<EventDetail<'SnapshotShared'>> = {}) {
  const n = ++replications;
  const name = `rewind-repl-${policy}-2026120503${String(n).padStart(2, '0')}-shared`;
  const detail: EventDetail<'SnapshotShared'> = {
    replicationId: `repl-${policy}-${n}`,
    policy,
    kind: 'instance',
    sourceAccount: SRC,
    sourceRegion: REGION,
    sourceIdentifier: 'orders-db',
    destinationAccount: DST,
    snapshotIdentifier: name,
    snapshotArn: snapshotArn(SRC, name),
    sourceSnapshotArn: snapshotArn(SRC, name.replace(/-shared$/, '')),
    kmsKeyId: SRC_KEY,
    reencrypted: true,
    sharedAt: new Date().toISOString(),
    ...overrides,
  };
  const envelope: Envelope = {
    id: `evt-${n}`,
    'detail-type': 'SnapshotShared',
    source: 'rewind',
    account: SRC,
    region: REGION,
    detail,
  };
  return { detail, envelope, copy: name.replace(/-shared$/, '-copy') };
}

const published = (type: string) => bed.published().filter((e) => e.type === type);

/** The copy finishes: RDS shows it available and sends RDS-EVENT-0197. */
async function copyFinishes(copy: string) {
  snapshots.get(copy)!.Status = 'available';
  await onDestinationRdsEvent(ctx(), deps, {
    kind: 'snapshot',
    name: copy,
    eventId: 'RDS-EVENT-0197',
    message: `Finished copy of snapshot ${copy}`,
    categories: ['notification'],
  });
}

function runBlock(id: string, identifier: string, task: 'db_restore' | 'clone') {
  return {
    id,
    identifier,
    kind: 'instance' as const,
    task,
    strategy: 'in-place' as const,
    plan: [],
    next: null,
  };
}

async function runStartsAndCompletes(
  requestId: string,
  runId: string,
  identifier: string,
  task: 'db_restore' | 'clone',
) {
  const run = runBlock(runId, identifier, task);
  await onRunEvent(ctx(), deps, 'RunStarted', {
    run,
    requestId,
    startedAt: new Date().toISOString(),
  } as EventDetail<'RunStarted'>);
  await onRunEvent(ctx(), deps, 'RunCompleted', {
    run,
    durationMs: 1000,
    warnings: [],
  } as unknown as EventDetail<'RunCompleted'>);
}

describe('trust: only this account’s own copy of the policy counts', () => {
  test('an unknown policy is refused at receive, once per delivered event, and nothing is copied', async () => {
    const { detail, envelope } = announcement('orders-unknown');

    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onSnapshotShared(ctx(), deps, detail, envelope);

    const failed = published('ReplicationFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({
      replicationId: detail.replicationId,
      account: DST,
      sourceAccount: SRC,
      destinationAccount: DST,
      stage: 'receive',
      cleanedUp: [],
    });
    expect(failed[0]!.detail.reason).toMatch(
      /no replication policy "orders-unknown" in account 222222222222/,
    );
    expect(failed[0]!.detail.action).toMatch(/same rewind.config.json in both accounts/);
    expect(published('ReplicationReceived')).toHaveLength(0);
    expect(sent(CopyDBSnapshotCommand)).toHaveLength(0);
  });

  test('an announcement put by another account than the policy’s source is refused', async () => {
    const { detail, envelope } = announcement('orders-staging');

    await onSnapshotShared(ctx(), deps, detail, { ...envelope, account: '333333333333' });

    const [failed] = published('ReplicationFailed');
    expect(failed!.detail).toMatchObject({ stage: 'receive', account: DST });
    expect(failed!.detail.reason).toMatch(
      /came from 333333333333 .*policy orders-staging here replicates from account 111111111111/,
    );
    expect(sent(CopyDBSnapshotCommand)).toHaveLength(0);
  });
});

describe('the in-place destination, before anything is copied', () => {
  test.each([
    ['missing', undefined, /orders-staging of policy orders-staging does not exist in account 222222222222/],
    ['not opted in', instance('orders-staging', 'db-X', { TagList: [] }), /has no tag rewind:allow=true/],
  ])('%s: a receive failure, nothing copied', async (_case, db, reason) => {
    if (db) instances.set('orders-staging', db);
    else instances.delete('orders-staging');
    const { detail, envelope } = announcement('orders-staging');

    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });

    const failed = published('ReplicationFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({ stage: 'receive', cleanedUp: [] });
    expect(failed[0]!.detail.reason).toMatch(reason);
    expect(sent(CopyDBSnapshotCommand)).toHaveLength(0);
  });
});

describe('an Aurora cluster destination, before anything is copied', () => {
  const clusterPolicy = (name: string, destination: Record<string, unknown>) =>
    policyOf({
      name,
      kind: 'cluster',
      destinations: [{ account: DST, kmsKeyId: DST_KEY, ...destination } as never],
    });
  const clusters = new Map<string, DBCluster>();
  const clusterArn = (id: string) => `arn:aws:rds:${REGION}:${DST}:cluster:${id}`;
  /** A cluster of the destination account with a writer and a reader; `untagged` members lack the opt-in tag. */
  function cluster(id: string, untagged: string[] = []) {
    const members = [`${id}-1`, `${id}-2`];
    clusters.set(id, {
      DBClusterIdentifier: id,
      DBClusterArn: clusterArn(id),
      DbClusterResourceId: `cluster-${id}`,
      Status: 'available',
      TagList: [{ Key: 'rewind:allow', Value: 'true' }],
      DBClusterMembers: members.map((m, i) => ({ DBInstanceIdentifier: m, IsClusterWriter: i === 0 })),
    });
    for (const m of members)
      instances.set(
        m,
        instance(m, `db-${m}`, {
          DBClusterIdentifier: id,
          DBInstanceArn: `arn:aws:rds:${REGION}:${DST}:db:${m}`,
          ...(untagged.includes(m) ? { TagList: [{ Key: 'team', Value: 'payments' }] } : {}),
        }),
      );
  }
  beforeEach(() => {
    clusters.clear();
    bed.rds.on(DescribeDBClustersCommand).callsFake((input: { DBClusterIdentifier?: string }) => {
      const c = clusters.get(input.DBClusterIdentifier!);
      if (!c) throw notFound('DBClusterNotFoundFault');
      return { DBClusters: [c] };
    });
    bed.rds.on(DescribeDBClusterSnapshotsCommand).rejects(notFound('DBClusterSnapshotNotFoundFault'));
    bed.rds.on(CopyDBClusterSnapshotCommand).resolves({});
  });

  async function receive(policy: ReturnType<typeof policyOf>, overrides = {}) {
    deps.policies = [policy];
    const { detail, envelope, copy } = announcement(policy.name, { kind: 'cluster', ...overrides });
    detail.snapshotArn = detail.snapshotArn.replace(':snapshot:', ':cluster-snapshot:');
    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });
    const failed = published('ReplicationFailed').map((e) => e.detail);
    return Object.assign(failed, { shared: detail.snapshotArn, copy });
  }

  test('in place: a member without the opt-in tag fails at receive, with the command for it, nothing copied', async () => {
    cluster('pay-staging', ['pay-staging-2']);

    const failed = await receive(
      clusterPolicy('pay-inplace', { mode: 'in-place', identifier: 'pay-staging' }),
    );

    expect([...failed]).toEqual([expect.objectContaining({ stage: 'receive', cleanedUp: [] })]);
    expect(failed[0]!.reason).toBe(
      'the destination cluster pay-staging of policy pay-inplace is not opted in: member pay-staging-2 has no tag rewind:allow=true (a restore changes each member of a cluster under its own tags): Rewind does not restore it; nothing was copied',
    );
    expect(failed[0]!.action).toBe(
      `tag it: aws rds add-tags-to-resource --resource-name arn:aws:rds:${REGION}:${DST}:db:pay-staging-2 --tags Key=rewind:allow,Value=true; then run the replication again (rewind replicate)`,
    );
    expect(sent(CopyDBClusterSnapshotCommand)).toHaveLength(0);
  });

  test('in place, all opted in: the copy starts; an unencrypted shared snapshot is copied without a key', async () => {
    cluster('pay-staging');

    const failed = await receive(
      clusterPolicy('pay-plain', { mode: 'in-place', identifier: 'pay-staging' }),
      {
        kmsKeyId: null,
        reencrypted: false,
      },
    );

    expect([...failed]).toEqual([]);
    expect(sent(CopyDBClusterSnapshotCommand)).toEqual([
      {
        SourceDBClusterSnapshotIdentifier: failed.shared,
        TargetDBClusterSnapshotIdentifier: failed.copy,
        KmsKeyId: undefined,
        Tags: expect.arrayContaining([{ Key: 'rewind:replication', Value: 'pay-plain' }]),
      },
    ]);
  });

  test('versioned: the template and its members must opt in; a missing template fails too, nothing copied', async () => {
    cluster('pay-template', ['pay-template-1', 'pay-template-2']);
    const versioned = { mode: 'versioned', prefix: 'pay-v', keep: 1 };

    const untagged = await receive(clusterPolicy('pay-tpl', { ...versioned, template: 'pay-template' }));
    const missing = await receive(clusterPolicy('pay-gone', { ...versioned, template: 'pay-old' }));

    expect(untagged[0]).toMatchObject({ stage: 'receive' });
    expect(untagged[0]!.reason).toMatch(
      /^the template cluster pay-template of policy pay-tpl is not opted in: member pay-template-1, member pay-template-2 have no tag rewind:allow=true/,
    );
    expect(untagged[0]!.action).toMatch(
      /^tag them: aws rds add-tags-to-resource .*db:pay-template-1 .* && aws rds/,
    );
    expect(missing[1]).toMatchObject({ stage: 'receive' });
    expect(missing[1]!.reason).toBe(
      `the template cluster pay-old of policy pay-gone does not exist in account ${DST} (${REGION}): nothing was copied`,
    );
    expect(missing[1]!.action).toMatch(/correct destinations\[\]\.template of policy pay-gone/);
    expect(sent(CopyDBClusterSnapshotCommand)).toHaveLength(0);
  });
});

describe('copy', () => {
  test('a key the destination cannot use fails the copy stage naming the key and the fix', async () => {
    bed.rds
      .on(CopyDBSnapshotCommand)
      .rejects(
        Object.assign(
          new Error(
            `The source snapshot KMS key [${SRC_KEY}] does not exist, is not enabled or you do not have permissions to access it.`,
          ),
          { name: 'KMSKeyNotAccessibleFault', $fault: 'client' },
        ),
      );
    const { detail, envelope, copy } = announcement('orders-staging');

    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });

    expect(sent(CopyDBSnapshotCommand)).toEqual([
      expect.objectContaining({
        SourceDBSnapshotIdentifier: detail.snapshotArn,
        TargetDBSnapshotIdentifier: copy,
        KmsKeyId: DST_KEY,
      }),
    ]);
    const failed = published('ReplicationFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({
      stage: 'copy',
      errorCode: 'KMSKeyNotAccessibleFault',
      account: DST,
      cleanedUp: [],
    });
    expect(failed[0]!.detail.reason).toContain(SRC_KEY);
    expect(failed[0]!.detail.action).toContain(`${SRC_KEY} must let account ${DST} use it`);
    expect(failed[0]!.detail.action).toContain('kms:CreateGrant');
    expect(published('RestoreRequested')).toHaveLength(0);
    // The job keeps the failure as the event said it (rewind replication status and the console show it).
    expect(await deps.jobs.get(`REPLDST#${detail.replicationId}`)).toMatchObject({
      failure: {
        stage: 'copy',
        reason: failed[0]!.detail.reason,
        action: failed[0]!.detail.action,
        cleanedUp: [],
        errorCode: 'KMSKeyNotAccessibleFault',
      },
    });
  });
});

describe('a snapshot under the copy’s name that is not this replication’s', () => {
  test('is neither restored from nor deleted: a copy failure', async () => {
    const { detail, envelope, copy } = announcement('orders-staging');
    snapshots.set(copy, {
      DBSnapshotIdentifier: copy,
      DBSnapshotArn: snapshotArn(DST, copy),
      Status: 'available',
      SnapshotType: 'manual',
      TagList: [{ Key: 'team', Value: 'payments' }],
    });

    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });

    const [failed] = published('ReplicationFailed');
    expect(failed!.detail).toMatchObject({ stage: 'copy', cleanedUp: [] });
    expect(failed!.detail.reason).toMatch(/is not the copy of replication/);
    expect(published('RestoreRequested')).toHaveLength(0);
    expect(sent(DeleteDBSnapshotCommand)).toHaveLength(0);
    expect(snapshots.has(copy)).toBe(true);
  });
});

describe('in place', () => {
  test('copy, RestoreRequested for the destination database, completion with lineage; repeats change nothing', async () => {
    instances.set('orders-staging', instance('orders-staging', 'db-STAGING'));
    // An older copy of this policy (retention keeps the newest 1) and a snapshot that is not ours.
    const old = 'rewind-repl-orders-staging-202611010300-copy';
    snapshots.set(old, {
      DBSnapshotIdentifier: old,
      DBSnapshotArn: snapshotArn(DST, old),
      Status: 'available',
      SnapshotType: 'manual',
      SnapshotCreateTime: new Date('2026-11-01T03:00:00Z'),
      TagList: [
        { Key: 'rewind:created-by', Value: 'rewind' },
        { Key: 'rewind:purpose', Value: 'replication-copy' },
        { Key: 'rewind:replication', Value: 'orders-staging' },
      ],
    });
    snapshots.set('someone-elses', {
      DBSnapshotIdentifier: 'someone-elses',
      Status: 'available',
      SnapshotType: 'manual',
      SnapshotCreateTime: new Date('2026-10-01T03:00:00Z'),
    });
    const { detail, envelope, copy } = announcement('orders-staging');

    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });
    await onSnapshotShared(ctx(), deps, detail, envelope); // the announcement again

    expect(published('ReplicationReceived').map((e) => e.detail)).toEqual([
      expect.objectContaining({
        replicationId: detail.replicationId,
        policy: 'orders-staging',
        sourceAccount: SRC,
        destinationAccount: DST,
        mode: 'in-place',
        copyIdentifier: copy,
      }),
    ]);
    expect(sent(CopyDBSnapshotCommand)).toEqual([
      {
        SourceDBSnapshotIdentifier: detail.snapshotArn,
        TargetDBSnapshotIdentifier: copy,
        KmsKeyId: DST_KEY,
        Tags: [
          { Key: 'rewind:created-by', Value: 'rewind' },
          { Key: 'rewind:purpose', Value: 'replication-copy' },
          { Key: 'rewind:source', Value: 'orders-db' },
          { Key: 'rewind:replication', Value: 'orders-staging' },
          { Key: 'rewind:replication-id', Value: detail.replicationId },
        ],
      },
    ]);
    expect(published('RestoreRequested')).toHaveLength(0);

    await copyFinishes(copy);
    await copyFinishes(copy); // RDS-EVENT-0197 delivered twice

    expect(published('RestoreRequested').map((e) => e.detail)).toEqual([
      {
        identifier: 'orders-staging',
        task: 'db_restore',
        snapshotIdentifier: copy,
        snapshotOf: 'orders-db',
        strategy: 'in-place',
        isCluster: false,
        requestId: `replication/${detail.replicationId}`,
      },
    ]);

    await runStartsAndCompletes(
      `replication/${detail.replicationId}`,
      'run-inplace-1',
      'orders-staging',
      'db_restore',
    );
    await runStartsAndCompletes(
      `replication/${detail.replicationId}`,
      'run-inplace-1',
      'orders-staging',
      'db_restore',
    );

    const completed = published('ReplicationCompleted');
    expect(completed).toHaveLength(1);
    expect(completed[0]!.detail).toMatchObject({
      replicationId: detail.replicationId,
      mode: 'in-place',
      identifier: 'orders-staging',
      resourceId: 'db-STAGING',
      endpoint: { address: `orders-staging.abc.${REGION}.rds.amazonaws.com`, port: 5432 },
      runId: 'run-inplace-1',
      destinationAccount: DST,
      destinationRegion: REGION,
      lineage: {
        sourceSnapshotArn: detail.snapshotArn.replace(/-shared$/, ''),
        sharedSnapshotArn: detail.snapshotArn,
        copySnapshotArn: snapshotArn(DST, copy),
      },
    });
    // Retention: the older copy of the policy went, the new one and the snapshot not ours stayed.
    expect(sent(DeleteDBSnapshotCommand)).toEqual([{ DBSnapshotIdentifier: old }]);
    expect([...snapshots.keys()].sort()).toEqual([copy, 'someone-elses'].sort());
    expect(published('ReplicationFailed')).toHaveLength(0);
  });

  test('RunFailed: a restore failure saying whether the database rolled back, the copy removed', async () => {
    instances.set('orders-staging', instance('orders-staging', 'db-STAGING'));
    const { detail, envelope, copy } = announcement('orders-staging');
    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });
    await copyFinishes(copy);
    const run = runBlock('run-inplace-2', 'orders-staging', 'db_restore');
    await onRunEvent(ctx(), deps, 'RunStarted', {
      run,
      requestId: `replication/${detail.replicationId}`,
      startedAt: new Date().toISOString(),
    } as EventDetail<'RunStarted'>);

    const failure = {
      run,
      failedStep: 'restore',
      reason: 'the restored instance never became available',
      rolledBack: true,
      durationMs: 5000,
    } as EventDetail<'RunFailed'>;
    await onRunEvent(ctx(), deps, 'RunFailed', failure);
    await onRunEvent(ctx(), deps, 'RunFailed', failure);

    const failed = published('ReplicationFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({
      stage: 'restore',
      runId: 'run-inplace-2',
      rolledBack: true,
      account: DST,
      cleanedUp: [`DB snapshot ${copy} (the copy in account ${DST})`],
    });
    expect(failed[0]!.detail.reason).toMatch(
      /run-inplace-2 of orders-staging failed at restore: the restored instance never/,
    );
    expect(failed[0]!.detail.action).toMatch(/orders-staging is back as it was/);
    expect(sent(DeleteDBSnapshotCommand)).toEqual([{ DBSnapshotIdentifier: copy }]);
    expect(published('ReplicationCompleted')).toHaveLength(0);
  });
});

describe('versioned', () => {
  test('clone to <prefix>-<n+1> from the newest version, secret updated, older versions pruned only by resource id', async () => {
    // Recorded versions: 1 (since replaced by another database under its name) and 2 (ours).
    instances.set('orders-template', instance('orders-template', 'db-TEMPLATE'));
    instances.set('orders-copy-1', instance('orders-copy-1', 'db-SOMEONE-ELSES'));
    // Version 2 took the template's deletion protection.
    instances.set('orders-copy-2', instance('orders-copy-2', 'db-V2', { DeletionProtection: true }));
    const store = destinationStore(deps);
    const item = await store.versions('orders-copies', new Date());
    await store.setVersions(item, [
      {
        identifier: 'orders-copy-1',
        number: 1,
        resourceId: 'db-V1',
        replicationId: 'repl-a',
        createdAt: '2026-11-01T03:00:00Z',
      },
      {
        identifier: 'orders-copy-2',
        number: 2,
        resourceId: 'db-V2',
        replicationId: 'repl-b',
        createdAt: '2026-11-02T03:00:00Z',
      },
    ]);
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ host: 'old', username: 'app' }) });
    secrets.on(PutSecretValueCommand).resolves({});
    const { detail, envelope, copy } = announcement('orders-copies');

    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });
    await copyFinishes(copy);

    expect(published('RestoreRequested').map((e) => e.detail)).toEqual([
      {
        identifier: 'orders-copy-2',
        task: 'clone',
        targetIdentifier: 'orders-copy-3',
        snapshotIdentifier: copy,
        snapshotOf: 'orders-db',
        strategy: 'in-place',
        isCluster: false,
        requestId: `replication/${detail.replicationId}`,
        acceptKmsKeyId: DST_KEY,
      },
    ]);

    instances.set('orders-copy-3', instance('orders-copy-3', 'db-V3'));
    await runStartsAndCompletes(
      `replication/${detail.replicationId}`,
      'run-clone-3',
      'orders-copy-3',
      'clone',
    );

    expect(secrets.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      {
        SecretId: 'staging/orders',
        SecretString: JSON.stringify({
          host: `orders-copy-3.abc.${REGION}.rds.amazonaws.com`,
          username: 'app',
          port: 5432,
        }),
      },
    ]);
    // keep 1: version 2 is deleted (its protection lifted first); version 1's name now holds another
    // database: NOT deleted, nor modified.
    expect(sent(ModifyDBInstanceCommand)).toEqual([
      { DBInstanceIdentifier: 'orders-copy-2', DeletionProtection: false, ApplyImmediately: true },
    ]);
    expect(sent(DeleteDBInstanceCommand)).toEqual([
      { DBInstanceIdentifier: 'orders-copy-2', SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
    ]);
    expect(instances.get('orders-copy-1')!.DBInstanceStatus).toBe('available');
    const [completed] = published('ReplicationCompleted');
    expect(completed!.detail).toMatchObject({
      mode: 'versioned',
      identifier: 'orders-copy-3',
      resourceId: 'db-V3',
      runId: 'run-clone-3',
      secret: { id: 'staging/orders', field: 'host', value: `orders-copy-3.abc.${REGION}.rds.amazonaws.com` },
      versions: { kept: ['orders-copy-3'], deleted: ['orders-copy-2'] },
    });
    expect(completed!.detail.warnings).toEqual([
      expect.stringMatching(
        /orders-copy-1 was not deleted: it is now another database \(resource id db-SOMEONE-ELSES, not db-V1/,
      ),
    ]);
    // What is recorded now: version 3, and 2 until RDS no longer shows it; 1 is no longer ours.
    const recorded = (await store.versions('orders-copies', new Date())).versions.map((v) => v.identifier);
    expect(recorded.sort()).toEqual(['orders-copy-2', 'orders-copy-3']);
  });

  test('the first version clones the template; an absent secret is created', async () => {
    instances.set('orders-template', instance('orders-template', 'db-TEMPLATE'));
    secrets.on(GetSecretValueCommand).rejects(
      Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
        $fault: 'client',
      }),
    );
    secrets.on(CreateSecretCommand).resolves({});
    deps.policies = [policyOf({ ...VERSIONED, name: 'orders-fresh' })];
    const { detail, envelope, copy } = announcement('orders-fresh');

    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });
    await copyFinishes(copy);
    const [request] = published('RestoreRequested');
    expect(request!.detail).toMatchObject({
      identifier: 'orders-template',
      targetIdentifier: 'orders-copy-1',
    });

    instances.set('orders-copy-1', instance('orders-copy-1', 'db-FIRST'));
    await runStartsAndCompletes(
      `replication/${detail.replicationId}`,
      'run-clone-1',
      'orders-copy-1',
      'clone',
    );

    expect(secrets.commandCalls(CreateSecretCommand)[0]!.args[0].input).toMatchObject({
      Name: 'staging/orders',
      SecretString: JSON.stringify({ host: `orders-copy-1.abc.${REGION}.rds.amazonaws.com`, port: 5432 }),
    });
    expect(published('ReplicationCompleted')[0]!.detail).toMatchObject({
      identifier: 'orders-copy-1',
      versions: { kept: ['orders-copy-1'], deleted: [] },
    });
  });

  test('a secret that is not JSON fails the secret stage; the new version stays recorded', async () => {
    instances.set('orders-template', instance('orders-template', 'db-TEMPLATE'));
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'host=old' });
    deps.policies = [policyOf({ ...VERSIONED, name: 'orders-plain' })];
    const { detail, envelope, copy } = announcement('orders-plain');
    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });
    await copyFinishes(copy);
    instances.set('orders-copy-1', instance('orders-copy-1', 'db-FIRST'));

    await runStartsAndCompletes(
      `replication/${detail.replicationId}`,
      'run-clone-p',
      'orders-copy-1',
      'clone',
    );

    const [failed] = published('ReplicationFailed');
    expect(failed!.detail).toMatchObject({ stage: 'secret', runId: 'run-clone-p' });
    expect(failed!.detail.reason).toMatch(/secret staging\/orders is not a JSON object/);
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    const store = destinationStore(deps);
    expect((await store.versions('orders-plain', new Date())).versions).toEqual([
      expect.objectContaining({ identifier: 'orders-copy-1', resourceId: 'db-FIRST' }),
    ]);
  });
});

describe('restore refused', () => {
  test('RestoreRejected for this replication: a restore failure with the reason, nothing changed, the copy removed', async () => {
    const { detail, envelope, copy } = announcement('orders-staging');
    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });
    await copyFinishes(copy);

    await onRunEvent(ctx(), deps, 'RestoreRejected', {
      runId: 'run-rejected-1',
      identifier: 'orders-staging',
      requestId: `replication/${detail.replicationId}`,
      code: 'not-opted-in',
      reason: 'orders-staging has no tag rewind:allow=true',
      request: {},
    });
    // Another request's rejection is none of this service's business.
    await onRunEvent(ctx(), deps, 'RestoreRejected', {
      runId: 'run-rejected-2',
      requestId: 'my-team-42',
      code: 'invalid-input',
      reason: 'whatever',
      request: {},
    });

    const failed = published('ReplicationFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({
      stage: 'restore',
      errorCode: 'not-opted-in',
      runId: 'run-rejected-1',
      cleanedUp: [`DB snapshot ${copy} (the copy in account ${DST})`],
    });
    expect(failed[0]!.detail.reason).toMatch(/rejected \(not-opted-in\): orders-staging has no tag/);
    expect(failed[0]!.detail.action).toMatch(/nothing was changed; tag orders-staging with the opt-in tag/);
  });

  const { template: _template, ...noTemplate } = VERSIONED.destinations[0] as Extract<
    (typeof VERSIONED.destinations)[number],
    { mode: 'versioned' }
  >;

  test('versioned with no version and no template: a receive failure saying to name a template, nothing copied', async () => {
    deps.policies = [policyOf({ ...VERSIONED, name: 'orders-bare', destinations: [noTemplate] })];
    const { detail, envelope } = announcement('orders-bare');
    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });

    expect(sent(CopyDBSnapshotCommand)).toHaveLength(0);
    expect(published('RestoreRequested')).toHaveLength(0);
    const [failed] = published('ReplicationFailed');
    expect(failed!.detail).toMatchObject({ stage: 'receive', cleanedUp: [] });
    expect(failed!.detail.reason).toMatch(/names no template .*: nothing was copied$/);
    expect(failed!.detail.action).toMatch(/add "template"/);
  });

  test('the only version is replaced while the copy runs, and no template: a restore failure, the copy removed', async () => {
    deps.policies = [policyOf({ ...VERSIONED, name: 'orders-lone', destinations: [noTemplate] })];
    instances.set('orders-copy-1', instance('orders-copy-1', 'db-V1'));
    const store = destinationStore(deps);
    await store.setVersions(await store.versions('orders-lone', new Date()), [
      {
        identifier: 'orders-copy-1',
        number: 1,
        resourceId: 'db-V1',
        replicationId: 'repl-a',
        createdAt: '2026-11-01T03:00:00Z',
      },
    ]);
    const { detail, envelope, copy } = announcement('orders-lone');
    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });
    expect(sent(CopyDBSnapshotCommand)).toHaveLength(1);

    instances.set('orders-copy-1', instance('orders-copy-1', 'db-SOMEONE-ELSES'));
    await copyFinishes(copy);

    expect(published('RestoreRequested')).toHaveLength(0);
    const [failed] = published('ReplicationFailed');
    expect(failed!.detail).toMatchObject({ stage: 'restore' });
    expect(failed!.detail.action).toMatch(/add "template"/);
    expect(snapshots.has(copy)).toBe(false);
  });
});

describe('prune of cluster versions', () => {
  test('members first, then the cluster once they are going, with a final snapshot when the policy asks', async () => {
    const policy = policyOf({
      name: 'aurora-copies',
      kind: 'cluster',
      destinations: [
        {
          account: DST,
          kmsKeyId: DST_KEY,
          mode: 'versioned',
          prefix: 'aurora-copy',
          keep: 1,
          finalSnapshot: true,
        },
      ],
    });
    const clusters = new Map<string, DBCluster>([
      [
        'aurora-copy-1',
        {
          DBClusterIdentifier: 'aurora-copy-1',
          DbClusterResourceId: 'cluster-V1',
          Status: 'available',
          DBClusterMembers: [{ DBInstanceIdentifier: 'aurora-copy-1-writer' }],
        },
      ],
      [
        'aurora-copy-2',
        { DBClusterIdentifier: 'aurora-copy-2', DbClusterResourceId: 'cluster-V2', Status: 'available' },
      ],
    ]);
    instances.set(
      'aurora-copy-1-writer',
      instance('aurora-copy-1-writer', 'db-W1', { DBClusterIdentifier: 'aurora-copy-1' }),
    );
    bed.rds.on(DescribeDBClustersCommand).callsFake((input: { DBClusterIdentifier?: string }) => {
      const c = clusters.get(input.DBClusterIdentifier!);
      if (!c) throw notFound('DBClusterNotFoundFault');
      return { DBClusters: [c] };
    });
    // RDS refuses the cluster while its member is still being deleted, then accepts it.
    bed.rds
      .on(DeleteDBClusterCommand)
      .rejectsOnce(
        Object.assign(new Error('Cluster cannot be deleted, it still contains DB instances'), {
          name: 'InvalidDBClusterStateFault',
          $fault: 'client',
        }),
      )
      .resolves({});
    const store = destinationStore(deps);
    const item = await store.versions('aurora-copies', new Date());
    await store.setVersions(item, [
      {
        identifier: 'aurora-copy-1',
        number: 1,
        resourceId: 'cluster-V1',
        replicationId: 'r1',
        createdAt: '2026-11-01T03:00:00Z',
      },
      {
        identifier: 'aurora-copy-2',
        number: 2,
        resourceId: 'cluster-V2',
        replicationId: 'r2',
        createdAt: '2026-11-02T03:00:00Z',
      },
    ]);
    const runId = newRunId();
    const job = {
      pk: 'REPLDST#repl-aurora-2',
      seq: 0,
      marks: {},
      replicationId: 'repl-aurora-2',
      policy: 'aurora-copies',
      kind: 'cluster' as const,
      destination: policy.destinations[0]!,
      region: REGION,
      sourceAccount: SRC,
      sourceRegion: REGION,
      sourceIdentifier: 'orders-db',
      sharedSnapshotArn: 'arn:aws:rds:us-east-1:111111111111:cluster-snapshot:s',
      sourceSnapshotArn: 'arn:aws:rds:us-east-1:111111111111:cluster-snapshot:s',
      sharedKmsKeyId: null,
      reencrypted: false,
      copyIdentifier: 's-copy',
      requestId: 'replication/repl-aurora-2',
      runId,
      createdAt: new Date().toISOString(),
    };
    await jobsOf(deps).create(job, new Date());
    const look = { ctx: ctx(), deps, job, pending: false };

    expect(await pruneVersions(look)).toBe(false);
    expect(look.pending).toBe(true);
    expect(await pruneVersions(look)).toBe(true);

    expect(sent(DeleteDBInstanceCommand).map((i) => i.DBInstanceIdentifier)).toEqual([
      'aurora-copy-1-writer',
      'aurora-copy-1-writer',
    ]);
    const clusterDeletes = sent(DeleteDBClusterCommand);
    expect(clusterDeletes).toHaveLength(2);
    expect(clusterDeletes[1]).toEqual({
      DBClusterIdentifier: 'aurora-copy-1',
      FinalDBSnapshotIdentifier: expect.stringMatching(
        new RegExp(`^aurora-copy-1-rw${runId.slice(-8)}-final-`),
      ),
    });
    expect(job).toMatchObject({ versions: { kept: ['aurora-copy-2'], deleted: ['aurora-copy-1'] } });
  });
});

describe('lost run events', () => {
  test('a check finds the run by its requestId and goes on from the run record', async () => {
    instances.set('orders-staging', instance('orders-staging', 'db-STAGING-2'));
    const { detail, envelope, copy } = announcement('orders-staging');
    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });
    await copyFinishes(copy);
    const requestId = `replication/${detail.replicationId}`;
    // The run the request started, completed; none of its events arrived.
    const record = runFixture('orders-staging', 'db_restore', { status: 'completed', requestId });
    await bed.store.createRun(record);
    await bed.store.claimRequestId(
      idempotencyKey.request('instance', 'orders-staging', requestId),
      record.runId,
    );

    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 1 });

    const [completed] = published('ReplicationCompleted');
    expect(completed!.detail).toMatchObject({
      identifier: 'orders-staging',
      resourceId: 'db-STAGING-2',
      runId: record.runId,
    });
  });
});

describe('deadline', () => {
  test('a copy still under way after the copy deadline (REWIND_DEADLINE_COPY_SECONDS; 4 min on the local wait settings): a copy failure, the copy cancelled by its deletion', async () => {
    const { detail, envelope, copy } = announcement('orders-staging');
    await onSnapshotShared(ctx(), deps, detail, envelope);
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });
    const later = new Date(Date.now() + 49 * 3600_000);

    await onDestinationCheck(
      testContext('replication', bed.store, () => later),
      deps,
      {
        job: `REPLDST#${detail.replicationId}`,
        seq: 1,
      },
    );

    const [failed] = published('ReplicationFailed');
    expect(failed!.detail).toMatchObject({
      stage: 'copy',
      cleanedUp: [`DB snapshot ${copy} (the copy in account ${DST})`],
    });
    expect(failed!.detail.reason).toMatch(/still copying .* after 4 min$/);
    expect(snapshots.has(copy)).toBe(false);
  });
});

describe('checks', () => {
  test('a deadline check chain moves on while the copy is under way; a check of an older chain is dropped', async () => {
    const { detail, envelope } = announcement('orders-staging');
    await onSnapshotShared(ctx(), deps, detail, envelope);
    bed.sqs.resetHistory();

    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 });
    await onDestinationCheck(ctx(), deps, { job: `REPLDST#${detail.replicationId}`, seq: 0 }); // an older chain

    const checks = bed.sqs
      .commandCalls(SendMessageCommand)
      .map((c) => JSON.parse(c.args[0].input.MessageBody!));
    expect(checks).toEqual([
      expect.objectContaining({
        'detail-type': DESTINATION_CHECK_TYPE,
        detail: { job: `REPLDST#${detail.replicationId}`, seq: 1 },
      }),
    ]);
  });
});
