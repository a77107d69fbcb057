import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { approximateCount, queueUrl } from '../src/queues';
import { awaitRun } from '../src/requests';
import { json, rewindIn, startCloud } from './helpers';

type DlqDoc = {
  total: number;
  byClass: Record<string, number>;
  queues: {
    queue: string;
    approximateCount: number;
    messages: {
      failureClass: string;
      detailType?: string;
      runId?: string;
      reason?: string;
      why: string;
      action: string;
      body: string;
    }[];
  }[];
};

let env: Awaited<ReturnType<typeof startCloud>>;
let endpoint: string;
const rewind = (...args: string[]) => rewindIn(endpoint, args);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function restoreRequested(identifier: string, requestId: string) {
  return JSON.stringify({
    version: '0',
    id: `evt-${requestId}`,
    'detail-type': 'RestoreRequested',
    source: 'my.team',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: { identifier, task: 'create_snapshot_only', requestId },
  });
}

async function send(queue: string, body: string, attributes?: Record<string, string>) {
  await env.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: await queueUrl(env.clients.sqs, queue),
      MessageBody: body,
      MessageAttributes: attributes
        ? Object.fromEntries(
            Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
          )
        : undefined,
    }),
  );
}

async function finished(requestId: string) {
  const run = await awaitRun(env.clients, `evt-${requestId}`);
  for (;;) {
    const now = await env.clients.store.getRun(run.runId);
    if (now && now.status !== 'running' && now.status !== 'rolling-back') return now;
    await sleep(100);
  }
}

beforeAll(async () => {
  env = await startCloud(['orders-db', 'billing-db']);
  endpoint = env.cloud.endpoint;
});
afterAll(async () => env?.stop());

