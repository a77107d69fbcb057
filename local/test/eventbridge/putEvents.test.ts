import {
  CreateEventBusCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { busArn, queueArn, rejectsWith, useHarness } from './harness';

const h = useHarness();

const entry = (over: Record<string, unknown> = {}) => ({
  Source: 'rewind',
  DetailType: 'RestoreRequested',
  Detail: JSON.stringify({ db: 'orders' }),
  ...over,
});

async function ruleToQueue(
  name: string,
  pattern: object,
  target: Record<string, unknown> = {},
  bus = 'default',
) {
  await h.client.send(
    new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify(pattern) }),
  );
  await h.client.send(
    new PutTargetsCommand({
      Rule: name,
      EventBusName: bus,
      Targets: [{ Id: 't', Arn: queueArn(name), ...target }],
    }),
  );
}

describe('PutEvents', () => {
  test('delivers the exact EventBridge envelope to a matching SQS target', async () => {
    await ruleToQueue('intake', { source: ['rewind'], 'detail-type': ['RestoreRequested'] });
    const time = new Date('2024-05-01T10:20:30.456Z');
    const res = await h.client.send(
      new PutEventsCommand({
        Entries: [entry({ Time: time, Resources: ['arn:aws:rds:us-east-1:000000000000:db:orders'] })],
      }),
    );
    expect(res.FailedEntryCount).toBe(0);
    const eventId = res.Entries?.[0]?.EventId;
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    await h.emulator.whenIdle();
    expect(h.sqs.events(queueArn('intake'))).toEqual([
      {
        version: '0',
        id: eventId,
        'detail-type': 'RestoreRequested',
        source: 'rewind',
        account: '000000000000',
        time: '2024-05-01T10:20:30Z',
        region: 'us-east-1',
        resources: ['arn:aws:rds:us-east-1:000000000000:db:orders'],
        detail: { db: 'orders' },
      },
    ]);
  });

  test('time defaults to now with seconds precision, resources to []', async () => {
    await ruleToQueue('all', { source: ['rewind'] });
    await h.client.send(new PutEventsCommand({ Entries: [entry()] }));
    await h.emulator.whenIdle();
    const [event] = h.sqs.events(queueArn('all'));
    expect(event?.['time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(String(event?.['time'])) - Date.now())).toBeLessThan(3000);
    expect(event?.['resources']).toEqual([]);
  });

  test('reports per-entry errors the way AWS does and routes the valid entries', async () => {
    await ruleToQueue('all', { source: ['rewind'] });
    const res = await h.client.send(
      new PutEventsCommand({
        Entries: [
          entry(),
          entry({ Source: undefined }),
          entry({ DetailType: undefined }),
          entry({ Detail: undefined }),
          entry({ Detail: '{not json' }),
          entry({ Detail: '[1,2]' }),
          entry({ Detail: '"text"' }),
          entry({ DetailType: 'x'.repeat(129) }),
          entry({ EventBusName: 'nope' }),
          entry({ DetailType: 'y'.repeat(128) }),
        ],
      }),
    );
    expect(res.FailedEntryCount).toBe(8);
    const required = (p: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${p} is not valid. Reason: ${p} is a required argument.`,
    });
    const malformed = { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    expect(res.Entries?.slice(1, 9)).toEqual([
      required('Source'),
      required('DetailType'),
      required('Detail'),
      malformed,
      malformed,
      malformed,
      { ErrorCode: 'InvalidArgument', ErrorMessage: expect.stringMatching(/DetailType .*128/) },
      { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus nope does not exist.' },
    ]);
    expect(res.Entries?.[0]?.EventId).toBeDefined();
    expect(res.Entries?.[9]?.EventId).toBeDefined();
    await h.emulator.whenIdle();
    expect(h.sqs.to(queueArn('all'))).toHaveLength(2);
    const stats = h.emulator.stats();
    expect(stats.entriesAccepted).toBe(2);
    expect(stats.entriesFailed).toBe(8);
  });

  test('rejects more than 10 entries, no entries, and requests over 256 KB', async () => {
    const eleven = Array.from({ length: 11 }, () => entry());
    await rejectsWith(h.client.send(new PutEventsCommand({ Entries: eleven })), 'ValidationException');
    await rejectsWith(h.client.send(new PutEventsCommand({ Entries: [] })), 'ValidationException');
    const big = entry({ Detail: JSON.stringify({ blob: 'x'.repeat(256 * 1024) }) });
    await expect(h.client.send(new PutEventsCommand({ Entries: [big] }))).rejects.toThrow(
      'Total size of the entries in the request is over the limit.',
    );
    const justUnder = entry({ Detail: JSON.stringify({ blob: 'x'.repeat(200 * 1024) }) });
    expect((await h.client.send(new PutEventsCommand({ Entries: [justUnder] }))).FailedEntryCount).toBe(0);
  });

  test('routes only to enabled rules whose pattern matches, on the named bus', async () => {
    await h.client.send(new CreateEventBusCommand({ Name: 'rewind' }));
    await ruleToQueue('match', { detail: { db: ['orders'] } }, {}, 'rewind');
    await ruleToQueue('nomatch', { detail: { db: ['billing'] } }, {}, 'rewind');
    await ruleToQueue('disabled', { source: ['rewind'] }, {}, 'rewind');
    await h.client.send(
      new PutRuleCommand({
        Name: 'disabled',
        EventBusName: 'rewind',
        EventPattern: '{"source":["rewind"]}',
        State: 'DISABLED',
      }),
    );
    await ruleToQueue('default-bus', { source: ['rewind'] });
    await h.client.send(new PutEventsCommand({ Entries: [entry({ EventBusName: busArn('rewind') })] }));
    await h.emulator.whenIdle();
    expect(h.sqs.sent.map((m) => m.queueArn)).toEqual([queueArn('match')]);
  });

  test('Input, InputPath, InputTransformer and SQS MessageGroupId', async () => {
    await ruleToQueue('const', { source: ['rewind'] }, { Input: '{"fixed":true}' });
    await ruleToQueue('path', { source: ['rewind'] }, { InputPath: '$.detail' });
    await ruleToQueue(
      'tx',
      { source: ['rewind'] },
      {
        InputTransformer: {
          InputPathsMap: { db: '$.detail.db', type: '$.detail-type', res: '$.resources' },
          InputTemplate:
            '{"database": <db>, "text": "<type> for <db>", "res": <res>, "rule": "<aws.events.rule-name>"}',
        },
      },
    );
    await ruleToQueue('fifo', { source: ['rewind'] }, { SqsParameters: { MessageGroupId: 'g1' } });
    await h.client.send(new PutEventsCommand({ Entries: [entry()] }));
    await h.emulator.whenIdle();
    expect(h.sqs.to(queueArn('const'))[0]?.body).toBe('{"fixed":true}');
    expect(h.sqs.events(queueArn('path'))).toEqual([{ db: 'orders' }]);
    expect(h.sqs.events(queueArn('tx'))).toEqual([
      { database: 'orders', text: 'RestoreRequested for orders', res: [], rule: 'tx' },
    ]);
    expect(h.sqs.to(queueArn('fifo'))[0]?.messageGroupId).toBe('g1');
  });

  test('putInternal puts aws.rds events on default, forwarded by a rule to another bus', async () => {
    await h.client.send(new CreateEventBusCommand({ Name: 'rewind' }));
    await h.client.send(
      new PutRuleCommand({ Name: 'forward-rds', EventPattern: JSON.stringify({ source: ['aws.rds'] }) }),
    );
    await h.client.send(
      new PutTargetsCommand({ Rule: 'forward-rds', Targets: [{ Id: 'bus', Arn: busArn('rewind') }] }),
    );
    await ruleToQueue(
      'inbox',
      { source: ['aws.rds'], 'detail-type': ['RDS DB Instance Event'] },
      {},
      'rewind',
    );
    await h.emulator.putInternal('default', [
      {
        source: 'aws.rds',
        detailType: 'RDS DB Instance Event',
        detail: { EventID: 'RDS-EVENT-0005' },
        resources: ['arn:aws:rds:us-east-1:000000000000:db:orders'],
        time: new Date('2024-01-02T03:04:05.678Z'),
      },
    ]);
    await h.emulator.whenIdle();
    const [event] = h.sqs.events(queueArn('inbox'));
    expect(event).toMatchObject({
      source: 'aws.rds',
      'detail-type': 'RDS DB Instance Event',
      time: '2024-01-02T03:04:05Z',
      detail: { EventID: 'RDS-EVENT-0005' },
    });
    await expect(h.emulator.putInternal('missing', [])).rejects.toThrow('Event bus missing does not exist.');
  });
});
