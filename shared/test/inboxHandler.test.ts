import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { EVENT_EXAMPLES, inboxHandler, StaleWriteError, StateStore, type ServiceContext } from '../src';
import { startDynalite } from '../src/testing/dynalite';
import { testContext } from '../src/testing/context';

const sqs = mockClient(SQSClient);
beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({});
});
let db: Awaited<ReturnType<typeof startDynalite>>;
let ctx: ServiceContext;
beforeAll(async () => {
  db = await startDynalite();
  ctx = testContext('rename', new StateStore(db.client, db.tableName));
});
afterAll(async () => db.stop());

const record = (id: string, body: unknown) => ({
  messageId: id,
  receiptHandle: id,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  attributes: { ApproximateReceiveCount: '1' },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:inbox',
  awsRegion: 'us-east-1',
});
const batch = (...records: ReturnType<typeof record>[]) => ({ Records: records }) as unknown as SQSEvent;
const envelope = (type: string, detail: unknown, source = 'rewind') => ({
  id: `e-${type}`,
  'detail-type': type,
  source,
  detail,
});

test('routes by kind and detail-type, reports the records that failed, moves poison to the DLQ at once', async () => {
  const seen: string[] = [];
  const handler = inboxHandler(
    'rename',
    {
      events: {
        SnapshotReady: async (d) => {
          seen.push(`ready:${d.snapshotIdentifier}`);
        },
        RenameCompleted: async () => {
          throw new Error('boom');
        },
      },
      rds: async (e) => {
        seen.push(`rds:${e.kind}:${e.name}:${e.eventId}`);
      },
      check: async (c) => {
        seen.push(`check:${c.step}:${c.seq}`);
      },
    },
    () => ctx,
  );
  const out = await handler(
    batch(
      record('1', envelope('SnapshotReady', EVENT_EXAMPLES.SnapshotReady)),
      record('2', envelope('RenameCompleted', EVENT_EXAMPLES.RenameCompleted)),
      record('3', 'not json'),
      record('4', envelope('SnapshotReady', { run: EVENT_EXAMPLES.SnapshotReady.run })), // breaks its contract
      record('5', { kind: 'rewind.check', runId: 'run-x', step: 'set-aside', seq: 3 }),
      record('6', {
        ...envelope(
          'RDS DB Instance Event',
          {
            SourceArn: 'arn:aws:rds:us-east-1:000000000000:db:orders-db-rwk3j9x2qa-old',
            SourceIdentifier: 'rds:orders-db-rwk3j9x2qa-old',
            EventID: 'RDS-EVENT-0006',
            Message: 'DB instance restarted',
          },
          'aws.rds',
        ),
      }),
      record('7', envelope('SomethingElse', {})),
    ),
  );
  // 2 failed for a reason that may pass (retried); 3 and 4 can never be processed: moved to the DLQ, tagged.
  expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['2']);
  const moved = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
  expect(moved.map((m) => m.QueueUrl)).toEqual([
    `${ctx.config.inboxUrl('rename')}-dlq`,
    `${ctx.config.inboxUrl('rename')}-dlq`,
  ]);
  expect(moved.map((m) => m.MessageBody).sort()).toEqual(
    [
      record('3', 'not json').body,
      record('4', envelope('SnapshotReady', { run: EVENT_EXAMPLES.SnapshotReady.run })).body,
    ].sort(),
  );
  for (const m of moved) {
    expect(m.MessageAttributes?.['rewind-failure-class']).toEqual({
      DataType: 'String',
      StringValue: 'poison',
    });
    expect(m.MessageAttributes?.['rewind-service']).toEqual({ DataType: 'String', StringValue: 'rename' });
  }
  const reasons = moved.map((m) => m.MessageAttributes?.['rewind-failure-reason']?.StringValue).sort();
  expect(reasons[0]).toMatch(/snapshotIdentifier: is required/);
  expect(reasons[1]).toMatch(/message body is not JSON: not json/);
  expect(seen.sort()).toEqual([
    'check:set-aside:3',
    'rds:instance:orders-db-rwk3j9x2qa-old:RDS-EVENT-0006',
    `ready:${EVENT_EXAMPLES.SnapshotReady.snapshotIdentifier}`,
  ]);
});

test('a poison message the DLQ refuses takes the retry path (reported failed), never dropped', async () => {
  sqs.on(SendMessageCommand).rejects(Object.assign(new Error('queue gone'), { name: 'QueueDoesNotExist' }));
  const handler = inboxHandler('rename', {}, () => ctx);
  const out = await handler(batch(record('p', 'still not json')));
  expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'p' }]);
  expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
});

test('a lost race is retried in process; a run of lost races is reported for SQS to retry', async () => {
  let calls = 0;
  const flaky = inboxHandler(
    'rename',
    {
      check: async () => {
        calls++;
        if (calls < 3) throw new StaleWriteError('RUN#x', 1);
      },
    },
    () => ctx,
  );
  const ok = await flaky(batch(record('a', { kind: 'rewind.check', runId: 'r', step: 'set-aside', seq: 0 })));
  expect(ok.batchItemFailures).toEqual([]);
  expect(calls).toBe(3);
  const always = inboxHandler(
    'rename',
    {
      check: async () => {
        throw new StaleWriteError('RUN#x', 1);
      },
    },
    () => ctx,
  );
  const failed = await always(
    batch(record('b', { kind: 'rewind.check', runId: 'r', step: 'set-aside', seq: 0 })),
  );
  expect(failed.batchItemFailures).toEqual([{ itemIdentifier: 'b' }]);
});