describe('rewind dlq / redrive / replay --from / events', () => {
  const names = () => env.cloud.names;

  const POISON = { 'rewind-failure-class': 'poison', 'rewind-service': 'restore' };

  test('dlq explains each message from its attributes (poison, transient, delivery) and consumes nothing', async () => {
    await send(names().inboxDlq('restore'), restoreRequested('orders-db', 'dlq-1'));
    await send(names().targetDlq('restore'), restoreRequested('billing-db', 'dlq-2'), {
      ERROR_CODE: 'SQS.ThrottlingException',
      ERROR_MESSAGE: 'Rate exceeded',
    });
    await send(names().inboxDlq('restore'), '{"detail-type":"RestoreRequested","detail":"oops"}', {
      ...POISON,
      'rewind-failure-reason': 'RestoreRequested: detail is not an object',
    });
    await send(names().inboxDlq('notify'), 'this is not JSON', {
      ...POISON,
      'rewind-service': 'notify',
      'rewind-failure-reason': 'the body is not JSON',
    });

    const first = json<DlqDoc>((await rewind('dlq', '--json')).out);
    expect(first.total).toBe(4);
    expect(first.byClass).toEqual({ poison: 2, transient: 1, delivery: 1 });
    const byQueue = Object.fromEntries(first.queues.map((q) => [q.queue, q]));
    const restoreInbox = byQueue['rewind-local-restore-inbox-dlq']!.messages;
    expect(restoreInbox.map((m) => m.failureClass).sort()).toEqual(['poison', 'transient']);
    expect(restoreInbox.find((m) => m.failureClass === 'transient')).toMatchObject({
      detailType: 'RestoreRequested',
      why: expect.stringMatching(/^transient: the restore function failed it on every receive/),
      action: 'fix the cause (throttling, permissions, an outage), then rewind redrive restore',
    });
    expect(restoreInbox.find((m) => m.failureClass === 'poison')).toMatchObject({
      reason: 'RestoreRequested: detail is not an object',
      why: expect.stringContaining('can never process it'),
      action: expect.stringContaining('--include-poison'),
    });
    expect(byQueue['rewind-local-restore-target-dlq']!.messages[0]).toMatchObject({
      failureClass: 'delivery',
      why: 'EventBridge could not deliver it to rewind-local-restore-inbox: SQS.ThrottlingException Rate exceeded',
    });
    expect(byQueue['rewind-local-notify-inbox-dlq']!.messages[0]).toMatchObject({
      failureClass: 'poison',
      body: 'this is not JSON',
      reason: 'the body is not JSON',
    });
    expect(byQueue['rewind-local-snapshot-inbox-dlq']!.approximateCount).toBe(0);
    // Nothing is said from the receive count.
    expect(JSON.stringify(first)).not.toMatch(/receive ?count|received \d/i);

    // Visible again at once: SQS counts them as visible right after.
    const url = await queueUrl(env.clients.sqs, names().inboxDlq('restore'));
    expect(await approximateCount(env.clients.sqs, url)).toBe(2);

    const again = json<DlqDoc>((await rewind('dlq', 'restore', '--json')).out);
    expect(again.total).toBe(3);

    const human = await rewind('dlq');
    expect(human.out).toMatch(/rewind-local-restore-inbox-dlq\s+2/);
    expect(human.out).toMatch(/poison\s+RestoreRequested\s+run -/);
    expect(human.out).toContain('4 message(s) (of those shown: 2 poison, 1 transient, 1 delivery failure).');
    expect(human.out).toContain('except the poison ones (--include-poison)');
    expect(human.out).not.toContain('likely transient');
  });

  test('redrive <service> moves transient and delivery failures back, where they are processed, and leaves poison', async () => {
    const r = await rewind('redrive', 'restore', '--json');
    expect(r.code).toBe(0);
    const doc = json<{
      moved: number;
      poisonLeft: number;
      results: { queue: string; moved: number; kept: { reason?: string }[] }[];
    }>(r.out);
    expect([doc.moved, doc.poisonLeft]).toEqual([2, 1]);
    expect(doc.results.map((x) => [x.queue, x.moved, x.kept.length])).toEqual([
      ['rewind-local-restore-inbox-dlq', 1, 1],
      ['rewind-local-restore-target-dlq', 1, 0],
    ]);
    expect((await finished('dlq-1')).status).toBe('completed');
    expect((await finished('dlq-2')).status).toBe('completed');
    // The poison message is still there (and visible), and the other service's DLQ is untouched.
    const left = json<DlqDoc>((await rewind('dlq', '--json')).out);
    expect(left.queues.filter((q) => q.approximateCount).map((q) => [q.queue, q.approximateCount])).toEqual([
      ['rewind-local-restore-inbox-dlq', 1],
      ['rewind-local-notify-inbox-dlq', 1],
    ]);

    const human = await rewind('redrive', 'notify');
    expect(human.code).toBe(0);
    expect(human.out).toContain(
      '1 poison message(s) left in place: they can never be processed as they are, so redriving them would only send them back to the DLQ.',
    );
    expect(human.out).toContain('rewind redrive notify --include-poison');
  });

  test('redrive --include-poison moves poison messages too', async () => {
    const r = await rewind('redrive', 'restore', '--include-poison', '--json');
    expect(r.code).toBe(0);
    expect(json<{ moved: number; poisonLeft: number }>(r.out)).toMatchObject({ moved: 1, poisonLeft: 0 });
  });

  test('replay --from --rule replays the archive onto the bus, to that rule only', async () => {
    const { sqs, events } = env.clients;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'cli-test-listener' }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await events.send(
      new PutRuleCommand({
        Name: 'cli-test-listener',
        EventBusName: names().busName,
        EventPattern: JSON.stringify({ source: ['rewind'], 'detail-type': ['RunCompleted'] }),
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'cli-test-listener',
        EventBusName: names().busName,
        Targets: [{ Id: 'q', Arn: Attributes!.QueueArn! }],
      }),
    );

    const r = await rewind('replay', '--from', '10m', '--rule', 'cli-test-listener', '--json');
    expect(r.code).toBe(0);
    const replay = json<{ name: string; state: string; rule: string }>(r.out);
    expect(replay).toMatchObject({
      state: 'COMPLETED',
      rule: expect.stringContaining('rule/rewind-local/cli-test-listener'),
    });

    const received: { 'replay-name'?: string; detail: { run: { identifier: string } } }[] = [];
    while (received.length < 2) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      received.push(...(out.Messages ?? []).map((m) => JSON.parse(m.Body!) as (typeof received)[number]));
    }
    expect(received.map((e) => e['replay-name'])).toEqual([replay.name, replay.name]);
    expect(received.map((e) => e.detail.run.identifier).sort()).toEqual(['billing-db', 'orders-db']);

    const unknown = await rewind('replay', '--from', '10m', '--rule', 'no-such-rule');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no rule no-such-rule on bus rewind-local');
  });

  test('events lists the catalog; --schema prints one JSON Schema', async () => {
    const list = json<{ events: { name: string; producer: string }[] }>(
      (await rewind('events', '--json')).out,
    );
    expect(list.events.map((e) => e.name)).toEqual(
      expect.arrayContaining(['RestoreRequested', 'RunCompleted', 'RunFailed']),
    );
    expect(list.events.find((e) => e.name === 'RestoreRequested')!.producer).toBe('any client');
    const human = await rewind('events');
    expect(human.out).toMatch(
      /^EVENT\s+PRODUCER\s+MEANING\nRestoreRequested\s+any client\s+Please run this task/,
    );
    const schema = json<{ title: string; properties: Record<string, unknown> }>(
      (await rewind('events', '--schema', 'RestoreRequested')).out,
    );
    expect(schema.title).toBe('RestoreRequested');
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['identifier', 'task', 'requestId', 'replayOf']),
    );
    const bad = await rewind('events', '--schema', 'Nope');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown event "Nope"');
  });
});
