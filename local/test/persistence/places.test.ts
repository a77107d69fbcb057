/**
 * --state-dir across accounts and regions: a local cloud stopped and started again from its state
 * directory, reached with the real SDK through its HTTP endpoint, keeps every account's and region's
 * resources and resumes their lifecycle steps.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CopyDBSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  ListAliasesCommand,
} from '@aws-sdk/client-kms';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { CreateTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { spawnLocalCloud, type LocalCloud } from '../../src';
import { decodeState } from '../../src/persistence/codec';
import type { HistoryEntry } from '../../src/rds/observe';
import {
  ACCOUNT_A,
  ACCOUNT_B,
  adminGet,
  clientsFor,
  errorOf,
  eventIdsOf,
  eventually,
  type Clients,
} from '../regions/places';

const SCALE = 0.0005;
let dir: string;
let cloud: LocalCloud | undefined;
const clients: Clients[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rewind-places-'));
});
afterEach(async () => {
  clients.splice(0).forEach((c) => c.destroy());
  await cloud?.stop();
  cloud = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A local cloud on a free port keeping its state in `dir` (a cross-region copy takes `copyMs` real ms). */
async function up(copyMs: number): Promise<LocalCloud> {
  cloud = await spawnLocalCloud({
    provision: false,
    functions: false,
    quiet: true,
    stateDir: dir,
    rds: {
      profile: { snapshotCopyCrossRegion: copyMs / SCALE },
      timeScale: SCALE,
      throttle: { enabled: false },
    },
  });
  return cloud;
}

/** Stops the cloud (which saves), starts another on the same directory. */
async function restart(copyMs: number): Promise<LocalCloud> {
  await cloud?.stop();
  cloud = undefined;
  clients.splice(0).forEach((c) => c.destroy());
  return up(copyMs);
}

function at(c: LocalCloud, accessKeyId: string, region: string): Clients {
  const made = clientsFor(c.endpoint, accessKeyId, region);
  clients.push(made);
  return made;
}

async function availableInstance(
  c: Clients,
  id: string,
  extra: { KmsKeyId?: string } = {},
): Promise<DBInstance> {
  await c.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      MasterUsername: 'app',
      MasterUserPassword: 'secret123',
      AllocatedStorage: 20,
      ...(extra.KmsKeyId ? { StorageEncrypted: true, KmsKeyId: extra.KmsKeyId } : {}),
    }),
  );
  const r = await eventually(
    () => c.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    (x) => x.DBInstances?.[0]?.DBInstanceStatus === 'available',
  );
  return r.DBInstances?.[0] as DBInstance;
}

const snapshotIn = (c: Clients, id: string) =>
  c.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id })).then((r) => r.DBSnapshots?.[0]);

interface SavedRds {
  places: {
    accountId: string;
    region: string;
    state: { maps: { snapshots: Map<string, { status: string }> } };
  }[];
}

test('a snapshot copy to another region in progress, and one queued behind it, resume after a reload', async () => {
  const copyMs = 4000;
  let c = await up(copyMs);
  const east = at(c, 'test', 'us-east-1');
  const west = at(c, 'test', 'us-west-2');
  await availableInstance(east, 'orders');
  const { DBSnapshot: source } = await east.rds.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders', DBSnapshotIdentifier: 'orders-snap' }),
  );
  await eventually(
    () => snapshotIn(east, 'orders-snap'),
    (s) => s?.Status === 'available',
  );
  // Two copies of one source database into us-west-2: RDS runs them one after the other.
  for (const id of ['orders-west', 'orders-west-2']) {
    await west.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: source?.DBSnapshotArn,
        TargetDBSnapshotIdentifier: id,
      }),
    );
  }
  await eventually(
    () => snapshotIn(west, 'orders-west'),
    (s) => s?.Status === 'copying',
  );
  await cloud?.stop();
  cloud = undefined;

  // What was saved: us-west-2's copy mid-transfer and the second still queued.
  const saved = decodeState(await readFile(join(dir, 'rds.json'), 'utf8')) as SavedRds;
  const westSaved = saved.places.find((p) => p.accountId === ACCOUNT_A && p.region === 'us-west-2');
  const status = (id: string) => westSaved?.state.maps.snapshots.get(id)?.status;
  expect([status('orders-west'), status('orders-west-2')]).toEqual(['copying', 'pending']);

  c = await restart(copyMs);
  const west2 = at(c, 'test', 'us-west-2');
  for (const id of ['orders-west', 'orders-west-2']) {
    const done = await eventually(
      () => snapshotIn(west2, id),
      (s) => s?.Status !== 'copying' && s?.Status !== 'pending',
      30_000,
    );
    expect([done?.Status, done?.PercentProgress, done?.SourceRegion]).toEqual([
      'available',
      100,
      'us-east-1',
    ]);
  }
  // After the load (histories start empty): the first finished its transfer, then the second went
  // copying -> available; 0059 (before the stop) and 0060 (after it) for each, in us-west-2.
  const history = (id: string) =>
    adminGet<{ entries: HistoryEntry[] }[]>(
      c.endpoint,
      `rds/history?identifier=${id}&account=${ACCOUNT_A}&region=us-west-2`,
    ).then((h) => h.flatMap((x) => x.entries));
  const [first, second] = [await history('orders-west'), await history('orders-west-2')];
  expect(first.map((e) => e.status)).toEqual(['available']);
  expect(second.map((e) => e.status)).toEqual(['copying', 'available']);
  expect(Date.parse(second[0]?.time ?? '')).toBeGreaterThanOrEqual(Date.parse(first[0]?.time ?? ''));
  for (const id of ['orders-west', 'orders-west-2']) {
    expect(await eventIdsOf(c.endpoint, id, ACCOUNT_A, 'us-west-2')).toEqual([
      'RDS-EVENT-0059',
      'RDS-EVENT-0060',
    ]);
  }
});

