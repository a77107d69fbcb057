/**
 * Restore benchmark (run: `npx tsx bench/restore.ts`; BENCH_RUNS=50, BENCH_CONCURRENCY=10,
 * BENCH_TIME_SCALE=0.002). Runs `create_snapshot` on production-like instances on the local cloud (RDS at
 * time scale 0.002 by default: a ten-minute restore takes 1.2 s) and prints, per run: total time, emulated
 * RDS operation time, orchestration overhead per step; then per run on average: Lambda invocations,
 * DynamoDB writes, events published and RDS API calls; RDS calls refused by the account-wide throttle;
 * events that went out more than once; and p50/p99 of the event -> next RDS call latency and of the
 * overhead per event-driven step; and the Lambda compute per run (GB-seconds from the function runtime's
 * invocation durations and each function's configured memory), against what a design whose Lambdas wait
 * in boto3 waiters (Trapheus: a poll every 40 s, 128 MB) would bill for the same RDS durations. Figures
 * only, no assertions.
 *
 * Compressed time compresses the RDS API rate too: ten concurrent runs at 0.002 call RDS about 500 times
 * as often as in AWS and meet the account-wide limit (12 calls/s), so their figures measure the throttle.
 * Use a larger BENCH_TIME_SCALE (0.02) to measure orchestration under concurrency.
 *
 * Definitions, per step (from the run's timeline and the emulator's resource histories):
 * - trigger: the time the event that starts the step was published;
 * - RDS call: the first status change of the step's resource after the trigger;
 * - target: the status change that completes the operation (available / deleted);
 * - done: the time the step's own event was published.
 * event -> RDS call = call - trigger; RDS time = target - call; overhead = (call - trigger) + (done - target).
 * Renames have no RDS event: they are confirmed by two describe calls one check apart (1 s locally), so
 * their overhead is reported apart from the event-driven steps (snapshot, restore, cleanup).
 */
import { setMaxListeners } from 'node:events';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { StateStore, type LogEntry } from '@rewind/shared';
import { startLocalCloud } from '../local/src';
import { createProductionInstance, Observer } from '../e2e/harness';
import { lambdaCompute, ms, stealMeter } from './bed';
import { pct, waiterGbSeconds } from './figures';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';

// Many concurrent SDK calls share abort signals in one process; Node 20's SDK notice is known.
setMaxListeners(64);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 0.002);

interface History {
  identifiers: string[];
  entries: { time: string; status: string; identifier: string }[];
}

const STEPS = [
  { step: 'snapshot', trigger: 'RunStarted', done: 'SnapshotReady', target: 'available', eventDriven: true },
  {
    step: 'set-aside',
    trigger: 'SnapshotReady',
    done: 'RenameCompleted',
    target: 'available',
    eventDriven: false,
  },
  {
    step: 'restore',
    trigger: 'RenameCompleted',
    done: 'RestoreCompleted',
    target: 'available',
    eventDriven: true,
  },
  {
    step: 'cleanup',
    trigger: 'RestoreCompleted',
    done: 'CleanupCompleted',
    target: 'deleted',
    eventDriven: true,
  },
] as const;

