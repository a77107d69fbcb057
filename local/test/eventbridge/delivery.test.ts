import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { busArn, queueArn, useHarness } from './harness';

const h = useHarness();

const put = (detail: object = { n: 1 }, bus?: string) =>
  h.client.send(
    new PutEventsCommand({
      Entries: [{ Source: 'rewind', DetailType: 'T', Detail: JSON.stringify(detail), EventBusName: bus }],
    }),
  );

async function rule(name: string, targets: Record<string, unknown>[], bus = 'default') {
  await h.client.send(
    new PutRuleCommand({
      Name: name,
      EventBusName: bus,
      EventPattern: JSON.stringify({ source: ['rewind'] }),
    }),
  );
  await h.client.send(
    new PutTargetsCommand({
      Rule: name,
      EventBusName: bus,
      Targets: targets.map((t, i) => ({ Id: `t${i}`, ...t })) as { Id: string; Arn: string }[],
    }),
  );
}

describe('delivery', () => {
  test('retries a failing queue and succeeds within the retry policy', async () => {
    await rule('r', [{ Arn: queueArn('flaky'), RetryPolicy: { MaximumRetryAttempts: 3 } }]);
    h.sqs.failures.set(queueArn('flaky'), 2);
    await put();
    await h.emulator.whenIdle();
    expect(h.sqs.to(queueArn('flaky'))).toHaveLength(1);
    expect(h.sqs.attempts).toBe(3);
    expect(h.emulator.stats()).toMatchObject({ delivered: 1, retries: 2, failedDeliveries: 0 });
    expect(h.logs).toEqual([]);
  });

  test('after the last retry the event goes to the dead-letter queue, with one log line', async () => {
    await rule('r', [
      {
        Arn: queueArn('down'),
        RetryPolicy: { MaximumRetryAttempts: 2 },
        DeadLetterConfig: { Arn: queueArn('dlq') },
      },
    ]);
    h.sqs.failures.set(queueArn('down'), Infinity);
    const res = await put({ n: 7 });
    await h.emulator.whenIdle();
    expect(h.sqs.attempts).toBe(4); // 1 + 2 retries, then the DLQ
    const [dead] = h.sqs.events(queueArn('dlq'));
    expect(dead).toMatchObject({ id: res.Entries?.[0]?.EventId, source: 'rewind', detail: { n: 7 } });
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toMatch(/failed after 3 attempt\(s\).*dead-letter queue .*dlq/);
    expect(h.emulator.stats()).toMatchObject({ failedDeliveries: 1, deadLettered: 1, retries: 2 });
  });

  test('MaximumRetryAttempts 0 without a DLQ drops the event and logs it', async () => {
    await rule('r', [{ Arn: queueArn('down'), RetryPolicy: { MaximumRetryAttempts: 0 } }]);
    h.sqs.failures.set(queueArn('down'), Infinity);
    await put();
    await h.emulator.whenIdle();
    expect(h.sqs.attempts).toBe(1);
    expect(h.logs).toEqual([expect.stringMatching(/dropped \(no dead-letter queue\)/)]);
  });

  test('one failing target does not hold back the others', async () => {
    await rule('r', [
      { Arn: queueArn('down'), RetryPolicy: { MaximumRetryAttempts: 0 } },
      { Arn: queueArn('up') },
    ]);
    h.sqs.failures.set(queueArn('down'), Infinity);
    await put();
    await h.emulator.whenIdle();
    expect(h.sqs.to(queueArn('up'))).toHaveLength(1);
  });

  test('bus-to-bus targets re-enter routing; a missing target bus goes to the DLQ', async () => {
    await h.client.send(new CreateEventBusCommand({ Name: 'rewind' }));
    await h.client.send(new CreateEventBusCommand({ Name: 'gone' }));
    await rule('fwd', [
      { Arn: busArn('rewind') },
      {
        Arn: busArn('gone'),
        RetryPolicy: { MaximumRetryAttempts: 1 },
        DeadLetterConfig: { Arn: queueArn('dlq') },
      },
    ]);
    await rule('inbox', [{ Arn: queueArn('inbox') }], 'rewind');
    await h.client.send(new DeleteEventBusCommand({ Name: 'gone' }));
    const res = await put();
    await h.emulator.whenIdle();
    const [forwarded] = h.sqs.events(queueArn('inbox'));
    expect(forwarded).toMatchObject({ id: res.Entries?.[0]?.EventId, source: 'rewind' });
    expect(h.sqs.to(queueArn('dlq'))).toHaveLength(1);
    expect(h.logs[0]).toMatch(/Event bus gone does not exist/);
  });

  test('admin: recent events per bus and stats', async () => {
    await rule('r', [{ Arn: queueArn('q') }]);
    for (let i = 0; i < 3; i++) await put({ i });
    await h.emulator.whenIdle();
    const recent = (await (
      await fetch(`${h.endpoint}/_rewind/events/recent?bus=default&limit=2`)
    ).json()) as {
      bus: string;
      events: { detail: { i: number } }[];
    };
    expect(recent.bus).toBe('default');
    expect(recent.events.map((e) => e.detail.i)).toEqual([1, 2]);
    const stats = (await (await fetch(`${h.endpoint}/_rewind/events/stats`)).json()) as Record<
      string,
      number
    >;
    expect(stats).toMatchObject({
      entriesAccepted: 3,
      delivered: 3,
      failedDeliveries: 0,
      pendingDeliveries: 0,
    });
    expect((await fetch(`${h.endpoint}/_rewind/events/recent?bus=nope`)).status).toBe(404);
    expect((await fetch(`${h.endpoint}/_rewind/events/unknown`)).status).toBe(404);
  });

  /** A queue that takes 5 ms per message: deliveries must overlap to keep up. */
  function slowQueue(): void {
    const send = h.sqs.send.bind(h.sqs);
    h.sqs.send = async (arn, body, opts) => {
      await new Promise((r) => setTimeout(r, 5));
      return send(arn, body, opts);
    };
  }

  test('delivers every one of 2,000 entries put at a steady rate to a slow queue, once', async () => {
    await rule('r', [{ Arn: queueArn('q') }]);
    slowQueue();
    for (let tick = 0; tick < 200; tick++) {
      const entries = Array.from({ length: 10 }, (_, j) => ({
        source: 'rewind',
        detailType: 'Load',
        detail: { n: tick * 10 + j, sentAt: Date.now() },
      }));
      await h.emulator.putInternal('default', entries);
      await new Promise((r) => setTimeout(r, 5));
    }
    await h.emulator.whenIdle();
    // Throughput and latency are measured by bench/local-cloud.ts, not asserted here.
    expect(h.sqs.to(queueArn('q'))).toHaveLength(2000);
    expect(new Set(h.sqs.to(queueArn('q')).map((m) => JSON.parse(m.body).detail.n)).size).toBe(2000);
  });

  test('3,000 entries of concurrent PutEvents over HTTP are all accepted and delivered', async () => {
    await rule('r', [{ Arn: queueArn('q') }]);
    slowQueue();
    const total = 3000;
    const putEvents = (i: number) => {
      const Entries = Array.from({ length: 10 }, (_, j) => ({
        Source: 'rewind',
        DetailType: 'Load',
        Detail: JSON.stringify({ n: i * 10 + j, sentAt: Date.now() }),
      }));
      return fetch(h.endpoint, {
        method: 'POST',
        headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({ Entries }),
      }).then((r) => r.json() as Promise<{ FailedEntryCount: number }>);
    };
    for (let i = 0; i < total / 10; i += 5) {
      const answers = await Promise.all([0, 1, 2, 3, 4].map((k) => putEvents(i + k)));
      expect(answers.every((a) => a.FailedEntryCount === 0)).toBe(true);
    }
    await h.emulator.whenIdle();
    expect(h.sqs.to(queueArn('q'))).toHaveLength(total);
    expect(new Set(h.sqs.to(queueArn('q')).map((m) => JSON.parse(m.body).detail.n)).size).toBe(total);
  });
});