test("KMS keys and a second account's queues, tables, rules and databases survive a reload", async () => {
  let c = await up(1000);
  const b = at(c, ACCOUNT_B, 'us-east-1');
  const aWest = at(c, 'test', 'us-west-2');
  // Account B: a customer managed key under an alias, an encrypted database with it, a queue with a
  // message, a table with an item, and a rule that routes its events to the queue.
  const { KeyMetadata: bKey } = await b.kms.send(new CreateKeyCommand({ Description: 'b data' }));
  await b.kms.send(new CreateAliasCommand({ AliasName: 'alias/b-data', TargetKeyId: bKey?.KeyId }));
  const { KeyMetadata: aKey } = await aWest.kms.send(new CreateKeyCommand({ Description: 'a west' }));
  const before = await availableInstance(b, 'billing', { KmsKeyId: 'alias/b-data' });
  expect(before.KmsKeyId).toBe(bKey?.Arn);
  const { QueueUrl } = await b.sqs.send(new CreateQueueCommand({ QueueName: 'b-inbox' }));
  await b.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'kept 🙂' }));
  await b.dynamodb.send(
    new CreateTableCommand({
      TableName: 'b-runs',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await b.dynamodb.send(new PutItemCommand({ TableName: 'b-runs', Item: { pk: { S: 'run-1' } } }));
  const queueArn = (
    await b.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn;
  expect(queueArn).toBe(`arn:aws:sqs:us-east-1:${ACCOUNT_B}:b-inbox`);
  await b.events.send(
    new PutRuleCommand({ Name: 'b-rule', EventPattern: JSON.stringify({ source: ['b.app'] }) }),
  );
  await b.events.send(new PutTargetsCommand({ Rule: 'b-rule', Targets: [{ Id: 'inbox', Arn: queueArn }] }));

  c = await restart(1000);
  const b2 = at(c, ACCOUNT_B, 'us-east-1');
  const a2 = at(c, 'test', 'us-east-1');
  const aWest2 = at(c, 'test', 'us-west-2');
  // KMS: both keys, in their own account and region, B's alias still naming its key.
  expect((await b2.kms.send(new DescribeKeyCommand({ KeyId: 'alias/b-data' }))).KeyMetadata).toMatchObject({
    KeyId: bKey?.KeyId,
    Arn: bKey?.Arn,
    KeyState: 'Enabled',
    Description: 'b data',
  });
  const aliases = (await b2.kms.send(new ListAliasesCommand({}))).Aliases?.map((x) => x.AliasName);
  expect(aliases).toContain('alias/b-data');
  expect((await aWest2.kms.send(new DescribeKeyCommand({ KeyId: aKey?.KeyId }))).KeyMetadata?.Arn).toBe(
    aKey?.Arn,
  );
  expect((await errorOf(a2.kms.send(new DescribeKeyCommand({ KeyId: aKey?.KeyId }))))?.name).toBe(
    'NotFoundException',
  );
  // RDS: B's database with its resource id and key; A does not see it.
  const after = (await b2.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'billing' })))
    .DBInstances?.[0];
  expect(after).toMatchObject({
    DBInstanceStatus: 'available',
    DbiResourceId: before.DbiResourceId,
    DBInstanceArn: `arn:aws:rds:us-east-1:${ACCOUNT_B}:db:billing`,
    KmsKeyId: bKey?.Arn,
    StorageEncrypted: true,
  });
  expect((await a2.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).toEqual([]);
  // A database created after the reload gets a resource id of its own, and the loaded alias still works.
  const next = await availableInstance(b2, 'billing-2', { KmsKeyId: 'alias/b-data' });
  expect(next.DbiResourceId).not.toBe(before.DbiResourceId);
  expect(next.KmsKeyId).toBe(bKey?.Arn);
  // DynamoDB: B's table and item.
  const item = await b2.dynamodb.send(
    new GetItemCommand({ TableName: 'b-runs', Key: { pk: { S: 'run-1' } } }),
  );
  expect(item.Item).toEqual({ pk: { S: 'run-1' } });
  // EventBridge: B's rule still routes to B's queue, which still holds the message sent before.
  const targets = await b2.events.send(new ListTargetsByRuleCommand({ Rule: 'b-rule' }));
  expect(targets.Targets?.map((t) => t.Arn)).toEqual([queueArn]);
  await b2.events.send(
    new PutEventsCommand({ Entries: [{ Source: 'b.app', DetailType: 'T', Detail: '{"after":"reload"}' }] }),
  );
  const bodies: string[] = [];
  await eventually(
    async () => {
      const r = await b2.sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      bodies.push(...(r.Messages ?? []).map((m) => m.Body ?? ''));
      return bodies;
    },
    (all) => all.length >= 2,
  );
  expect(bodies[0]).toBe('kept 🙂');
  expect(JSON.parse(bodies[1] ?? '{}')).toMatchObject({ source: 'b.app', account: ACCOUNT_B });
});
