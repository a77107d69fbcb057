import {
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { EVENT_EXAMPLES, inboxHandler, type RunRecord } from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture } from '@rewind/shared/src/testing/fixtures';
import { routes } from '../src/handler';
import { atCleanup, checkOf, published, rdsError, stored } from './cleanupRuns';

/**
 * The cleanup inbox end to end with mocked clients. What is not RDS's answer (DynamoDB, SQS, a network error) never ends the cleanup step: the message
 * fails and is delivered again, the run stays where it was, and no RDS call is repeated.
 */

const bed = useServiceTestBed();
const { rds, sqs } = bed;

const ctx = () => testContext('cleanup', bed.store);
const handler = () => inboxHandler('cleanup', routes, ctx);

/** The message that starts cleanup: RestoreCompleted with `next` = cleanup. */
function trigger(run: RunRecord): SQSEvent {
  const body = {
    id: 'evt-restore-completed',
    'detail-type': 'RestoreCompleted',
    source: 'rewind',
    detail: { ...EVENT_EXAMPLES.RestoreCompleted, run: run.run },
  };
  return message(body);
}

function message(body: unknown): SQSEvent {
  const record = {
    messageId: 'm-1',
    receiptHandle: 'r-1',
    body: JSON.stringify(body),
    attributes: { ApproximateReceiveCount: '1' },
  };
  return { Records: [record] } as unknown as SQSEvent;
}

const FAILED = { batchItemFailures: [{ itemIdentifier: 'm-1' }] };
const DONE = { batchItemFailures: [] };
const throughput = () =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
    name: 'ProvisionedThroughputExceededException',
    $metadata: { httpStatusCode: 400 },
  });

function setAside(run: RunRecord) {
  rds
    .on(DescribeDBInstancesCommand)
    .resolves({ DBInstances: [dbInstanceFixture(run.names.temporary!, { DeletionProtection: false })] });
  rds.on(DeleteDBInstanceCommand).resolves({});
}

afterEach(() => jest.restoreAllMocks());

test('a DynamoDB error at the claim: the message fails, the run is unchanged, nothing is deleted; the redelivery deletes once', async () => {
  const run = await atCleanup(bed.store, 'instance');
  setAside(run);
  jest.spyOn(bed.store, 'updateRun').mockRejectedValueOnce(throughput());

  expect(await handler()(trigger(run))).toEqual(FAILED);
  expect(await stored(bed, run)).toEqual(run);
  expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  expect(published(bed)).toEqual([]);

  expect(await handler()(trigger(run))).toEqual(DONE);
  expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(1);
  expect((await stored(bed, run)).expectation).toMatchObject({ step: 'cleanup', acted: true });
});

test('an SQS error arming the deadline check: the message fails, the run waits with no warning; the redelivery re-arms the check and deletes nothing twice', async () => {
  const run = await atCleanup(bed.store, 'instance');
  setAside(run);
  sqs.on(SendMessageCommand).rejectsOnce(new Error('SQS unavailable')).resolves({});

  expect(await handler()(trigger(run))).toEqual(FAILED);
  const waiting = await stored(bed, run);
  expect(waiting).toMatchObject({ status: 'running', warnings: [], run: { next: 'cleanup' } });
  expect(published(bed)).toEqual([]);

  expect(await handler()(trigger(run))).toEqual(DONE);
  expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(1);
  const checks = sqs.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody!));
  expect(checks).toEqual([
    { kind: 'rewind.check', runId: run.runId, step: 'cleanup', seq: 0 },
    { kind: 'rewind.check', runId: run.runId, step: 'cleanup', seq: 0 },
  ]);
});

test('a DynamoDB error completing the step: the check fails, the run still waits; the next check completes it', async () => {
  const run = await atCleanup(bed.store, 'instance');
  setAside(run);
  expect(await handler()(trigger(run))).toEqual(DONE);
  const waiting = await stored(bed, run);
  rds.on(DescribeDBInstancesCommand).rejects(rdsError('DBInstanceNotFoundFault'));
  jest.spyOn(bed.store, 'updateRun').mockRejectedValueOnce(throughput());

  expect(await handler()(message(checkOf(waiting)))).toEqual(FAILED);
  expect(await stored(bed, run)).toEqual(waiting);
  expect(published(bed)).toEqual([]);

  expect(await handler()(message(checkOf(waiting)))).toEqual(DONE);
  expect(published(bed).map((e) => e.type)).toEqual(['CleanupCompleted', 'RunCompleted']);
  expect(await stored(bed, run)).toMatchObject({ status: 'completed', warnings: [] });
});

test('an error that is not an answer from RDS (a dropped connection) fails the message, never the step', async () => {
  const run = await atCleanup(bed.store, 'instance');
  setAside(run);
  rds.on(DeleteDBInstanceCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));

  expect(await handler()(trigger(run))).toEqual(FAILED);
  expect(await stored(bed, run)).toMatchObject({ status: 'running', warnings: [], run: { next: 'cleanup' } });
  expect(published(bed)).toEqual([]);
});

test('throttling of the deletion: the run waits, and a look after the act timeout sends the call again', async () => {
  const run = await atCleanup(bed.store, 'instance');
  setAside(run);
  rds.on(DeleteDBInstanceCommand).rejectsOnce(rdsError('Throttling', 'Rate exceeded')).resolves({});
  rds.on(ModifyDBInstanceCommand).resolves({});

  expect(await handler()(trigger(run))).toEqual(DONE);
  const waiting = await stored(bed, run);
  expect(waiting).toMatchObject({ status: 'running', warnings: [], expectation: { acted: false } });

  const later = testContext('cleanup', bed.store, () => new Date(Date.now() + 10_000));
  expect(await inboxHandler('cleanup', routes, () => later)(message(checkOf(waiting)))).toEqual(DONE);
  expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(2);
  expect((await stored(bed, run)).expectation).toMatchObject({ acted: true });
});

test('the RDS event "DB instance deleted" for the set-aside original completes the step; a duplicate changes nothing', async () => {
  const run = await atCleanup(bed.store, 'instance');
  const temp = run.names.temporary!;
  setAside(run);
  expect(await handler()(trigger(run))).toEqual(DONE);
  rds.on(DescribeDBInstancesCommand).rejects(rdsError('DBInstanceNotFoundFault'));
  const deletedEvent = message({
    id: 'rds-1',
    'detail-type': 'RDS DB Instance Event',
    source: 'aws.rds',
    detail: {
      SourceArn: `arn:aws:rds:us-east-1:000000000000:db:${temp}`,
      SourceIdentifier: temp,
      EventID: 'RDS-EVENT-0003',
      Message: 'DB instance deleted',
    },
  });

  expect(await handler()(deletedEvent)).toEqual(DONE);
  expect(await handler()(deletedEvent)).toEqual(DONE);
  expect(published(bed).map((e) => e.type)).toEqual(['CleanupCompleted', 'RunCompleted']);
  expect(published(bed)[0]!.detail).toMatchObject({ deletedIdentifier: temp });
  expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(1);
});
