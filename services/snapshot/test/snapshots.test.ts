import { CreateDBSnapshotCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { EVENT_EXAMPLES, inboxHandler, settle, stepRoutes } from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { runFixture } from '@rewind/shared/src/testing/fixtures';
import { snapshotWait, startSnapshot } from '../src/snapshots';

const bed = useServiceTestBed();
const { rds, eb, sqs } = bed;
// Before the create call, the first look finds no snapshot of the run's name.
beforeEach(() => rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] }));

test('creates one tagged manual snapshot with the run name, waits, and arms a deadline check', async () => {
  const ctx = testContext('snapshot', bed.store);
  const run = await bed.store.createRun(runFixture('orders-db', 'create_snapshot'));
  rds.on(CreateDBSnapshotCommand).resolves({});
  await startSnapshot(ctx, run);

  expect(rds.commandCalls(CreateDBSnapshotCommand).map((c) => c.args[0].input)).toEqual([
    {
      DBSnapshotIdentifier: run.names.snapshot,
      DBInstanceIdentifier: 'orders-db',
      Tags: [
        { Key: 'rewind:created-by', Value: 'rewind' },
        { Key: 'rewind:run-id', Value: run.runId },
        { Key: 'rewind:source', Value: 'orders-db' },
        { Key: 'rewind:purpose', Value: 'create_snapshot' },
      ],
    },
  ]);
  const check = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!);
  expect(check).toEqual({ kind: 'rewind.check', runId: run.runId, step: 'snapshot', seq: 0 });
  const stored = await bed.store.getRun(run.runId);
  expect(stored?.expectation).toMatchObject({
    step: 'snapshot',
    resourceName: run.names.snapshot,
    acted: true,
  });
  expect(await bed.store.lookupResource('snapshot', run.names.snapshot!)).toMatchObject({ runId: run.runId });
});

test('an existing snapshot of the same name is ours (an earlier call): no failure', async () => {
  const ctx = testContext('snapshot', bed.store);
  const run = await bed.store.createRun(runFixture('orders-db', 'create_snapshot'));
  rds
    .on(CreateDBSnapshotCommand)
    .rejects(Object.assign(new Error('exists'), { name: 'DBSnapshotAlreadyExistsFault' }));
  await startSnapshot(ctx, run);
  expect((await bed.store.getRun(run.runId))?.status).toBe('running');
});

test('quota exceeded fails the run before the database is touched: RestoreFailed then RunFailed', async () => {
  const ctx = testContext('snapshot', bed.store);
  const run = await bed.store.createRun(runFixture('orders-db', 'create_snapshot'));
  await bed.store.acquireLock('instance', 'orders-db', run.runId);
  rds
    .on(CreateDBSnapshotCommand)
    .rejects(Object.assign(new Error('quota'), { name: 'SnapshotQuotaExceededFault' }));
  await startSnapshot(ctx, run);
  const stored = await bed.store.getRun(run.runId);
  expect(stored).toMatchObject({ status: 'failed', failure: { step: 'snapshot' } });
  const sent = eb
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries!.map((e) => e.DetailType));
  expect(sent).toEqual(['RestoreFailed', 'RunFailed']);
  expect(await bed.store.getLock('instance', 'orders-db')).toBeUndefined();
});

test('settle: available completes the step and publishes SnapshotReady with next set-aside', async () => {
  const ctx = testContext('snapshot', bed.store);
  const run = await bed.store.createRun(runFixture('orders-db', 'create_snapshot'));
  rds.on(CreateDBSnapshotCommand).resolves({});
  await startSnapshot(ctx, run);
  rds.on(DescribeDBSnapshotsCommand).resolves({
    DBSnapshots: [
      { DBSnapshotIdentifier: run.names.snapshot, Status: 'available', DBSnapshotArn: 'arn:snap' },
    ],
  });
  const outcome = await settle(ctx, (await bed.store.getRun(run.runId))!, snapshotWait);
  expect(outcome).toBe('done');
  const entry = eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
  expect(entry.DetailType).toBe('SnapshotReady');
  expect(JSON.parse(entry.Detail!)).toMatchObject({
    snapshotIdentifier: run.names.snapshot,
    run: { next: 'set-aside' },
  });
  // a second settle (duplicate event) finds the step done
  expect(await settle(ctx, (await bed.store.getRun(run.runId))!, snapshotWait)).toBe('stale');
});

test('settle: once the deadline has passed, the step fails with the last status seen', async () => {
  const ctx = testContext('snapshot', bed.store);
  const run = await bed.store.createRun(runFixture('orders-db', 'create_snapshot'));
  rds.on(CreateDBSnapshotCommand).resolves({});
  await startSnapshot(ctx, run);
  rds.on(DescribeDBSnapshotsCommand).resolves({
    DBSnapshots: [{ DBSnapshotIdentifier: run.names.snapshot, Status: 'creating', PercentProgress: 40 }],
  });
  const later = testContext('snapshot', bed.store, () => new Date(Date.now() + 3 * 3600_000));
  const waiting = (await bed.store.getRun(run.runId))!;
  const outcome = await settle(later, waiting, snapshotWait, {
    kind: 'rewind.check',
    runId: run.runId,
    step: 'snapshot',
    seq: waiting.expectation!.checks,
  });
  expect(outcome).toBe('failed');
  const failed = await bed.store.getRun(run.runId);
  expect(failed?.failure?.reason).toMatch(
    /did not become available within its deadline .*last status: creating 40%/,
  );
});

test('a check that could not be armed fails the message; its redelivery re-arms the check and calls RDS no second time', async () => {
  const ctx = testContext('snapshot', bed.store);
  const run = await bed.store.createRun(runFixture('orders-db', 'create_snapshot'));
  const handler = inboxHandler('snapshot', { events: stepRoutes({ snapshot: startSnapshot }) }, () => ctx);
  const message = {
    messageId: 'm-1',
    receiptHandle: 'r-1',
    body: JSON.stringify({
      id: 'evt-run-started',
      'detail-type': 'RunStarted',
      source: 'rewind',
      detail: { ...EVENT_EXAMPLES.RunStarted, run: run.run },
    }),
    attributes: { ApproximateReceiveCount: '1' },
  };
  const batch = { Records: [message] } as unknown as SQSEvent;
  rds.on(CreateDBSnapshotCommand).resolves({});
  sqs.on(SendMessageCommand).rejectsOnce(new Error('SQS unavailable')).resolves({});

  expect(await handler(batch)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
  expect(rds.commandCalls(CreateDBSnapshotCommand)).toHaveLength(1);

  expect(await handler(batch)).toEqual({ batchItemFailures: [] });
  expect(rds.commandCalls(CreateDBSnapshotCommand)).toHaveLength(1);
  const checks = sqs.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody!));
  expect(checks).toEqual([
    { kind: 'rewind.check', runId: run.runId, step: 'snapshot', seq: 0 },
    { kind: 'rewind.check', runId: run.runId, step: 'snapshot', seq: 0 },
  ]);
});
