import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { PublishError } from '../src/errors';
import {
  eventIdFromUrl,
  normaliseRdsNotification,
  parseEventTime,
  RDS_SUBSCRIPTION_SOURCE,
} from '../src/rds/snsAdapter';
import { forwardRdsNotifications } from '../src/rds/snsAdapterHandler';
import { RDS_DETAIL_TYPES } from '../src/topology';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:rewind-prod-rds-events';

function message(fields: Record<string, string>): string {
  return JSON.stringify({
    'Event Source': 'db-instance',
    'Event Time': '2024-03-05 14:02:11.123',
    'Identifier Link': 'https://console.aws.amazon.com/rds/home?region=eu-west-1#dbinstance:id=orders-db',
    'Source ID': 'orders-db',
    'Event ID':
      'http://docs.amazonwebservices.com/AmazonRDS/latest/UserGuide/USER_Events.html#RDS-EVENT-0005',
    'Event Message': 'DB instance created',
    ...fields,
  });
}

function snsEvent(...messages: string[]): SNSEvent {
  return {
    Records: messages.map((Message, i) => ({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: `${TOPIC}:sub`,
      Sns: {
        Type: 'Notification',
        MessageId: `m-${i}`,
        TopicArn: TOPIC,
        Subject: 'RDS Notification Message',
        Message,
        Timestamp: '2024-03-05T14:02:12.000Z',
        SignatureVersion: '1',
        Signature: '',
        SigningCertUrl: '',
        UnsubscribeUrl: '',
        MessageAttributes: {},
      },
    })),
  };
}

describe('normaliseRdsNotification', () => {
  it('turns an instance notification into the aws.rds detail shape', () => {
    const result = normaliseRdsNotification(message({}), { topicArn: TOPIC });

    expect(result).toEqual({
      kind: 'event',
      event: {
        source: RDS_SUBSCRIPTION_SOURCE,
        detailType: 'RDS DB Instance Event',
        time: new Date('2024-03-05T14:02:11.123Z'),
        resources: ['arn:aws:rds:eu-west-1:123456789012:db:orders-db'],
        detail: {
          EventCategories: [],
          SourceType: 'DB_INSTANCE',
          SourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders-db',
          SourceIdentifier: 'orders-db',
          Date: '2024-03-05T14:02:11.123Z',
          Message: 'DB instance created',
          EventID: 'RDS-EVENT-0005',
        },
      },
    });
  });

  it.each([
    ['db-snapshot', 'RDS DB Snapshot Event', 'SNAPSHOT', 'snapshot'],
    ['db-cluster', 'RDS DB Cluster Event', 'CLUSTER', 'cluster'],
    ['db-cluster-snapshot', 'RDS DB Cluster Snapshot Event', 'CLUSTER_SNAPSHOT', 'cluster-snapshot'],
  ])('maps %s to %s', (source, detailType, sourceType, arnType) => {
    const result = normaliseRdsNotification(message({ 'Event Source': source, 'Source ID': 'x1' }), {
      topicArn: TOPIC,
    });

    if (result.kind !== 'event') throw new Error(result.reason);
    expect(result.event.detailType).toBe(detailType);
    expect(result.event.detail.SourceType).toBe(sourceType);
    expect(result.event.detail.SourceArn).toBe(`arn:aws:rds:eu-west-1:123456789012:${arnType}:x1`);
  });

  it('prefers the Source ARN of the message, and keeps the rds: prefix of automated snapshots', () => {
    const arn = 'arn:aws-cn:rds:cn-north-1:210987654321:snapshot:rds:orders-db-2024-03-05-03-00';
    const result = normaliseRdsNotification(
      message({
        'Event Source': 'db-snapshot',
        'Source ID': 'rds:orders-db-2024-03-05-03-00',
        'Source ARN': arn,
      }),
      { topicArn: TOPIC },
    );

    if (result.kind !== 'event') throw new Error(result.reason);
    expect(result.event.detail.SourceArn).toBe(arn);
    expect(result.event.detail.SourceIdentifier).toBe('rds:orders-db-2024-03-05-03-00');
    expect(result.event.resources).toEqual([arn]);
  });

  it('leaves EventID out when the message has none (as RDS does for some events)', () => {
    const result = normaliseRdsNotification(message({ 'Event ID': '' }), { topicArn: TOPIC });

    if (result.kind !== 'event') throw new Error(result.reason);
    expect(result.event.detail).not.toHaveProperty('EventID');
  });

  it.each([
    ['not JSON', 'hello', /not JSON/],
    ['an array', '[1]', /not a JSON object/],
    ['a parameter-group event', message({ 'Event Source': 'db-parameter-group' }), /not one Rewind uses/],
    ['no source id', message({ 'Source ID': '' }), /Source ID/],
    ['an unreadable time', message({ 'Event Time': 'yesterday' }), /Event Time/],
  ])('ignores %s, saying why', (_label, raw, reason) => {
    const result = normaliseRdsNotification(raw, { topicArn: TOPIC });

    expect(result.kind).toBe('ignored');
    if (result.kind === 'ignored') expect(result.reason).toMatch(reason);
  });

  it('uses only detail-types the forwarding rule of the topology also forwards', () => {
    for (const source of ['db-instance', 'db-snapshot', 'db-cluster', 'db-cluster-snapshot']) {
      const result = normaliseRdsNotification(message({ 'Event Source': source }), { topicArn: TOPIC });

      if (result.kind !== 'event') throw new Error(result.reason);
      expect(RDS_DETAIL_TYPES).toContain(result.event.detailType);
    }
  });
});

