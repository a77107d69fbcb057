import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { PromoteReadReplicaCommand } from '@aws-sdk/client-rds';
import type { SQSEvent } from 'aws-lambda';
import {
  cancelRefusal,
  CHECK_KIND,
  inboxHandler,
  settle,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { failbackStep, failoverStep } from '../src/drStep';
import { handler } from '../src/handler';
import { intake } from '../src/intake';
import { checkReadiness } from '../src/readiness';
import { keptSnapshotName } from '../src/resources';
import { drWorld, PLAN_LAYERS } from './drWorld';

const bed = useServiceTestBed();
let world: ReturnType<typeof drWorld>;
let clock: number;
let ctx: ServiceContext;
let n = 0;

beforeEach(() => {
  world = drWorld(bed.rds);
  clock = Date.parse('2026-11-22T03:00:00Z');
  ctx = testContext('failover', bed.store, () => new Date(clock));
});
afterEach(() => {
  world.cache.restore();
  world.cloudWatch.restore();
});

/** Sends a FailoverRequested to intake; the run it started, or undefined when it was rejected. */
async function request(detail: Record<string, unknown>): Promise<RunRecord | undefined> {
  bed.eb.resetHistory();
  await intake(
    detail,
    { id: `evt-dr-${++n}`, 'detail-type': 'FailoverRequested', source: 'test', detail },
    ctx,
  );
  const started = bed.published().find((e) => e.type === 'FailoverStarted');
  return started && bed.store.getRun(started.detail.run.id);
}

const stepOf = (run: RunRecord) => (run.dr!.direction === 'failover' ? failoverStep : failbackStep);

/** The live deadline check arrives (after `seconds`). */
async function check(runId: string, seconds = 2) {
  clock += seconds * 1000;
  const run = (await bed.store.getRun(runId))!;
  if (!run.expectation) return 'stale';
  const step = stepOf(run);
  return settle(ctx, run, step.wait, {
    kind: CHECK_KIND,
    runId,
    step: step.wait.step,
    seq: run.expectation.checks,
  });
}

const terminal = () =>
  bed.published().filter((e) => e.type === 'FailoverCompleted' || e.type === 'FailoverFailed');

test('a planned failover: readiness, layer 1 (switchover + promotion) together, then layer 2, then FailoverCompleted', async () => {
  const run = await request({ plan: 'to-west', layers: PLAN_LAYERS, mode: 'planned', requestId: 'dr-1' });
  expect(run?.dr?.origins['aurora-global:orders-global']).toEqual({
    region: 'us-east-1',
    id: 'orders-east',
    arn: 'arn:aws:rds:us-east-1:000000000000:cluster:orders-east',
    targetArn: 'arn:aws:rds:us-west-2:000000000000:cluster:orders-west',
  });
  expect(world.calls).toEqual([]); // intake only describes
  expect(run!.locks!.map((l) => `${l.scope}${l.kind}#${l.identifier}`)).toEqual([
    'global-cluster#orders-global',
    '000000000000:us-west-2#cluster#orders-west',
    '000000000000:us-west-2#instance#billing-west',
    'global-replication-group#ldgnf-sessions',
  ]);

  await failoverStep.start(ctx, run!);
  // Switchover in the current primary's region with the target's ARN; promotion in the replica's region.
  expect(world.calls).toEqual([
    {
      region: 'us-east-1',
      command: 'SwitchoverGlobalCluster',
      input: {
        GlobalClusterIdentifier: 'orders-global',
        TargetDbClusterIdentifier: 'arn:aws:rds:us-west-2:000000000000:cluster:orders-west',
      },
    },
    {
      region: 'us-west-2',
      command: 'PromoteReadReplica',
      input: { DBInstanceIdentifier: 'billing-west', BackupRetentionPeriod: 7 },
    },
  ]);
  expect(await check(run!.runId)).toBe('waiting');
  world.finishAurora();
  expect(await check(run!.runId)).toBe('waiting'); // the replica is still promoting: layer 2 waits
  expect(world.mutations()).not.toContain('FailoverGlobalReplicationGroup us-west-2');
  world.finishPromotion('billing-west');
  expect(await check(run!.runId)).toBe('waiting');
  expect(world.calls.at(-1)).toEqual({
    region: 'us-west-2',
    command: 'FailoverGlobalReplicationGroup',
    input: {
      GlobalReplicationGroupId: 'ldgnf-sessions',
      PrimaryRegion: 'us-west-2',
      PrimaryReplicationGroupId: 'sessions-west',
    },
  });
  world.finishCache();
  expect(await check(run!.runId)).toBe('done');
  const [done] = terminal();
  expect(done?.type).toBe('FailoverCompleted');
  expect(done?.detail.resources.map((r: { id: string; outcome: string }) => `${r.id} ${r.outcome}`)).toEqual([
    'orders-global moved',
    'billing-west moved',
    'ldgnf-sessions moved',
  ]);
  expect(world.mutations()).toEqual([
    'SwitchoverGlobalCluster us-east-1',
    'PromoteReadReplica us-west-2',
    'FailoverGlobalReplicationGroup us-west-2',
  ]);
  // Every lock released.
  expect(await bed.store.getLock('global-cluster', 'orders-global')).toBeUndefined();
  expect(await bed.store.getLock('instance', 'billing-west', '000000000000:us-west-2#')).toBeUndefined();
});

test('unplanned: FailoverGlobalCluster with AllowDataLoss in the target region; the warning about the old primary snapshot', async () => {
  world.instances.get('billing-west')!.replication = 'error'; // the source region is down
  const run = await request({ layers: [PLAN_LAYERS[0]], mode: 'unplanned' });
  expect(run).toBeDefined();
  await failoverStep.start(ctx, run!);
  expect(world.calls[0]).toEqual({
    region: 'us-west-2',
    command: 'FailoverGlobalCluster',
    input: {
      GlobalClusterIdentifier: 'orders-global',
      TargetDbClusterIdentifier: 'arn:aws:rds:us-west-2:000000000000:cluster:orders-west',
      AllowDataLoss: true,
    },
  });
  world.finishAurora();
  world.finishPromotion('billing-west');
  expect(await check(run!.runId)).toBe('done');
  expect(terminal()[0]?.detail.warnings[0]).toMatch(
    /^orders-global: when its region recovers, Aurora snapshots orders-east as rds:unplanned-global-failover-orders-east-<time>/,
  );
});

test('a planned failover refuses to start when a resource is not ready, saying which and why', async () => {
  world.instances.get('billing-west')!.replication = 'error';
  world.global.sync = 'pending-resync';
  expect(await request({ plan: 'to-west', layers: PLAN_LAYERS })).toBeUndefined();
  const [rejected] = bed.published();
  expect(rejected?.type).toBe('FailoverRejected');
  expect(rejected?.detail.code).toBe('not-ready');
  expect(rejected?.detail.notReady).toEqual([
    {
      layer: 1,
      type: 'aurora-global',
      id: 'orders-global',
      region: 'us-west-2',
      reason: 'orders-west is pending-resync, not synchronised with the primary (a switchover waits for it)',
    },
    {
      layer: 1,
      type: 'rds-replica',
      id: 'billing-west',
      region: 'us-west-2',
      reason: 'replication state is error (not replicating); the replica may be behind its source',
    },
  ]);
  expect(rejected?.detail.reason).toContain('rewind dr check --plan to-west');
  expect(world.calls).toEqual([]);
  expect(await bed.store.getLock('global-cluster', 'orders-global')).toBeUndefined();
});

test('a replica lagging beyond maxLagSeconds is not ready for a planned failover (CloudWatch ReplicaLag)', async () => {
  world.lag.set('billing-west', 120);
  const replica = { ...PLAN_LAYERS[0]!.resources[1]!, maxLagSeconds: 60 };
  expect(await request({ layers: [{ resources: [replica] }] })).toBeUndefined();
  expect(bed.published()[0]?.detail.notReady[0].reason).toBe(
    'replica lag is 120 s, above 60 s (maxLagSeconds)',
  );
  const lagQuery = world.cloudWatch.commandCalls(GetMetricStatisticsCommand)[0]!.args[0].input;
  expect(lagQuery).toMatchObject({
    Namespace: 'AWS/RDS',
    MetricName: 'ReplicaLag',
    Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'billing-west' }],
    Statistics: ['Maximum'],
  });
  world.lag.set('billing-west', 12);
  expect((await checkReadiness(ctx, [{ resources: [replica] }], 'failover', 'planned')).ready).toBe(true);
});

