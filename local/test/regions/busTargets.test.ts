/**
 * EventBridge rules whose target is another account's or region's bus, with the real SDK: nothing is
 * delivered until the target bus's resource policy allows the sender (PutPermission), then events
 * arrive with their original account and region.
 */
import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemovePermissionCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { spawnLocalCloud, type LocalCloud } from '../../src';
import { ACCOUNT_A, ACCOUNT_B, adminGet, clientsFor, eventually, type Clients } from './places';

let cloud: LocalCloud;
let a: Clients;
let aWest: Clients;
let b: Clients;

beforeAll(async () => {
  cloud = await spawnLocalCloud({ provision: false, functions: false });
  a = clientsFor(cloud.endpoint, 'test', 'us-east-1');
  aWest = clientsFor(cloud.endpoint, 'test', 'us-west-2');
  b = clientsFor(cloud.endpoint, ACCOUNT_B, 'us-east-1');
});
afterAll(async () => {
  for (const x of [a, aWest, b]) x?.destroy();
  await cloud?.stop();
});

/** A bus in `to` whose every event lands in a queue; returns the bus ARN and a reader of the queue. */
async function receivingBus(to: Clients, name: string, source: string) {
  const { EventBusArn } = await to.events.send(new CreateEventBusCommand({ Name: name }));
  const { QueueUrl } = await to.sqs.send(new CreateQueueCommand({ QueueName: `${name}-inbox` }));
  const queueArn = (
    await to.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn;
  await to.events.send(
    new PutRuleCommand({
      Name: 'all',
      EventBusName: name,
      EventPattern: JSON.stringify({ source: [source] }),
    }),
  );
  await to.events.send(
    new PutTargetsCommand({ Rule: 'all', EventBusName: name, Targets: [{ Id: 'q', Arn: queueArn }] }),
  );
  const received: { id: string; account: string; region: string; detail: { n: number } }[] = [];
  const read = async () => {
    const r = await to.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    for (const m of r.Messages ?? []) received.push(JSON.parse(m.Body ?? '{}'));
    return received;
  };
  return { busArn: EventBusArn as string, queueArn: queueArn as string, read };
}

/** A rule on `from`'s default bus forwarding `orders` events to `busArn`. */
async function forward(from: Clients, busArn: string) {
  await from.events.send(new PutRuleCommand({ Name: 'forward', EventPattern: '{"source":["orders"]}' }));
  await from.events.send(new PutTargetsCommand({ Rule: 'forward', Targets: [{ Id: 'bus', Arn: busArn }] }));
}

const put = (from: Clients, n: number, source = 'orders') =>
  from.events.send(
    new PutEventsCommand({
      Entries: [{ Source: source, DetailType: 'OrderPlaced', Detail: JSON.stringify({ n }) }],
    }),
  );

const refusals = async (account: string, region: string) =>
  (
    await adminGet<{ refusedByPolicy: number }>(
      cloud.endpoint,
      `events/stats?account=${account}&region=${region}`,
    )
  ).refusedByPolicy;

it('a bus in another account receives only after its policy allows the sender', async () => {
  const target = await receivingBus(b, 'central', 'orders');
  expect(target.busArn).toBe(`arn:aws:events:us-east-1:${ACCOUNT_B}:event-bus/central`);
  await forward(a, target.busArn);

  await put(a, 1);
  await eventually(
    () => refusals(ACCOUNT_A, 'us-east-1'),
    (n) => n === 1,
  );
  expect(await target.read()).toEqual([]);

  await b.events.send(
    new PutPermissionCommand({
      EventBusName: 'central',
      StatementId: 'from-a',
      Action: 'events:PutEvents',
      Principal: ACCOUNT_A,
    }),
  );
  const policy = JSON.parse(
    (await b.events.send(new DescribeEventBusCommand({ Name: 'central' }))).Policy ?? '{}',
  );
  expect(policy.Statement).toEqual([
    expect.objectContaining({
      Sid: 'from-a',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT_A}:root` },
      Resource: target.busArn,
    }),
  ]);
  await put(a, 2);
  const got = await eventually(target.read, (r) => r.length === 1);
  expect(got[0]).toMatchObject({ account: ACCOUNT_A, region: 'us-east-1', detail: { n: 2 } });

  await b.events.send(new RemovePermissionCommand({ EventBusName: 'central', StatementId: 'from-a' }));
  await put(a, 3);
  await eventually(
    () => refusals(ACCOUNT_A, 'us-east-1'),
    (n) => n === 2,
  );
  expect((await target.read()).map((e) => e.detail.n)).toEqual([2]);
});

it('a bus in another region receives only after its policy allows the sender', async () => {
  const target = await receivingBus(aWest, 'dr', 'shipments');
  expect(target.busArn).toBe(`arn:aws:events:us-west-2:${ACCOUNT_A}:event-bus/dr`);
  expect(target.queueArn).toBe(`arn:aws:sqs:us-west-2:${ACCOUNT_A}:dr-inbox`);
  await a.events.send(new PutRuleCommand({ Name: 'to-west', EventPattern: '{"source":["shipments"]}' }));
  await a.events.send(
    new PutTargetsCommand({ Rule: 'to-west', Targets: [{ Id: 'west', Arn: target.busArn }] }),
  );

  const before = await refusals(ACCOUNT_A, 'us-east-1');
  await put(a, 10, 'shipments');
  await eventually(
    () => refusals(ACCOUNT_A, 'us-east-1'),
    (n) => n === before + 1,
  );
  expect(await target.read()).toEqual([]);

  // Only events from this rule (aws:SourceArn), as in EventBridge's cross-Region policy examples.
  await aWest.events.send(
    new PutPermissionCommand({
      EventBusName: 'dr',
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'from-east',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT_A}:root` },
            Action: 'events:PutEvents',
            Resource: target.busArn,
            Condition: {
              ArnEquals: { 'aws:SourceArn': `arn:aws:events:us-east-1:${ACCOUNT_A}:rule/to-west` },
            },
          },
        ],
      }),
    }),
  );
  await put(a, 11, 'shipments');
  const got = await eventually(target.read, (r) => r.length === 1);
  expect(got[0]).toMatchObject({ account: ACCOUNT_A, region: 'us-east-1', detail: { n: 11 } });
});