describe('parseEventTime and eventIdFromUrl', () => {
  it('reads RDS times as UTC and accepts ISO-8601', () => {
    expect(parseEventTime('2024-03-05 14:02:11.123')?.toISOString()).toBe('2024-03-05T14:02:11.123Z');
    expect(parseEventTime('2024-03-05T14:02:11+02:00')?.toISOString()).toBe('2024-03-05T12:02:11.000Z');
    expect(parseEventTime('soon')).toBeUndefined();
  });

  it('takes the id at the end of the documentation URL', () => {
    expect(eventIdFromUrl('https://docs.aws.amazon.com/x.html#rds-event-0170')).toBe('RDS-EVENT-0170');
    expect(eventIdFromUrl('https://docs.aws.amazon.com/x.html')).toBeUndefined();
  });
});

describe('forwardRdsNotifications', () => {
  const events = mockClient(EventBridgeClient);
  beforeEach(() => events.reset());

  it('puts the normalised events on the bus and reports the ignored ones', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const logged: string[] = [];

    const out = await forwardRdsNotifications(snsEvent(message({}), 'not json'), {
      client: new EventBridgeClient({ region: 'eu-west-1' }),
      busName: 'rewind-prod',
      log: (m) => logged.push(m),
    });

    expect(out).toEqual({ published: 1, ignored: [expect.stringMatching(/^m-1: not JSON/)] });
    expect(logged).toHaveLength(1);
    const sent = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      EventBusName: 'rewind-prod',
      Source: RDS_SUBSCRIPTION_SOURCE,
      DetailType: 'RDS DB Instance Event',
      Resources: ['arn:aws:rds:eu-west-1:123456789012:db:orders-db'],
    });
    expect(JSON.parse(sent[0]!.Detail!)).toMatchObject({
      EventID: 'RDS-EVENT-0005',
      SourceIdentifier: 'orders-db',
    });
  });

  it('sends at most 10 entries per call', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });

    const out = await forwardRdsNotifications(snsEvent(...Array.from({ length: 12 }, () => message({}))), {
      client: new EventBridgeClient({ region: 'eu-west-1' }),
      busName: 'b',
    });

    expect(out.published).toBe(12);
    expect(events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([
      10, 2,
    ]);
  });

  it('throws PublishError when an entry is refused, so Lambda retries the invocation', async () => {
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [
        { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source' },
      ],
    });

    await expect(
      forwardRdsNotifications(snsEvent(message({})), {
        client: new EventBridgeClient({ region: 'eu-west-1' }),
        busName: 'b',
      }),
    ).rejects.toThrow(PublishError);
  });
});
