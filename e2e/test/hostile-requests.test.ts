import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createProductionInstance, startE2E, type E2E } from '../harness';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.stop());

const ANSWERS = ['RunStarted', 'RestoreRejected', 'RequestRepeated'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function approximateCount(url: string): Promise<number> {
  const out = await e2e.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** Requests a fuzzer or a careless script would send: each must be answered within seconds. */
const HOSTILE: string[] = [
  // Over DynamoDB's item size once stored twice (record and outbox), under EventBridge's 256 KB entry limit.
  JSON.stringify({ identifier: 'orders-db', task: 'db_restore', notes: 'x'.repeat(200_000) }),
  JSON.stringify({ identifier: 'x'.repeat(120_000), task: 'db_restore' }),
  // Beyond what the DynamoDB marshaller accepts as a number.
  '{"identifier": "orders-db", "task": "create_snapshot", "retries": 1152921504606846976}',
  '{"identifier": "orders-db", "task": "create_snapshot", "isCluster": 1e308}',
  // Named like JavaScript object internals.
  '{"__proto__": {"identifier": "orders-db"}, "task": "create_snapshot"}',
  '{"identifier": "orders-db", "task": "create_snapshot", "constructor": {"prototype": {"polluted": true}}}',
  '{"identifier": "orders-db", "task": "create_snapshot", "hasOwnProperty": 1, "toString": "x"}',
  // Characters outside the Basic Multilingual Plane, control characters, wrong types.
  JSON.stringify({ identifier: 'orders-😀-db', task: 'create_snapshot', requestId: '😀' }),
  JSON.stringify({ identifier: 'orders-db\u0000', task: 'create_snapshot' }),
  JSON.stringify({ identifier: ['orders-db'], task: { name: 'create_snapshot' }, requestId: 7 }),
  JSON.stringify({ identifier: 'orders-db', task: 'db_restore', requestId: 'r'.repeat(5000) }),
  JSON.stringify({ identifier: 'orders-db', task: 'db_restore', replayOf: 'r'.repeat(100_000) }),
  JSON.stringify({ identifier: 'orders-db', task: 'db_restore', snapshotIdentifier: 's'.repeat(300) }),
  // Valid, every field at its longest, naming no database: it passes validation and reaches the lookup.
  JSON.stringify({
    identifier: 'a'.repeat(63),
    task: 'db_restore',
    snapshotIdentifier: 's'.repeat(255),
    requestId: 'r'.repeat(128),
  }),
  JSON.stringify(Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`field${i}`, i]))),
  '{}',
];

describe('hostile requests through the bus', () => {
  test('every request is answered with a reason within seconds, no DLQ, and a valid request still completes', async () => {
    const start = e2e.observer.events.length;
    // One call each: PutEvents takes at most 256 KB per call.
    const sent = await Promise.all(
      HOSTILE.map((Detail) =>
        e2e.events.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: e2e.cloud.names.busName,
                Source: 'fuzz.team',
                DetailType: 'RestoreRequested',
                Detail,
              },
            ],
          }),
        ),
      ),
    );
    expect(sent.map((o) => o.FailedEntryCount)).toEqual(HOSTILE.map(() => 0));

    const answers = () => e2e.observer.events.slice(start).filter((e) => ANSWERS.includes(e['detail-type']));
    for (let waited = 0; answers().length < HOSTILE.length && waited < 30_000; waited += 100)
      await sleep(100);
    await sleep(2000); // nothing more may come: one answer per request
    const got = answers();
    expect(got.map((e) => e['detail-type'])).toEqual(HOSTILE.map(() => 'RestoreRejected'));
    for (const answer of got) {
      expect(answer.detail.code).toEqual(expect.any(String));
      expect(String(answer.detail.reason).length).toBeGreaterThan(10);
    }
    expect(got.map((e) => e.detail.code).sort()).toEqual(
      expect.arrayContaining(['invalid-input', 'unknown-database']),
    );

    const restore = e2e.cloud.resources!.services.restore;
    expect(await approximateCount(restore.inboxDlq.url)).toBe(0);
    expect(await approximateCount(restore.targetDlq.url)).toBe(0);

    await createProductionInstance(e2e.rds, 'after-fuzz-db');
    const { terminal } = await e2e.request({ identifier: 'after-fuzz-db', task: 'create_snapshot_only' });
    expect(terminal['detail-type']).toBe('RunCompleted');
  }, 120_000);

  test('a message that can never be processed goes to the DLQ at once, tagged poison, and blocks nothing', async () => {
    const restore = e2e.cloud.resources!.services.restore;
    await e2e.sqs.send(
      new SendMessageCommand({ QueueUrl: restore.inbox.url, MessageBody: 'this is not json' }),
    );
    await createProductionInstance(e2e.rds, 'after-poison-db');
    const { terminal } = await e2e.request({ identifier: 'after-poison-db', task: 'create_snapshot_only' });
    expect(terminal['detail-type']).toBe('RunCompleted');
    let moved;
    for (let waited = 0; !moved && waited < 10_000; waited += 200) {
      const got = await e2e.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: restore.inboxDlq.url,
          MessageAttributeNames: ['All'],
          VisibilityTimeout: 0,
        }),
      );
      moved = got.Messages?.[0];
      if (!moved) await sleep(200);
    }
    expect(moved?.Body).toBe('this is not json');
    expect(moved?.MessageAttributes?.['rewind-failure-class']?.StringValue).toBe('poison');
    expect(moved?.MessageAttributes?.['rewind-failure-reason']?.StringValue).toMatch(/not JSON/);
    expect(moved?.MessageAttributes?.['rewind-service']?.StringValue).toBe('restore');
  }, 120_000);
});
