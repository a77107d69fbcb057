import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DescribeReplayCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { spawnLocalCloud, type LocalCloud, type WebhookDelivery } from '../../src';
import { cloudClients } from '../cloudClients';

const FUNCTION = 'fixture-fn';
const QUEUE = 'fixture-inbox';
const DLQ = 'fixture-inbox-dlq';
const BUS = 'fixture-bus';
const MAX_RECEIVE_COUNT = 2;

interface Report {
  id?: string;
  replayName?: string;
  record: {
    messageId: string;
    body: string;
    attributes: { ApproximateReceiveCount: string };
    eventSource: string;
    eventSourceARN: string;
    awsRegion: string;
    md5OfBody: string;
    receiptHandle: string;
  };
  context: { functionName: string; remainingMs: number; awsRequestId: string };
  env: { endpoint?: string; region?: string; mark?: string };
}

/** The round trip, with the runtime reaching SQS in process or over HTTP through the edge. */
export function describeRoundTrip(TRANSPORT: 'in-process' | 'http'): void {
  let cloud: LocalCloud;
  let aws: ReturnType<typeof cloudClients>;
  let queueArn: string;
  let dlqUrl: string;

  async function eventually<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    timeoutMs = 20_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function reportsFor(id: string): Promise<Report[]> {
    const deliveries: WebhookDelivery[] = await cloud.admin.webhookDeliveries('fixture');
    return deliveries.map((d) => d.body as Report).filter((r) => r.id === id);
  }

  async function putEvents(entries: { id: string; fail?: boolean; throw?: boolean }[]): Promise<void> {
    const out = await aws.events.send(
      new PutEventsCommand({
        Entries: entries.map((detail) => ({
          EventBusName: BUS,
          Source: 'fixture',
          DetailType: 'FixtureEvent',
          Detail: JSON.stringify(detail),
        })),
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
  }

  async function drainDlq(): Promise<string[]> {
    const { Messages } = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    return (Messages ?? []).map(
      (m) => (JSON.parse(m.Body ?? '{}') as { detail?: { id?: string } }).detail?.id ?? '?',
    );
  }

  beforeAll(async () => {
    cloud = await spawnLocalCloud({
      provision: false,
      topologyFunctions: false,
      quiet: true,
      extraFunctions: [
        {
          name: FUNCTION,
          queueName: QUEUE,
          handler: 'local/test/fixtures/recordingHandler.handler',
          batchSize: 10,
          maxConcurrency: 2,
          timeoutSeconds: 5,
        },
      ],
      env: { FIXTURE_WEBHOOK: 'fixture', FIXTURE_MARK: 'from-options' },
      runtime: { visibilityTimeoutSeconds: 1, pollWaitSeconds: 2, transport: TRANSPORT },
    });
    aws = cloudClients(cloud.endpoint);
    const dlq = await aws.sqs.send(new CreateQueueCommand({ QueueName: DLQ }));
    dlqUrl = dlq.QueueUrl ?? '';
    const dlqArn = `arn:aws:sqs:us-east-1:000000000000:${DLQ}`;
    await aws.sqs.send(
      new CreateQueueCommand({
        QueueName: QUEUE,
        Attributes: {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
        },
      }),
    );
    queueArn = `arn:aws:sqs:us-east-1:000000000000:${QUEUE}`;
    const bus = await aws.events.send(new CreateEventBusCommand({ Name: BUS }));
    await aws.events.send(
      new CreateArchiveCommand({ ArchiveName: 'fixture-archive', EventSourceArn: bus.EventBusArn }),
    );
    await aws.events.send(
      new PutRuleCommand({
        Name: 'fixture-rule',
        EventBusName: BUS,
        EventPattern: JSON.stringify({ source: ['fixture'] }),
      }),
    );
    await aws.events.send(
      new PutTargetsCommand({
        Rule: 'fixture-rule',
        EventBusName: BUS,
        Targets: [{ Id: 'inbox', Arn: queueArn }],
      }),
    );
  });
  afterAll(async () => {
    aws?.destroy();
    await cloud?.stop();
  });

  describe(`PutEvents -> rule -> SQS -> runtime (${TRANSPORT}) -> handler`, () => {
    it('delivers a Lambda-shaped SQS event and context, with the handler environment set', async () => {
      await putEvents([{ id: 'shape' }]);
      const [report] = await eventually('the handler to see "shape"', async () =>
        (await reportsFor('shape')).length ? reportsFor('shape') : undefined,
      );
      expect(report?.record).toMatchObject({
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: 'us-east-1',
        receiptHandle: 'present',
        attributes: { ApproximateReceiveCount: '1' },
      });
      expect(report?.record.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
      expect(JSON.parse(report?.record.body ?? '{}')).toMatchObject({
        source: 'fixture',
        'detail-type': 'FixtureEvent',
        detail: { id: 'shape' },
      });
      expect(report?.context.functionName).toBe(FUNCTION);
      expect(report?.context.remainingMs).toBeGreaterThan(0);
      expect(report?.context.remainingMs).toBeLessThanOrEqual(5_000);
      expect(report?.env).toEqual({ endpoint: cloud.endpoint, region: 'us-east-1', mark: 'from-options' });
    });

    it('deletes the successes of a partial batch; the failed record comes back, then lands in the DLQ', async () => {
      await putEvents([{ id: 'ok-1' }, { id: 'bad', fail: true }, { id: 'ok-2' }]);
      const inDlq = await eventually('"bad" in the DLQ', async () => {
        const ids = await drainDlq();
        return ids.includes('bad') ? ids : undefined;
      });
      expect(inDlq).toEqual(['bad']);
      expect((await reportsFor('ok-1')).length).toBe(1);
      expect((await reportsFor('ok-2')).length).toBe(1);
      const bad = await reportsFor('bad');
      expect(bad.map((r) => r.record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
      const invocations = await cloud.admin.invocations(FUNCTION);
      const failedIds = invocations.flatMap((i) => i.failedMessageIds);
      expect(failedIds.filter((id) => id === bad[0]?.record.messageId)).toHaveLength(MAX_RECEIVE_COUNT);
      expect(invocations.some((i) => i.outcome === 'partial')).toBe(true);
    });

    it('a thrown error fails the whole batch: every record of it comes back', async () => {
      const queueUrl = `${cloud.endpoint}/000000000000/${QUEUE}`;
      const body = (detail: object) => JSON.stringify({ source: 'fixture', detail });
      await aws.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: [
            { Id: 'a', MessageBody: body({ id: 'innocent' }) },
            { Id: 'b', MessageBody: body({ id: 'thrower', throw: true }) },
          ],
        }),
      );
      const inDlq = await eventually('the thrown batch in the DLQ', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 3 && ids.length < 2; i++) ids.push(...(await drainDlq()));
        return ids.length === 2 ? ids : undefined;
      });
      expect(inDlq.sort()).toEqual(['innocent', 'thrower']);
      expect((await reportsFor('innocent')).length).toBe(MAX_RECEIVE_COUNT);
      const errors = (await cloud.admin.invocations(FUNCTION)).filter((i) => i.outcome === 'error');
      expect(errors[0]).toMatchObject({ records: 2, error: 'fixture: asked to throw' });
      expect(errors[0]?.failedMessageIds).toHaveLength(2);
      const counts = (await cloud.admin.invocationCounts())[FUNCTION];
      expect(counts?.errors).toBe(MAX_RECEIVE_COUNT);
    });

    it('runs up to maxConcurrency invocations at once when there is a backlog', async () => {
      await cloud.admin.clearInvocations();
      const queueUrl = `${cloud.endpoint}/000000000000/${QUEUE}`;
      const body = (i: number) =>
        JSON.stringify({ source: 'fixture', detail: { id: `busy-${i}`, sleepMs: 300 } });
      for (const start of [0, 10, 20, 30]) {
        await aws.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Array.from({ length: 10 }, (_, k) => ({ Id: `m${k}`, MessageBody: body(start + k) })),
          }),
        );
      }
      const invocations = await eventually('40 records handled', async () => {
        const list = await cloud.admin.invocations(FUNCTION);
        return list.reduce((n, i) => n + i.records, 0) >= 40 ? list : undefined;
      });
      const intervals = invocations.map((i) => [
        Date.parse(i.startedAt),
        Date.parse(i.startedAt) + i.durationMs,
      ]);
      const overlapAt = (t: number) =>
        intervals.filter(([from, to]) => (from ?? 0) <= t && t < (to ?? 0)).length;
      const peak = Math.max(...intervals.map(([from]) => overlapAt(from ?? 0)));
      expect(peak).toBe(2);
    });

    it('an archive replay re-delivers the event with its replay-name', async () => {
      const start = new Date(Date.now() - 1000);
      await putEvents([{ id: 'replayed' }]);
      await eventually('the first delivery', async () =>
        (await reportsFor('replayed')).length ? true : undefined,
      );
      const end = new Date();
      await aws.events.send(
        new StartReplayCommand({
          ReplayName: 'fixture-replay',
          EventSourceArn: 'arn:aws:events:us-east-1:000000000000:archive/fixture-archive',
          EventStartTime: start,
          EventEndTime: end,
          Destination: { Arn: `arn:aws:events:us-east-1:000000000000:event-bus/${BUS}` },
        }),
      );
      const replays = await eventually('the replayed delivery', async () => {
        const reports = (await reportsFor('replayed')).filter((r) => r.replayName);
        return reports.length ? reports : undefined;
      });
      expect(replays.map((r) => r.replayName)).toEqual(['fixture-replay']);
      const replay = await aws.events.send(new DescribeReplayCommand({ ReplayName: 'fixture-replay' }));
      expect(replay.State).toBeDefined();
    });

    it('the queue is left empty after all of this', async () => {
      const { Attributes } = await aws.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: `${cloud.endpoint}/000000000000/${QUEUE}`,
          AttributeNames: ['All'],
        }),
      );
      expect(Attributes?.ApproximateNumberOfMessages).toBe('0');
    });
  });
}
