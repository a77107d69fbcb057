/**
 * Rewind installed in two accounts of one local cloud (`installs`), wired for cross-account replication
 * from the policy file, through the real SDK: each account has its own bus, table, queues and schedules;
 * the source's bus forwards `SnapshotShared` to the destination's bus (whose policy lets the source in),
 * the destination's answers come back, and an announcement the destination bus refuses is dead-lettered
 * into the source's replication inbox with EventBridge's error attributes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeEventBusCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutPermissionCommand,
  RemovePermissionCommand,
} from '@aws-sdk/client-eventbridge';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueUrlCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { resourceNames } from '@rewind/shared/src/resourceNames';
import { spawnLocalCloud, type LocalCloud } from '../../src';
import { LocalCloudError } from '../../src/errors';
import { installsOf } from '../../src/installs';
import { roleCredentials } from '../../src/iam/roles';
import { peerStatementId } from '../../src/provision/replication';
import { clientsFor, type Clients } from '../regions/places';

const SOURCE = '111111111111';
const DEST = '222222222222';
const REGION = 'us-east-1';
const names = resourceNames('rewind-local');
const POLICY = {
  name: 'orders-to-staging',
  source: { account: SOURCE, region: REGION, identifier: 'orders' },
  schedule: 'cron(0 3 * * ? *)',
  destinations: [
    {
      account: DEST,
      kmsKeyId: `arn:aws:kms:${REGION}:${DEST}:alias/staging`,
      mode: 'in-place',
      identifier: 'orders-staging',
    },
  ],
};

let cloud: LocalCloud;
let src: Clients;
let dst: Clients;
const previousConfig = process.env.REWIND_CONFIG_FILE;

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'rewind-installs-')), 'rewind.config.json');
  writeFileSync(file, JSON.stringify({ replication: [POLICY] }));
  process.env.REWIND_CONFIG_FILE = file;
  cloud = await spawnLocalCloud({
    identity: { accountId: SOURCE },
    installs: [{ accountId: SOURCE }, { accountId: DEST }],
    functions: false,
  });
  src = clientsFor(cloud.endpoint, SOURCE, REGION);
  dst = clientsFor(cloud.endpoint, DEST, REGION);
}, 60_000);
afterAll(async () => {
  if (previousConfig === undefined) delete process.env.REWIND_CONFIG_FILE;
  else process.env.REWIND_CONFIG_FILE = previousConfig;
  src?.destroy();
  dst?.destroy();
  await cloud?.stop();
});

const busArn = (account: string) => `arn:aws:events:${REGION}:${account}:event-bus/${names.busName}`;
const inboxArn = (account: string) => `arn:aws:sqs:${REGION}:${account}:${names.inboxQueue('replication')}`;

async function inboxUrl(c: Clients): Promise<string> {
  return (await c.sqs.send(new GetQueueUrlCommand({ QueueName: names.inboxQueue('replication') }))).QueueUrl!;
}

/** Receives from a queue until `match` is seen (or 10 s pass). */
async function receiveUntil(c: Clients, url: string, match: (m: Message) => boolean): Promise<Message> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const out = await c.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        WaitTimeSeconds: 1,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    const found = (out.Messages ?? []).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching message on ${url}`);
  }
}

const announce = (c: Clients, detail: Record<string, unknown>, detailType = 'SnapshotShared') =>
  c.events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: names.busName,
          Source: 'rewind',
          DetailType: detailType,
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );

it('provisions Rewind in each account, the default account first', async () => {
  expect(cloud.installs.map((i) => [i.accountId, i.resources?.bus?.arn])).toEqual([
    [SOURCE, busArn(SOURCE)],
    [DEST, busArn(DEST)],
  ]);
  for (const [c, account] of [
    [src, SOURCE],
    [dst, DEST],
  ] as const) {
    expect((await c.events.send(new DescribeEventBusCommand({ Name: names.busName }))).Arn).toBe(
      busArn(account),
    );
    const table = await c.dynamodb.send(new DescribeTableCommand({ TableName: names.tableName }));
    expect(table.Table?.TableArn).toBe(`arn:aws:dynamodb:${REGION}:${account}:table/${names.tableName}`);
    expect(await inboxUrl(c)).toContain(account);
  }
});

it('creates the replication schedules in the source account only', async () => {
  const schedulesIn = async (account: string) => {
    const scheduler = new SchedulerClient({
      endpoint: cloud.endpoint,
      region: REGION,
      credentials: { accessKeyId: account, secretAccessKey: 'test' },
    });
    try {
      return ((await scheduler.send(new ListSchedulesCommand({}))).Schedules ?? []).map((s) => s.Name);
    } finally {
      scheduler.destroy();
    }
  };
  expect(await schedulesIn(SOURCE)).toEqual([`replicate-${POLICY.name}`]);
  expect(await schedulesIn(DEST)).toEqual([]);
});

it('forwards to the peer bus with the replication inbox as dead-letter queue, and lets the peer in', async () => {
  expect(cloud.installs.map((i) => i.replication)).toEqual([
    {
      busPrincipals: [DEST],
      rules: [expect.objectContaining({ peerAccount: DEST, targetArn: busArn(DEST) })],
    },
    {
      busPrincipals: [SOURCE],
      rules: [expect.objectContaining({ peerAccount: SOURCE, targetArn: busArn(SOURCE) })],
    },
  ]);
  const ruleName = names.rule('replication', `replication-to-${DEST}`);
  const { Rules } = await src.events.send(new ListRulesCommand({ EventBusName: names.busName }));
  expect(Rules?.map((r) => r.Name)).toContain(ruleName);
  const { Targets } = await src.events.send(
    new ListTargetsByRuleCommand({ Rule: ruleName, EventBusName: names.busName }),
  );
  expect(Targets).toEqual([
    expect.objectContaining({ Arn: busArn(DEST), DeadLetterConfig: { Arn: inboxArn(SOURCE) } }),
  ]);
  const policy = JSON.parse(
    (await dst.events.send(new DescribeEventBusCommand({ Name: names.busName }))).Policy ?? '{}',
  ) as { Statement: { Sid: string; Principal: unknown }[] };
  expect(policy.Statement).toEqual([
    expect.objectContaining({
      Sid: peerStatementId(SOURCE),
      Principal: { AWS: `arn:aws:iam::${SOURCE}:root` },
    }),
  ]);
});

it('delivers an announcement to the destination and its answer back to the source', async () => {
  await announce(src, { replicationId: 'r-1', destinationAccount: DEST });
  const got = await receiveUntil(dst, await inboxUrl(dst), (m) => m.Body!.includes('r-1'));
  expect(JSON.parse(got.Body!)).toMatchObject({ account: SOURCE, 'detail-type': 'SnapshotShared' });
  await announce(dst, { replicationId: 'r-1', sourceAccount: SOURCE }, 'ReplicationReceived');
  const answer = await receiveUntil(src, await inboxUrl(src), (m) => m.Body!.includes('ReplicationReceived'));
  expect(JSON.parse(answer.Body!)).toMatchObject({ account: DEST, detail: { replicationId: 'r-1' } });
});

it('dead-letters an announcement the destination bus refuses into the source replication inbox', async () => {
  await dst.events.send(
    new RemovePermissionCommand({ EventBusName: names.busName, StatementId: peerStatementId(SOURCE) }),
  );
  try {
    await announce(src, { replicationId: 'r-refused', destinationAccount: DEST });
    const bounced = await receiveUntil(
      src,
      await inboxUrl(src),
      (m) => m.Body!.includes('r-refused') && m.MessageAttributes?.ERROR_CODE !== undefined,
    );
    expect(bounced.MessageAttributes?.ERROR_CODE?.StringValue).toBe('AccessDeniedException');
    expect(bounced.MessageAttributes?.TARGET_ARN?.StringValue).toBe(busArn(DEST));
  } finally {
    await dst.events.send(
      new PutPermissionCommand({
        EventBusName: names.busName,
        StatementId: peerStatementId(SOURCE),
        Principal: SOURCE,
        Action: 'events:PutEvents',
      }),
    );
  }
});

it("signs each install's roles in its own account, evaluated against that account's policies", async () => {
  const asRole = clientsFor(
    cloud.endpoint,
    roleCredentials(`${names.prefix}-replication`, DEST).accessKeyId,
    REGION,
  );
  try {
    const put = await asRole.events.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: names.busName, Source: 'rewind', DetailType: 'ReplicationReceived', Detail: '{}' },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);
    const denied = await asRole.sqs
      .send(new GetQueueUrlCommand({ QueueName: names.inboxQueue('restore') }))
      .then(
        () => undefined,
        (err: Error) => err.message,
      );
    expect(denied).toContain(
      `User: arn:aws:sts::${DEST}:assumed-role/${names.prefix}-replication/${names.functionName('replication', 'worker')} is not authorized to perform: sqs:GetQueueUrl on resource: arn:aws:sqs:${REGION}:${DEST}:${names.inboxQueue('restore')}`,
    );
  } finally {
    asRole.destroy();
  }
});

it('refuses installs that name no account, the same account twice, or leave out the default account', () => {
  const identity = { accountId: SOURCE, region: REGION };
  expect(() => installsOf({ installs: [{ accountId: 'prod' }] }, identity, names)).toThrow(
    new LocalCloudError('installs: "prod" is not an account id (12 digits, e.g. 111111111111)'),
  );
  expect(() =>
    installsOf({ installs: [{ accountId: SOURCE }, { accountId: SOURCE }] }, identity, names),
  ).toThrow(/listed twice/);
  expect(() => installsOf({ installs: [{ accountId: DEST }] }, identity, names)).toThrow(
    /none is in the default account 111111111111/,
  );
});
