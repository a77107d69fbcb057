import {
  CreateArchiveCommand,
  DescribeArchiveCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { decodeState, encodeState } from '../../src/persistence/codec';
import { busArn, IDENTITY, queueArn, startHarness, type Harness } from './harness';

let harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  harnesses = [];
});

async function start(retryBaseDelayMs: number): Promise<Harness> {
  const h = await startHarness({ retryBaseDelayMs, retryMaxDelayMs: retryBaseDelayMs });
  harnesses.push(h);
  return h;
}

test('rules, targets, archives and a delivery waiting for its retry survive a dump and load', async () => {
  // a long retry delay: the delivery is still waiting when the state is dumped
  const h1 = await start(60_000);
  await h1.client.send(
    new PutRuleCommand({ Name: 'r', EventPattern: JSON.stringify({ source: ['rewind'] }) }),
  );
  await h1.client.send(
    new PutTargetsCommand({
      Rule: 'r',
      Targets: [{ Id: 'inbox', Arn: queueArn('inbox'), RetryPolicy: { MaximumRetryAttempts: 5 } }],
    }),
  );
  await h1.client.send(new CreateArchiveCommand({ ArchiveName: 'all', EventSourceArn: busArn('default') }));
  h1.sqs.failures.set(queueArn('inbox'), 1);
  const put = await h1.client.send(
    new PutEventsCommand({ Entries: [{ Source: 'rewind', DetailType: 'T', Detail: '{"n":1}' }] }),
  );
  for (let i = 0; i < 100 && h1.sqs.attempts === 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect([h1.sqs.attempts, h1.sqs.to(queueArn('inbox'))]).toEqual([1, []]);
  type Dump = {
    places: { accountId: string; state: { deliveries: { attempts: number; dueAt?: number }[] } }[];
  };
  const dump = (await h1.emulator.persistence!.dump()) as Dump;
  expect(dump.places.map((p) => p.accountId)).toEqual([IDENTITY.accountId]);
  expect(dump.places[0]?.state.deliveries).toEqual([
    expect.objectContaining({ attempts: 1, dueAt: expect.any(Number) }),
  ]);
  const text = encodeState(dump);
  await h1.close();
  harnesses = [];

  // the next start: the retry is due (its due time moved up here), so it is delivered at once
  const h2 = await start(5);
  const saved = decodeState(text) as Dump;
  saved.places[0]!.state.deliveries[0]!.dueAt = Date.now();
  await h2.emulator.persistence!.load(saved);
  await h2.emulator.whenIdle();
  expect(h2.sqs.events(queueArn('inbox')).map((e) => e.id)).toEqual([put.Entries?.[0]?.EventId]);
  const targets = await h2.client.send(new ListTargetsByRuleCommand({ Rule: 'r' }));
  expect(targets.Targets?.map((t) => [t.Id, t.RetryPolicy?.MaximumRetryAttempts])).toEqual([['inbox', 5]]);
  const archive = await h2.client.send(new DescribeArchiveCommand({ ArchiveName: 'all' }));
  expect(archive.EventCount).toBe(1);
  // the loaded rule still routes new events
  await h2.client.send(
    new PutEventsCommand({ Entries: [{ Source: 'rewind', DetailType: 'T', Detail: '{"n":2}' }] }),
  );
  await h2.emulator.whenIdle();
  expect(h2.sqs.to(queueArn('inbox'))).toHaveLength(2);
});
