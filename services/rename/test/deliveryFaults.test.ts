import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import {
  EVENT_EXAMPLES,
  inboxHandler,
  stepRoutes,
  waitingRoutes,
  type EventName,
  type RunRecord,
} from '@rewind/shared';
import { renameBack } from '../src/renameBack';
import { setAside } from '../src/setAside';
import { ORIGINAL_ID, useRenameTestBed } from './renameTestBed';

const t = useRenameTestBed();
const { put, ctx, instanceRenames, clusterRenames, published, stored } = t;
const { instanceRun, clusterRun, rollingBack } = t;

// ---- a DynamoDB or SQS error fails the message (delivered again), never the run ----

describe('a store or queue error', () => {
  const throughput = () =>
    Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
      name: 'ProvisionedThroughputExceededException',
    });

  function delivery(type: EventName, run: RunRecord): SQSEvent {
    const example = EVENT_EXAMPLES[type] as Record<string, unknown>;
    const body = JSON.stringify({
      id: `evt-${type}`,
      'detail-type': type,
      source: 'rewind',
      detail: { ...example, run: run.run },
    });
    return {
      Records: [
        { messageId: 'm-1', receiptHandle: 'r-1', body, attributes: { ApproximateReceiveCount: '1' } },
      ],
    } as unknown as SQSEvent;
  }

  const handlerWith = (c: ReturnType<typeof ctx>) =>
    inboxHandler(
      'rename',
      {
        events: stepRoutes({ 'set-aside': setAside.start, 'rename-back': renameBack.start }),
        ...waitingRoutes([setAside.wait, renameBack.wait]),
      },
      () => c,
    );
  afterEach(() => jest.restoreAllMocks());

  /** Each step, the event that starts it, and the world it starts in. */
  const starts = [
    [
      'set-aside',
      'RunStarted',
      async () => {
        put('instance', 'orders-db', 'available', ORIGINAL_ID);
        return instanceRun();
      },
    ],
    [
      'rename-back',
      'DiscardCompleted',
      async () => {
        const run = await rollingBack(await instanceRun());
        put('instance', run.names.temporary!, 'available', ORIGINAL_ID);
        return run;
      },
    ],
  ] as const;

  test.each(starts)(
    'DynamoDB, during %s: the message fails, the run stays where it was, nothing is renamed; the redelivery goes on',
    async (step, trigger, prepare) => {
      const run = await prepare();
      const before = await stored(run);
      const c = ctx();
      jest.spyOn(c.store, 'updateRun').mockRejectedValueOnce(throughput());

      expect(await handlerWith(c)(delivery(trigger, run))).toEqual({
        batchItemFailures: [{ itemIdentifier: 'm-1' }],
      });
      expect(await stored(run)).toEqual(before);
      expect(instanceRenames()).toEqual([]);
      expect(published()).toEqual([]);

      expect(await handlerWith(c)(delivery(trigger, run))).toEqual({ batchItemFailures: [] });
      expect(instanceRenames()).toHaveLength(1);
      expect((await stored(run)).expectation).toMatchObject({ step, acted: true });
    },
  );

  test.each(starts)(
    'SQS, during %s: a check that could not be armed fails the message, never the run; the redelivery re-arms it and renames nothing twice',
    async (step, trigger, prepare) => {
      const run = await prepare();
      const c = ctx();
      t.sqs.on(SendMessageCommand).rejectsOnce(new Error('SQS unavailable')).resolves({});

      expect(await handlerWith(c)(delivery(trigger, run))).toEqual({
        batchItemFailures: [{ itemIdentifier: 'm-1' }],
      });
      const after = await stored(run);
      expect([after.status, after.failure]).toEqual([run.status, run.failure]);
      expect(published()).toEqual([]);

      expect(await handlerWith(c)(delivery(trigger, run))).toEqual({ batchItemFailures: [] });
      expect(instanceRenames()).toHaveLength(1);
      const checks = t.sqs
        .commandCalls(SendMessageCommand)
        .map((m) => JSON.parse(m.args[0].input.MessageBody!));
      expect(checks).toEqual([
        { kind: 'rewind.check', runId: run.runId, step, seq: 0 },
        { kind: 'rewind.check', runId: run.runId, step, seq: 0 },
      ]);
    },
  );

  test('during a rename-back look: the check fails, no RollbackFailed, the run stays where it was', async () => {
    const run = await rollingBack(await clusterRun());
    const temp = run.names.temporary!;
    put('cluster', temp, 'rebooting', 'cluster-LEDGER');
    put('instance', 'ledger-1', 'available', 'db-LEDGER1');
    put('instance', 'ledger-2', 'available', 'db-LEDGER2');
    await renameBack.start(ctx(), run);
    const waiting = await stored(run);
    put('cluster', temp, 'available', 'cluster-LEDGER');
    const c = ctx();
    jest.spyOn(c.store, 'updateRun').mockRejectedValueOnce(throughput());
    const check = {
      kind: 'rewind.check',
      runId: run.runId,
      step: 'rename-back',
      seq: waiting.expectation!.checks,
    };
    const batch = {
      Records: [{ messageId: 'c-1', receiptHandle: 'r-1', body: JSON.stringify(check), attributes: {} }],
    } as unknown as SQSEvent;

    expect(await handlerWith(c)(batch)).toEqual({ batchItemFailures: [{ itemIdentifier: 'c-1' }] });
    expect(await stored(run)).toEqual(waiting);
    expect(clusterRenames()).toEqual([]);
    expect(published()).toEqual([]);

    expect(await handlerWith(c)(batch)).toEqual({ batchItemFailures: [] });
    expect(clusterRenames()).toEqual([
      { DBClusterIdentifier: temp, NewDBClusterIdentifier: 'ledger', ApplyImmediately: true },
    ]);
  });
});
