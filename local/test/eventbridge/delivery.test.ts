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

  test('sustains well over 1,000 entries/s with low event-to-queue latency', async () => {
    await rule('r', [{ Arn: queueArn('q') }]);
    // a queue that takes 5 ms per message: deliveries must overlap to keep up
    const slowSend = h.sqs.send.bind(h.sqs);
    h.sqs.send = async (arn, body, opts) => {
      await new Promise((r) => setTimeout(r, 5));
      return slowSend(arn, body, opts);
    };
    const total = 3000;
    const started = Date.now();
    const requests: Promise<unknown>[] = [];
    for (let i = 0; i < total / 10; i++) {
      const Entries = Array.from({ length: 10 }, (_, j) => ({
        Source: 'rewind',
        DetailType: 'Load',
        Detail: JSON.stringify({ n: i * 10 + j, sentAt: Date.now() }),
      }));
      requests.push(h.client.send(new PutEventsCommand({ Entries })));
      if (requests.length >= 5) await Promise.all(requests.splice(0));
    }
    await Promise.all(requests);
    await h.emulator.whenIdle();
    const elapsed = (Date.now() - started) / 1000;
    const sent = h.sqs.to(queueArn('q'));
    expect(sent).toHaveLength(total);
    expect(total / elapsed).toBeGreaterThan(1000);
    const latencies = sent
      .map((m) => m.at - (JSON.parse(m.body) as { detail: { sentAt: number } }).detail.sentAt)
      .sort((a, b) => a - b);
    const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? Infinity;
    expect(p99).toBeLessThan(100);
  });
});
