import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import {
  commit,
  event,
  EVENT_EXAMPLES,
  flushOutbox,
  inboxHandler,
  loadRun,
  OUTBOX_GRACE_SECONDS,
} from '../src';
import { testContext } from '../src/testing/context';
import { runFixture } from '../src/testing/fixtures';
import { useServiceTestBed } from '../src/testing/serviceTestBed';

/**
 * The outbox: a writer publishes its own entries at once; another handler that reads the run while
 * they are young leaves them to the writer (no duplicate) but carries them in its own writes (no loss);
 * once older than the grace period they are published by whoever reads the run next, once.
 */
const bed = useServiceTestBed();
const { eb, sqs } = bed;

const published = () =>
  eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries!.map((e) => e.DetailType));
const ready = (run: { run: typeof EVENT_EXAMPLES.SnapshotReady.run }) =>
  event('SnapshotReady', { ...EVENT_EXAMPLES.SnapshotReady, run: run.run });

test('a writer publishes its own events at once and empties the outbox', async () => {
  const ctx = testContext('snapshot', bed.store);
  const run = await bed.store.createRun(runFixture());
  const after = await commit(ctx, run, {}, [ready(run)]);
  expect(published()).toEqual(['SnapshotReady']);
  expect(after.outbox).toEqual([]);
  expect((await bed.store.getRun(run.runId))!.outbox).toBeUndefined();
  expect((await bed.store.getTimeline(run.runId)).map((t) => `${t.direction} ${t.type}`)).toEqual([
    'out SnapshotReady',
  ]);
});

test('another handler leaves a young entry to its writer, carries it in its own write, and publishes it once it is due', async () => {
  const ctx = testContext('rename', bed.store);
  const created = await bed.store.createRun(runFixture());
  // A writer's state change whose events it is still publishing (or whose handler then failed).
  const written = await bed.store.updateRun(created, {
    outbox: [{ ...ready(created), at: new Date().toISOString() }],
  });

  const loaded = await loadRun(ctx, written.runId);
  expect(published()).toEqual([]);
  expect(loaded!.outbox).toHaveLength(1);
  // ...and asks its own inbox to look again once the entry is due, whatever becomes of the writer.
  const flush = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
  expect(JSON.parse(flush.MessageBody!)).toEqual({ kind: 'rewind.flush', runId: written.runId });
  expect(flush.DelaySeconds).toBeGreaterThanOrEqual(OUTBOX_GRACE_SECONDS - 2);
  expect(flush.DelaySeconds).toBeLessThanOrEqual(OUTBOX_GRACE_SECONDS);

  // Its own state change keeps the pending entry next to its own event, and publishes only its own.
  await commit(ctx, loaded!, { warnings: ['noted'] }, [
    event('RestoreFailed', {
      ...EVENT_EXAMPLES.RestoreFailed,
      run: written.run,
    }),
  ]);
  expect(published()).toEqual(['RestoreFailed']);
  const stored = (await bed.store.getRun(written.runId))!;
  expect(stored.outbox!.map((e) => e.name)).toEqual(['SnapshotReady']);

  // The writer never came back to it: the flush message, once the entry is due, publishes it.
  const later = testContext('rename', bed.store, () => new Date(Date.now() + OUTBOX_GRACE_SECONDS * 1000));
  const handler = inboxHandler('rename', {}, () => later);
  const record = { messageId: 'f-1', body: flush.MessageBody!, attributes: {} };
  expect(await handler({ Records: [record] } as unknown as SQSEvent)).toEqual({ batchItemFailures: [] });
  expect(published()).toEqual(['RestoreFailed', 'SnapshotReady']);
  expect((await bed.store.getRun(written.runId))!.outbox).toBeUndefined();
  // Published once: a later look finds nothing to send.
  const flushed = await flushOutbox(later, (await bed.store.getRun(written.runId))!);
  expect(flushed.outbox).toEqual([]);
  expect(published()).toEqual(['RestoreFailed', 'SnapshotReady']);
});

test('an event the handler was triggered by is known published: dropped, never sent again', async () => {
  const ctx = testContext('rename', bed.store);
  const created = await bed.store.createRun(runFixture());
  const old = new Date(Date.now() - 3600_000).toISOString();
  const written = await bed.store.updateRun(created, { outbox: [{ ...ready(created), at: old }] });
  const loaded = await loadRun(ctx, written.runId, ['SnapshotReady']);
  expect(published()).toEqual([]);
  expect(loaded!.outbox).toEqual([]);
});

test('entries written before entries carried a time count as due', async () => {
  const ctx = testContext('rename', bed.store);
  const created = await bed.store.createRun(runFixture());
  const written = await bed.store.updateRun(created, { outbox: [ready(created)] });
  await loadRun(ctx, written.runId);
  expect(published()).toEqual(['SnapshotReady']);
});
