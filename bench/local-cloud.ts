/**
 * Local cloud benchmark (run: `npx tsx bench/local-cloud.ts`). Prints:
 * 1. PutEvents entries routed per second to an SQS target (10 entries per call, concurrent callers),
 *    counted when the last message is in the queue;
 * 2. event -> handler latency (p50/p99/max) at a steady 100 events/s for 10 s, through the edge,
 *    EventBridge, SQS long polling and the function runtime.
 * Figures only, no assertions.
 */
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { SQSEvent } from 'aws-lambda';
import { startLocalCloud, type LocalCloud } from '../local/src';

const ROUTE_SECONDS = Number(process.env.BENCH_ROUTE_SECONDS ?? 5);
const ROUTE_CALLERS = 8;
const RATE = 100;
const LATENCY_SECONDS = 10;

const now = () => performance.timeOrigin + performance.now();
const latencies: number[] = [];
/** The same events split at the moment SQS accepted them (`SentTimestamp`, whole ms). */
const toQueue: number[] = [];
const fromQueue: number[] = [];

/** The benchmark's function: records how long each event took from PutEvents to here. */
export async function latencyHandler(event: SQSEvent): Promise<void> {
  const at = now();
  for (const record of event.Records) {
    const envelope = JSON.parse(record.body) as { detail: { sentAt: number } };
    latencies.push(at - envelope.detail.sentAt);
    const queuedAt = Number(record.attributes.SentTimestamp);
    toQueue.push(queuedAt - envelope.detail.sentAt);
    fromQueue.push(at - queuedAt);
  }
}

function clients(endpoint: string) {
  const config = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  return { events: new EventBridgeClient(config), sqs: new SQSClient(config) };
}

async function wire(aws: ReturnType<typeof clients>, bus: string, queue: string): Promise<string> {
  await aws.events.send(new CreateEventBusCommand({ Name: bus }));
  const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: queue }));
  await aws.events.send(
    new PutRuleCommand({
      Name: `${bus}-rule`,
      EventBusName: bus,
      EventPattern: JSON.stringify({ source: ['bench'] }),
    }),
  );
  await aws.events.send(
    new PutTargetsCommand({
      Rule: `${bus}-rule`,
      EventBusName: bus,
      Targets: [{ Id: 'q', Arn: `arn:aws:sqs:us-east-1:000000000000:${queue}` }],
    }),
  );
  return QueueUrl ?? '';
}

async function queueDepth(aws: ReturnType<typeof clients>, url: string): Promise<number> {
  const { Attributes } = await aws.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

async function routing(aws: ReturnType<typeof clients>): Promise<void> {
  const url = await wire(aws, 'bench-routing', 'bench-routing-q');
  const entries = Array.from({ length: 10 }, (_, i) => ({
    EventBusName: 'bench-routing',
    Source: 'bench',
    DetailType: 'Load',
    Detail: JSON.stringify({ i, pad: 'x'.repeat(200) }),
  }));
  let sent = 0;
  let failed = 0;
  const started = now();
  const stopAt = started + ROUTE_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: ROUTE_CALLERS }, async () => {
      while (now() < stopAt) {
        const out = await aws.events.send(new PutEventsCommand({ Entries: entries }));
        sent += entries.length;
        failed += out.FailedEntryCount ?? 0;
      }
    }),
  );
  const accepted = now();
  let depth = await queueDepth(aws, url);
  while (depth < sent - failed && now() - accepted < 60_000) {
    await new Promise((r) => setTimeout(r, 20));
    depth = await queueDepth(aws, url);
  }
  const routed = now();
  // Free the backlog before the latency run.
  await aws.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  const seconds = (routed - started) / 1000;
  console.log(
    `routing: ${sent} entries put (${failed} failed) by ${ROUTE_CALLERS} callers in ${((accepted - started) / 1000).toFixed(2)} s`,
  );
  console.log(
    `routing: ${depth} in the queue after ${seconds.toFixed(2)} s -> ${Math.round(depth / seconds)} entries routed/s`,
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function latency(aws: ReturnType<typeof clients>): Promise<void> {
  await wire(aws, 'bench-latency', 'bench-latency-q');
  // Warm up (the runtime discovers the new queue, code paths get compiled), then measure from scratch.
  for (let i = 0; i < 20; i++) {
    const detail = JSON.stringify({ i: -1, sentAt: now() });
    await aws.events.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: 'bench-latency', Source: 'bench', DetailType: 'Tick', Detail: detail }],
      }),
    );
  }
  while (latencies.length < 20) await new Promise((r) => setTimeout(r, 20));
  for (const xs of [latencies, toQueue, fromQueue]) xs.length = 0;
  const total = RATE * LATENCY_SECONDS;
  const putLatencies: number[] = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const started = now();
  const puts: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const sentAt = now();
    const detail = JSON.stringify({ i, sentAt });
    puts.push(
      aws.events
        .send(
          new PutEventsCommand({
            Entries: [{ EventBusName: 'bench-latency', Source: 'bench', DetailType: 'Tick', Detail: detail }],
          }),
        )
        .then(() => putLatencies.push(now() - sentAt)),
    );
  }
  await Promise.all(puts);
  const sendSeconds = (now() - started) / 1000;
  loopDelay.disable();
  const cpu = process.cpuUsage(cpuBefore);
  const deadline = now() + 30_000;
  while (latencies.length < total && now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const sorted = [...latencies].sort((a, b) => a - b);
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  const puts50 = [...putLatencies].sort((a, b) => a - b);
  console.log(`latency: ${latencies.length}/${total} events handled at ${RATE}/s over ${LATENCY_SECONDS} s`);
  console.log(
    `latency: this process used ${((cpu.user + cpu.system) / 1e6 / sendSeconds).toFixed(2)} CPU cores; ` +
      `event loop delay p50 ${fmt(loopDelay.percentile(50) / 1e6)}, p99 ${fmt(loopDelay.percentile(99) / 1e6)}, max ${fmt(loopDelay.max / 1e6)}`,
  );
  console.log(
    `latency: PutEvents call p50 ${fmt(percentile(puts50, 50))}, p99 ${fmt(percentile(puts50, 99))}`,
  );
  const split = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return `p50 ${fmt(percentile(sorted, 50))}, p99 ${fmt(percentile(sorted, 99))}`;
  };
  console.log(
    `latency: PutEvents -> in the queue ${split(toQueue)}; queue -> handler ${split(fromQueue)} (ms clock)`,
  );
  console.log(
    `latency: event -> handler p50 ${fmt(percentile(sorted, 50))}, p99 ${fmt(percentile(sorted, 99))}, max ${fmt(sorted.at(-1) ?? NaN)}`,
  );
}

async function main(): Promise<void> {
  const cloud: LocalCloud = await startLocalCloud({
    port: 0,
    quiet: true,
    provision: false,
    topologyFunctions: false,
    extraFunctions: [
      {
        name: 'bench-latency-fn',
        queueName: 'bench-latency-q',
        handler: 'bench/local-cloud.latencyHandler',
        batchSize: 10,
        maxConcurrency: 5,
        timeoutSeconds: 60,
      },
    ],
    log: (line) => console.error(line),
  });
  const aws = clients(cloud.endpoint);
  try {
    console.log(`local cloud on ${cloud.endpoint} (node ${process.version}, in process)`);
    if (ROUTE_SECONDS > 0) await routing(aws);
    await latency(aws);
  } finally {
    aws.events.destroy();
    aws.sqs.destroy();
    await cloud.stop();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