test('a layer-1 failure stops the run: layer 2 never starts; FailoverFailed says what moved and the commands', async () => {
  const run = await request({ plan: 'to-west', layers: PLAN_LAYERS });
  bed.rds
    .on(PromoteReadReplicaCommand)
    .rejects(
      Object.assign(new Error('cannot promote'), { name: 'InvalidParameterCombination', $fault: 'client' }),
    );
  await failoverStep.start(ctx, run!);
  const [failed] = terminal();
  expect(failed?.type).toBe('FailoverFailed');
  expect(failed?.detail).toMatchObject({
    failedLayer: 1,
    rolledBack: false,
    errorCode: 'InvalidParameterCombination',
  });
  expect(
    failed?.detail.resources.map((r: { id: string; outcome: string }) => `${r.id} ${r.outcome}`),
  ).toEqual(['orders-global in-progress', 'billing-west not-moved', 'ldgnf-sessions not-started']);
  expect(failed?.detail.action).toContain(
    'aws rds promote-read-replica --region us-west-2 --db-instance-identifier billing-west',
  );
  expect(failed?.detail.action).toContain(
    'aws elasticache failover-global-replication-group --region us-west-2 --global-replication-group-id ldgnf-sessions',
  );
  expect(world.mutations()).toEqual(['SwitchoverGlobalCluster us-east-1']);
  expect(await check(run!.runId)).toBe('stale'); // nothing waits any more
});