it('in the same account, a target role (RoleArn) authorises a bus in another region, as in AWS', async () => {
  const target = await receivingBus(aWest, 'dr-role', 'returns');
  await a.events.send(new PutRuleCommand({ Name: 'to-west-role', EventPattern: '{"source":["returns"]}' }));
  await a.events.send(
    new PutTargetsCommand({
      Rule: 'to-west-role',
      Targets: [{ Id: 'west', Arn: target.busArn, RoleArn: `arn:aws:iam::${ACCOUNT_A}:role/events-to-dr` }],
    }),
  );
  await put(a, 20, 'returns');
  const got = await eventually(target.read, (r) => r.length === 1);
  expect(got[0]).toMatchObject({ account: ACCOUNT_A, region: 'us-east-1', detail: { n: 20 } });
});

it("a refused delivery goes to the target's dead-letter queue, not retried", async () => {
  const target = await receivingBus(b, 'closed', 'audits');
  const { QueueUrl } = await a.sqs.send(new CreateQueueCommand({ QueueName: 'audits-dlq' }));
  await a.events.send(new PutRuleCommand({ Name: 'to-closed', EventPattern: '{"source":["audits"]}' }));
  await a.events.send(
    new PutTargetsCommand({
      Rule: 'to-closed',
      Targets: [
        {
          Id: 'closed',
          Arn: target.busArn,
          DeadLetterConfig: { Arn: `arn:aws:sqs:us-east-1:${ACCOUNT_A}:audits-dlq` },
        },
      ],
    }),
  );
  await put(a, 30, 'audits');
  const dead = await eventually(
    () => a.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 })),
    (r) => (r.Messages ?? []).length === 1,
  );
  expect(JSON.parse(dead.Messages?.[0]?.Body ?? '{}')).toMatchObject({ source: 'audits', detail: { n: 30 } });
  const stats = await adminGet<{ retries: number }>(cloud.endpoint, 'events/stats');
  expect(stats.retries).toBe(0);
  expect(await target.read()).toEqual([]);
});