async function main() {
  const cloud = await startLocalCloud({
    port: 0,
    quiet: true,
    log: () => undefined,
    rds: { profile: 'realistic', timeScale: TIME_SCALE, seed: 1 },
  });
  const common = {
    endpoint: cloud.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  // Adaptive: once throttled, the client paces itself (setup polls many instances at once).
  const rds = new RDSClient({ ...common, maxAttempts: 10, retryMode: 'adaptive' });
  const events = new EventBridgeClient(common);
  const sqs = new SQSClient(common);
  const store = new StateStore(new DynamoDBClient(common), cloud.names.tableName);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-observer' }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] })))
    .Attributes!.QueueArn!;
  await events.send(
    new PutRuleCommand({
      Name: 'bench',
      EventBusName: cloud.names.busName,
      EventPattern: JSON.stringify({ source: ['rewind'] }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: 'bench',
      EventBusName: cloud.names.busName,
      Targets: [{ Id: 'q', Arn: arn }],
    }),
  );
  const observer = new Observer(sqs, QueueUrl!);

  console.log(`creating ${RUNS} production-like instances...`);
  const ids = Array.from({ length: RUNS }, (_, i) => `bench-${String(i).padStart(3, '0')}-db`);
  for (let i = 0; i < ids.length; i += CONCURRENCY) {
    await Promise.all(ids.slice(i, i + CONCURRENCY).map((id) => createProductionInstance(rds, id)));
  }
  await createProductionInstance(rds, 'bench-warmup-db');

  console.log(`running ${RUNS} create_snapshot runs, ${CONCURRENCY} at a time...`);
  const started = new Map<string, number>();
  let next = 0;
  const results: { id: string; runId: string; totalMs: number; terminal: string }[] = [];
  async function runOne(id: string) {
    const requestId = `bench-${id}`;
    started.set(id, Date.now());
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: cloud.names.busName,
            Source: 'bench',
            DetailType: 'RestoreRequested',
            Detail: JSON.stringify({ identifier: id, task: 'create_snapshot', requestId }),
          },
        ],
      }),
    );
    const first = await observer.waitFor((e) => e.detail.requestId === requestId, 300_000);
    const runId = first.detail.run?.id ?? String(first.detail.runId);
    const terminal = await observer.waitFor(
      (e) => ['RunCompleted', 'RunFailed'].includes(e['detail-type']) && e.detail.run?.id === runId,
      300_000,
    );
    return { id, runId, totalMs: Date.now() - started.get(id)!, terminal: terminal['detail-type'] };
  }
  // One warm-up run (module loading, JIT, connection pools) first, not counted.
  const warmup = await runOne('bench-warmup-db');
  console.log(`warm-up run: ${warmup.terminal} in ${ms(warmup.totalMs)} (not counted)`);
  await cloud.admin.delete('/_rewind/edge/requests');
  await cloud.admin.clearInvocations();
  const callsBefore = await cloud.admin.get<{ byAction: Record<string, number> }>('/_rewind/rds/calls');
  const wall = Date.now();
  const steal = stealMeter();
  async function worker() {
    while (next < ids.length) {
      results.push(await runOne(ids[next++]!));
      process.stdout.write(`\r${results.length}/${RUNS} runs finished`);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const wallMs = Date.now() - wall;
  const stealLine = steal.line();
  process.stdout.write('\n');

  const latency: number[] = [];
  const eventOverhead: number[] = [];
  const checkOverhead: number[] = [];
  const rows: string[] = [];
  let publishedTwice = 0;
  // Per run, the production seconds a waiter-based design would wait on each RDS operation.
  const waiterWaits: number[][] = [];
  const histories = await cloud.admin.get<History[]>(`/_rewind/rds/history`);
  for (const r of results.sort((a, b) => a.id.localeCompare(b.id))) {
    const run = (await store.getRun(r.runId))!;
    const timeline = await store.getTimeline(r.runId);
    const outs = timeline
      .filter((t) => t.direction === 'out')
      .map((t) => `${t.type} ${JSON.stringify(t.detail)}`);
    publishedTwice += outs.length - new Set(outs).size;
    const out = (type: string) => timeline.find((t: LogEntry) => t.direction === 'out' && t.type === type);
    const resourceOf = (step: string) =>
      step === 'snapshot'
        ? run.names.snapshot!
        : step === 'set-aside'
          ? run.names.temporary!
          : step === 'restore'
            ? run.identifier
            : run.names.temporary!;
    let rdsTotal = 0;
    const perStep: string[] = [];
    const waits: number[] = [];
    waiterWaits.push(waits);
    for (const s of STEPS) {
      const trigger = Date.parse(out(s.trigger)!.at);
      const done = Date.parse(out(s.done)!.at);
      const name = resourceOf(s.step);
      const entries = histories
        .filter((h) => h.identifiers.includes(name))
        .flatMap((h) => h.entries)
        .map((e) => ({ ...e, t: Date.parse(e.time) }))
        .filter(
          (e) => e.t >= trigger - 5 && e.t <= done + 5 && (e.identifier === name || s.step === 'cleanup'),
        )
        .sort((a, b) => a.t - b.t);
      const call = entries[0]?.t ?? trigger;
      const target = [...entries].reverse().find((e) => e.status === s.target)?.t ?? done;
      rdsTotal += Math.max(0, target - call);
      latency.push(Math.max(0, call - trigger));
      // A waiter for "available" after a restore waits through the baseline backup too.
      const waiterEnd =
        s.step === 'restore'
          ? (histories
              .flatMap((h) => h.entries)
              .map((e) => ({ ...e, t: Date.parse(e.time) }))
              .filter((e) => e.identifier === name && e.status === 'available' && e.t >= call)
              .sort((a, b) => a.t - b.t)[0]?.t ?? target)
          : target;
      waits.push(Math.max(0, waiterEnd - call) / TIME_SCALE / 1000);
      if (s.step === 'restore') {
        // Event-driven: restored instance available -> the modification call. Check-driven: modification
        // finished -> verified and RestoreCompleted (no RDS event marks the end of a modification).
        const available = entries.find((e) => e.status === 'available')?.t;
        const modifying = entries.find(
          (e) => e.status === 'modifying' && available !== undefined && e.t >= available,
        )?.t;
        const react = available !== undefined && modifying !== undefined ? modifying - available : 0;
        latency.push(react);
        eventOverhead.push(Math.max(0, call - trigger) + react);
        checkOverhead.push(Math.max(0, done - target));
        perStep.push(
          `restore ${ms(Math.max(0, call - trigger) + react)} + configure check ${ms(done - target)}`,
        );
        continue;
      }
      const overhead = Math.max(0, call - trigger) + Math.max(0, done - target);
      (s.eventDriven ? eventOverhead : checkOverhead).push(overhead);
      perStep.push(`${s.step} ${ms(overhead)}`);
    }
    rows.push(
      `${r.id}  ${r.terminal.padEnd(12)} total ${ms(r.totalMs).padStart(8)}  rds ${ms(rdsTotal).padStart(8)}  overhead: ${perStep.join(', ')}`,
    );
  }
  const invocations = await cloud.admin.invocationCounts();
  const requests = await cloud.admin.get<{ requests: Record<string, number> }>('/_rewind/edge/requests');
  const callsAfter = await cloud.admin.get<{
    byAction: Record<string, number>;
    throttled: Record<string, number>;
  }>('/_rewind/rds/calls');
  const sum = (o: Record<string, number>, keys: RegExp) =>
    Object.entries(o)
      .filter(([k]) => keys.test(k))
      .reduce((n, [, v]) => n + v, 0);
  const invocationTotal = Object.values(invocations).reduce(
    (n, c) => n + ((c as { invocations?: number }).invocations ?? 0),
    0,
  );
  const dynamoWrites = sum(
    requests.requests,
    /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)$/,
  );
  const putEvents = sum(requests.requests, /^events:PutEvents$/);
  const rdsCalls = sum(callsAfter.byAction, /./) - sum(callsBefore.byAction, /./);
  const throttled =
    sum(callsAfter.throttled, /./) -
    sum((callsBefore as { throttled?: Record<string, number> }).throttled ?? {}, /./);

  console.log('\nper run:');
  for (const row of rows) console.log(`  ${row}`);
  const n = results.length;
  const completed = results.filter((r) => r.terminal === 'RunCompleted').length;
  console.log(
    `\nruns: ${n} (${completed} completed) in ${(wallMs / 1000).toFixed(1)} s wall, ${CONCURRENCY} at a time`,
  );
  console.log(
    `total per run: p50 ${ms(
      pct(
        results.map((r) => r.totalMs),
        0.5,
      ),
    )}, p99 ${ms(
      pct(
        results.map((r) => r.totalMs),
        0.99,
      ),
    )}`,
  );
  console.log(
    `per run: ${(invocationTotal / n).toFixed(1)} Lambda invocations, ${(dynamoWrites / n).toFixed(1)} DynamoDB writes, ${(putEvents / n).toFixed(1)} PutEvents calls (incl. the request), ${(rdsCalls / n).toFixed(1)} RDS API calls`,
  );
  console.log(
    `RDS calls refused by the account-wide throttle: ${throttled} (retried by the SDK; RDS time scale ${TIME_SCALE})`,
  );
  const compute = await lambdaCompute(cloud.admin, cloud.names);
  const waiterGb = waiterWaits.map((w) => waiterGbSeconds(w));
  const meanWait = (i: number) => waiterWaits.reduce((a, w) => a + (w[i] ?? 0), 0) / Math.max(1, n);
  console.log(
    `Lambda compute per run: ${(compute.gbSeconds / n).toFixed(3)} GB-s (${(compute.invocations / n).toFixed(1)} invocations; ${Object.entries(
      compute.byService,
    )
      .map(([svc, gb]) => `${svc} ${(gb / n).toFixed(3)}`)
      .join(', ')}; aim: <= 3 GB-s)`,
  );
  console.log(
    `  a design waiting in Lambdas (boto3 waiters, a poll every 40 s, 128 MB) for the same RDS durations: ${(waiterGb.reduce((a, b) => a + b, 0) / Math.max(1, n)).toFixed(1)} GB-s per run (waits in production seconds: snapshot ${meanWait(0).toFixed(0)}, rename ${meanWait(1).toFixed(0)}, restore until available ${meanWait(2).toFixed(0)}, delete ${meanWait(3).toFixed(0)}; its calling Lambdas not counted)`,
  );
  console.log(stealLine);
  console.log(`events published more than once (same type and detail): ${publishedTwice}`);
  console.log(`event -> next RDS call latency: p50 ${ms(pct(latency, 0.5))}, p99 ${ms(pct(latency, 0.99))}`);
  console.log(
    `orchestration overhead per event-driven step (snapshot, restore, cleanup): p50 ${ms(pct(eventOverhead, 0.5))}, p99 ${ms(pct(eventOverhead, 0.99))}  (aim: p99 <= 100 ms)`,
  );
  console.log(
    `overhead of check-driven waits (rename: 2 describe checks; end of the post-restore modification): p50 ${ms(pct(checkOverhead, 0.5))}, p99 ${ms(pct(checkOverhead, 0.99))}`,
  );

  await observer.stop();
  for (const c of [rds, events, sqs]) c.destroy();
  await cloud.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