test('a switchover Aurora rolls back is reported as rolled back', async () => {
  const run = await request({ layers: [{ resources: [PLAN_LAYERS[0]!.resources[0]!] }] });
  await failoverStep.start(ctx, run!);
  world.rollBackAurora();
  expect(await check(run!.runId)).toBe('failed');
  const [failed] = terminal();
  expect(failed?.detail).toMatchObject({ rolledBack: true, errorCode: 'SwitchoverRolledBack' });
  expect(failed?.detail.resources[0]).toMatchObject({ outcome: 'rolled-back' });
  expect(failed?.detail.reason).toBe(
    'the switchover of orders-global to orders-west did not finish and Aurora rolled it back: orders-east is still the primary',
  );
});

test('a switchover that never ends fails at the deadline, never waiting forever', async () => {
  const run = await request({ layers: [{ resources: [PLAN_LAYERS[0]!.resources[0]!] }] });
  await failoverStep.start(ctx, run!);
  expect(await check(run!.runId, 60)).toBe('waiting');
  expect(await check(run!.runId, ctx.config.wait.deadlines.failover)).toBe('failed');
  expect(terminal()[0]?.detail.reason).toMatch(
    /did not become primary in its target region within its deadline/,
  );
  expect(terminal()[0]?.detail.resources[0]).toMatchObject({ outcome: 'in-progress' });
});

