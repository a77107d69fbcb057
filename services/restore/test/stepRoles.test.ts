import {
  DeleteDBInstanceCommand,
  ModifyDBInstanceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { beginCompensation, EVENT_EXAMPLES, inboxHandler, type RunRecord } from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture, runFixture } from '@rewind/shared/src/testing/fixtures';
import { routes } from '../src/handler';
import { describedDatabases } from './stepTestBed';

/**
 * The step protocol's roles in the restore service: a DynamoDB or SQS error while a step runs, forward
 * (restore) or compensation (discard), fails the message (SQS delivers it again) and leaves the run where
 * it was: no failure, no rollback, no RDS call sent twice.
 */

const bed = useServiceTestBed();
const { rds, eb, sqs } = bed;

const published = () =>
  eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries!.map((e) => e.DetailType));
const stored = async (run: RunRecord) => (await bed.store.getRun(run.runId))!;
let n = 0;
function message(body: unknown): SQSEvent {
  return {
    Records: [
      { messageId: `m-${++n}`, body: JSON.stringify(body), attributes: { ApproximateReceiveCount: '1' } },
    ],
  } as unknown as SQSEvent;
}
const eventMessage = (type: 'RenameCompleted' | 'RestoreFailed', run: RunRecord) =>
  message({
    id: `evt-${n}`,
    'detail-type': type,
    source: 'rewind',
    detail: { ...EVENT_EXAMPLES[type], run: run.run },
  });
const checkMessage = (run: RunRecord) =>
  message({
    kind: 'rewind.check',
    runId: run.runId,
    step: run.expectation!.step,
    seq: run.expectation!.checks,
  });
interface Role {
  step: 'restore' | 'discard';
  trigger: 'RenameCompleted' | 'RestoreFailed';
  /** The run at the step. */
  run(): Omit<RunRecord, 'version'>;
  /** The RDS call the step makes first. */
  call: typeof RestoreDBInstanceFromDBSnapshotCommand | typeof DeleteDBInstanceCommand;
  /** How many times the start makes that call (none while the copy to delete is still being created). */
  startCalls: number;
  /** What RDS describes when the step starts. */
  prepare(instances: Map<string, ReturnType<typeof dbInstanceFixture>>): void;
  /** The call the next look makes once the step waits (for the DynamoDB error to come before it). */
  next: typeof ModifyDBInstanceCommand | typeof DeleteDBInstanceCommand;
  /** What RDS describes once that next call is due. */
  ready(instances: Map<string, ReturnType<typeof dbInstanceFixture>>): void;
}

const atRestore = () => {
  const f = runFixture('orders-db');
  return { ...f, run: { ...f.run, next: 'restore' as const } };
};
const ROLES: Role[] = [
  {
    step: 'restore',
    trigger: 'RenameCompleted',
    run: atRestore,
    call: RestoreDBInstanceFromDBSnapshotCommand,
    startCalls: 1,
    prepare: () => undefined,
    next: ModifyDBInstanceCommand,
    ready: (instances) =>
      instances.set(
        'orders-db',
        dbInstanceFixture('orders-db', { DbiResourceId: 'db-RESTORED', DeletionProtection: false }),
      ),
  },
  {
    step: 'discard',
    trigger: 'RestoreFailed',
    run: () => {
      const f = atRestore();
      return {
        ...f,
        run: beginCompensation(f.run, 'restore'),
        status: 'rolling-back',
        failure: { step: 'restore', reason: 'restored instance ended failed' },
        resources: { ...f.resources, createdIds: { 'orders-db': 'db-RESTORED' } },
      };
    },
    call: DeleteDBInstanceCommand,
    startCalls: 0,
    prepare: (instances) =>
      instances.set(
        'orders-db',
        dbInstanceFixture('orders-db', {
          DbiResourceId: 'db-RESTORED',
          DBInstanceStatus: 'creating',
          DeletionProtection: false,
        }),
      ),
    next: DeleteDBInstanceCommand,
    ready: (instances) =>
      instances.set(
        'orders-db',
        dbInstanceFixture('orders-db', { DbiResourceId: 'db-RESTORED', DeletionProtection: false }),
      ),
  },
];

describe.each(ROLES)('the $step step', (role) => {
  test('an SQS error while the step starts fails the message; the run stays at the step; no call is sent twice', async () => {
    const { instances } = describedDatabases(rds);
    role.prepare(instances);
    const run = await bed.store.createRun(role.run());
    rds.on(role.call).resolves({});
    sqs.on(SendMessageCommand).rejectsOnce(new Error('SQS unavailable')).resolves({});
    const batch = eventMessage(role.trigger, run);

    expect(await handle(batch)).toEqual([batch.Records[0]!.messageId]);
    expect(rds.commandCalls(role.call)).toHaveLength(role.startCalls);
    const after = await stored(run);
    expect([after.status, after.run.next, after.failure ?? null]).toEqual([
      run.status,
      role.step,
      run.failure ?? null,
    ]);
    expect(published()).toEqual([]);

    expect(await handle(batch)).toEqual([]); // delivered again: the deadline check is armed
    expect(rds.commandCalls(role.call)).toHaveLength(role.startCalls);
    expect((await stored(run)).expectation?.step).toBe(role.step);
  });

  test('a DynamoDB error while the step waits fails the message and leaves the run unchanged', async () => {
    const { instances } = describedDatabases(rds);
    role.prepare(instances);
    const run = await bed.store.createRun(role.run());
    rds.on(role.call).resolves({ DBInstance: { DbiResourceId: 'db-RESTORED' } });
    rds.on(role.next).resolves({});
    expect(await handle(eventMessage(role.trigger, run))).toEqual([]);
    role.ready(instances);
    const waiting = await stored(run);
    const calls = rds.commandCalls(role.next).length;
    const throughput = Object.assign(new Error('Throughput exceeds the current capacity'), {
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    const spy = jest.spyOn(bed.store, 'updateRun').mockRejectedValueOnce(throughput);
    const batch = checkMessage(waiting);
    try {
      expect(await handle(batch)).toEqual([batch.Records[0]!.messageId]);
    } finally {
      spy.mockRestore();
    }
    expect(await stored(run)).toEqual(waiting);
    expect(rds.commandCalls(role.next)).toHaveLength(calls); // the claim failed: nothing was sent
    expect(published()).toEqual([]);

    expect(await handle(batch)).toEqual([]); // delivered again: the step goes on, the call is made once
    expect(rds.commandCalls(role.next)).toHaveLength(calls + 1);
    expect((await stored(run)).run.next).toBe(role.step);
  });
});

/** The service's inbox handler, as Lambda runs it, on the test's context: the ids of the failed messages. */
async function handle(batch: SQSEvent): Promise<string[]> {
  const ctx = testContext('restore', bed.store);
  const result = await inboxHandler('restore', routes, () => ctx)(batch);
  return result.batchItemFailures.map((f) => f.itemIdentifier);
}
