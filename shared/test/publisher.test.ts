import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { EVENT_EXAMPLES, EventPublisher, PublishError, ContractError, type OutgoingEvent } from '../src';

const eb = mockClient(EventBridgeClient);
const sleeps: number[] = [];
const publisher = () =>
  new EventPublisher(new EventBridgeClient({ region: 'us-east-1' }), {
    busName: 'rewind-test',
    maxAttempts: 4,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });

const ready = (n: number): OutgoingEvent => ({
  name: 'SnapshotReady',
  detail: { ...EVENT_EXAMPLES.SnapshotReady, run: { ...EVENT_EXAMPLES.SnapshotReady.run, id: `run-${n}` } },
});

beforeEach(() => {
  eb.reset();
  sleeps.length = 0;
});

test('sends validated entries in batches of at most 10, on the bus, with source rewind', async () => {
  eb.on(PutEventsCommand).callsFake((input) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_: unknown, i: number) => ({ EventId: `e${i}` })),
  }));
  await publisher().publishAll(Array.from({ length: 23 }, (_, i) => ready(i)));
  const calls = eb.commandCalls(PutEventsCommand);
  expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
  const first = calls[0]!.args[0].input.Entries![0]!;
  expect(first).toMatchObject({ EventBusName: 'rewind-test', Source: 'rewind', DetailType: 'SnapshotReady' });
  expect(JSON.parse(first.Detail!).run.id).toBe('run-0');
});

test('partial failure: only the throttled entry is retried, then succeeds', async () => {
  eb.on(PutEventsCommand)
    .resolvesOnce({
      FailedEntryCount: 1,
      Entries: [
        { EventId: 'a' },
        { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
        { EventId: 'c' },
      ],
    })
    .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
  await publisher().publishAll([ready(1), ready(2), ready(3)]);
  const calls = eb.commandCalls(PutEventsCommand);
  expect(calls).toHaveLength(2);
  expect(calls[1]!.args[0].input.Entries!.map((e) => JSON.parse(e.Detail!).run.id)).toEqual(['run-2']);
  expect(sleeps).toHaveLength(1);
});

test('throttling of the whole call, then success, with growing backoff', async () => {
  const throttle = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
  eb.on(PutEventsCommand)
    .rejectsOnce(throttle)
    .rejectsOnce(throttle)
    .resolves({ FailedEntryCount: 0, Entries: [{}] });
  await publisher().publish('SnapshotReady', ready(1).detail as never);
  expect(eb.commandCalls(PutEventsCommand)).toHaveLength(3);
  expect(sleeps).toHaveLength(2);
  expect(sleeps[1]!).toBeGreaterThanOrEqual(100); // second backoff >= half of 200 ms
});

test('permanent failure: not retried, PublishError names the event, run and error', async () => {
  eb.on(PutEventsCommand).resolves({
    FailedEntryCount: 1,
    Entries: [{ EventId: 'a' }, { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }],
  });
  const err = await publisher()
    .publishAll([ready(1), ready(2)])
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PublishError);
  expect((err as PublishError).unpublished).toEqual([
    {
      detailType: 'SnapshotReady',
      runId: 'run-2',
      errorCode: 'MalformedDetail',
      errorMessage: 'Detail is malformed.',
    },
  ]);
  expect((err as Error).message).toContain('SnapshotReady (run run-2): MalformedDetail');
  expect(eb.commandCalls(PutEventsCommand)).toHaveLength(1);
});

test('retryable failure that never clears gives up after maxAttempts', async () => {
  eb.on(PutEventsCommand).resolves({
    FailedEntryCount: 1,
    Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'oops' }],
  });
  const err = await publisher()
    .publishAll([ready(7)])
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PublishError);
  expect((err as PublishError).unpublished[0]).toMatchObject({
    runId: 'run-7',
    errorCode: 'InternalFailure',
  });
  expect(eb.commandCalls(PutEventsCommand)).toHaveLength(4);
});

test('an access error on the call is not retried', async () => {
  eb.on(PutEventsCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
  await expect(publisher().publishAll([ready(1)])).rejects.toThrow(/AccessDeniedException not allowed/);
  expect(eb.commandCalls(PutEventsCommand)).toHaveLength(1);
});

test('an invalid event is refused before anything is sent', async () => {
  await expect(
    publisher().publishAll([
      { name: 'SnapshotReady', detail: { run: EVENT_EXAMPLES.SnapshotReady.run } as never },
    ]),
  ).rejects.toBeInstanceOf(ContractError);
  expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
});