test('a replica RDS refuses to promote now (backing up) is promoted later, within the deadline: two calls, one run', async () => {
  const run = await request({ layers: [{ resources: [PLAN_LAYERS[0]!.resources[1]!] }] });
  bed.rds
    .on(PromoteReadReplicaCommand)
    .rejectsOnce(Object.assign(new Error('backing-up'), { name: 'InvalidDBInstanceState', $fault: 'client' }))
    .callsFake(async () => {
      world.instances.get('billing-west')!.status = 'modifying';
      return {};
    });
  await failoverStep.start(ctx, run!);
  expect(await check(run!.runId)).toBe('waiting'); // before the act timeout: not sent again
  expect(bed.rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(1);
  expect(await check(run!.runId, ctx.config.wait.actTimeoutSeconds + 1)).toBe('waiting');
  expect(bed.rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(2);
  world.finishPromotion('billing-west');
  expect(await check(run!.runId)).toBe('done');
});

test('a duplicated request event and a repeated requestId start nothing new', async () => {
  const detail = { layers: [PLAN_LAYERS[1]], requestId: 'dr-dup' };
  const envelope = { id: 'evt-dr-dup', 'detail-type': 'FailoverRequested', source: 'test', detail };
  await intake(detail, envelope, ctx);
  await intake(detail, envelope, ctx);
  expect(bed.published().map((e) => e.type)).toEqual(['FailoverStarted']);
  await intake(detail, { ...envelope, id: 'evt-dr-dup-2' }, ctx);
  const answer = bed.published().at(-1);
  expect(answer).toMatchObject({ type: 'FailoverRejected', detail: { code: 'already-running' } });
  expect(answer?.detail.reason).toMatch(/^requestId dr-dup already started run run-/);
});

test('failback: keeps the snapshot Aurora took of the old primary, builds the replica back, promotes it once replicating', async () => {
  // After an unplanned failover: the writer is in us-west-2, billing-west is standalone.
  world.global.writer = 'arn:aws:rds:us-west-2:000000000000:cluster:orders-west';
  world.automatedSnapshots = ['rds:unplanned-global-failover-orders-east-2026-11-22-03-15'];
  world.finishPromotion('billing-west');
  const run = await request({
    direction: 'failback',
    layers: [
      {
        resources: [
          {
            type: 'aurora-global',
            globalClusterId: 'orders-global',
            targetClusterId: 'orders-east',
            targetRegion: 'us-east-1',
          },
          {
            type: 'rds-replica',
            replicaId: 'billing-east-2',
            replicaRegion: 'us-east-1',
            sourceRegion: 'us-west-2',
            sourceId: 'billing-west',
          },
        ],
      },
    ],
  });
  expect(run).toBeDefined();
  await failbackStep.start(ctx, run!);
  // Started together (one phase): in either order.
  expect([...world.calls].sort((a, b) => a.command.localeCompare(b.command))).toEqual([
    {
      region: 'us-east-1',
      command: 'CopyDBClusterSnapshot',
      input: {
        SourceDBClusterSnapshotIdentifier: 'rds:unplanned-global-failover-orders-east-2026-11-22-03-15',
        TargetDBClusterSnapshotIdentifier: 'unplanned-global-failover-orders-east-2026-11-22-03-15',
        CopyTags: true,
      },
    },
    {
      region: 'us-east-1',
      command: 'CreateDBInstanceReadReplica',
      input: {
        DBInstanceIdentifier: 'billing-east-2',
        SourceDBInstanceIdentifier: 'arn:aws:rds:us-west-2:000000000000:db:billing-west',
        // Opted in from its creation (the generated IAM lets Rewind promote only opted-in replicas).
        Tags: [
          { Key: 'rewind:allow', Value: 'true' },
          { Key: 'rewind:run-id', Value: run!.runId },
        ],
      },
    },
  ]);
  world.manualSnapshots.set('unplanned-global-failover-orders-east-2026-11-22-03-15', 'available');
  world.instances.get('billing-east-2')!.status = 'available';
  world.instances.get('billing-east-2')!.replication = 'catching-up';
  expect(await check(run!.runId)).toBe('waiting');
  expect(world.mutations().slice(2)).toEqual(['SwitchoverGlobalCluster us-west-2']); // not promoted before it caught up
  world.instances.get('billing-east-2')!.replication = 'replicating';
  expect(await check(run!.runId)).toBe('waiting');
  expect(world.mutations().slice(3)).toEqual(['PromoteReadReplica us-east-1']);
  world.finishAurora();
  world.finishPromotion('billing-east-2');
  expect(await check(run!.runId)).toBe('done');
  expect(terminal()[0]?.detail.keptSnapshots).toEqual([
    'unplanned-global-failover-orders-east-2026-11-22-03-15',
  ]);
});

test('kept snapshot names fit CopyDBClusterSnapshot (63 characters, letters, digits, hyphens)', () => {
  expect(keptSnapshotName('rds:unplanned-global-failover-orders-2026-11-22-03-15')).toBe(
    'unplanned-global-failover-orders-2026-11-22-03-15',
  );
  const long = keptSnapshotName(`rds:unplanned-global-failover-${'a'.repeat(60)}-2026-11-22-03-15`);
  expect(long).toMatch(/^kept-[a-z0-9-]+$/);
  expect(long.length).toBeLessThanOrEqual(63);
});

test('FailoverStarted delivered twice and RDS events of the DR region, in one batch and again: each call sent once', async () => {
  const run = await request({ layers: [PLAN_LAYERS[0]] });
  const started = bed.published().find((e) => e.type === 'FailoverStarted')!;
  const inbox = inboxHandler('failover', handler.routes, () => ctx);
  const record = (id: string, body: unknown) => ({
    messageId: id,
    receiptHandle: id,
    body: JSON.stringify(body),
    attributes: { ApproximateReceiveCount: '1' },
  });
  const startedEvent = {
    id: 'evt-started',
    'detail-type': 'FailoverStarted',
    source: 'rewind',
    detail: started.detail,
  };
  // The writer endpoint's event for the target, in its own region (RDS-EVENT-0397).
  const writerEvent = {
    id: 'evt-0397',
    'detail-type': 'RDS DB Cluster Event',
    source: 'aws.rds',
    account: '000000000000',
    region: 'us-west-2',
    detail: {
      EventCategories: ['global-failover'],
      SourceType: 'CLUSTER',
      SourceArn: 'arn:aws:rds:us-west-2:000000000000:cluster:orders-west',
      SourceIdentifier: 'orders-west',
      Date: '2026-11-22T03:00:05.000Z',
      Message: 'Aurora finished changing the DNS name that the global writer endpoint resolves to.',
      EventID: 'RDS-EVENT-0397',
    },
  };
  expect(await inbox({ Records: [record('m-1', startedEvent)] } as unknown as SQSEvent)).toEqual({
    batchItemFailures: [],
  });
  expect(
    await inbox({
      Records: [record('m-2', startedEvent), record('m-3', writerEvent)],
    } as unknown as SQSEvent),
  ).toEqual({
    batchItemFailures: [],
  });
  expect(world.mutations()).toEqual(['SwitchoverGlobalCluster us-east-1', 'PromoteReadReplica us-west-2']);
  world.finishAurora();
  world.finishPromotion('billing-west');
  // The event of the target cluster's region finds the run through the resource index, at its address.
  expect(
    await inbox({ Records: [record('m-4', writerEvent), record('m-5', writerEvent)] } as unknown as SQSEvent),
  ).toEqual({
    batchItemFailures: [],
  });
  expect((await bed.store.getRun(run!.runId))?.status).toBe('completed');
  expect(bed.published().filter((e) => e.type === 'FailoverCompleted')).toHaveLength(1);
  expect(world.mutations()).toEqual(['SwitchoverGlobalCluster us-east-1', 'PromoteReadReplica us-west-2']);
});

test('a DR run cannot be cancelled: what AWS started cannot be called back', async () => {
  const run = await request({ layers: [{ resources: [PLAN_LAYERS[0]!.resources[0]!] }] });
  expect(cancelRefusal(run!)).toMatch(
    /is a DR run: the switchovers, failovers and promotions it started cannot be called back/,
  );
});

test('every DR request is answered, whatever it holds: malformed ones are rejected with a reason, nothing starts', async () => {
  const hostile: Record<string, unknown>[] = [
    {},
    { plan: 42 },
    { plan: 'to-west', mode: 'eventually' },
    { plan: 'no-such-plan' },
    { layers: 'not a list' },
    { layers: [{ resources: [{ type: 'teleport', id: 'x' }] }] },
    { plan: 'x'.repeat(5000), direction: 'sideways' },
    JSON.parse('{"__proto__": {"polluted": true}, "plan": "to-west", "mode": "planned"}') as Record<
      string,
      unknown
    >,
  ];
  for (const detail of hostile) {
    expect(await request(detail)).toBeUndefined();
    const answers = bed.published();
    expect({ detail, answers: answers.map((a) => a.type) }).toEqual({
      detail,
      answers: ['FailoverRejected'],
    });
    expect(String(answers[0]!.detail.reason).length).toBeGreaterThan(0);
  }
  expect(world.calls).toEqual([]);
});
