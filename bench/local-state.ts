/**
 * Cost of `--state-dir` (run: `npx tsx bench/local-state.ts`). Fills a local cloud with messages, items
 * and archived events, then prints the size of the saved state, how long the save at stop took (stop
 * with a state directory minus stop without), and how long a start took to load it. Figures only.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalCloud, type LocalCloud } from '../local/src';

const ROUNDS = Number(process.env.BENCH_STATE_ROUNDS ?? 100); // x10 messages, x20 items, x10 events

const quiet = { port: 0, functions: false, quiet: true, log: () => undefined };
const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;

async function fill(cloud: LocalCloud): Promise<void> {
  const config = {
    endpoint: cloud.endpoint,
    region: cloud.identity.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const sqs = new SQSClient(config);
  const dynamodb = new DynamoDBClient(config);
  const events = new EventBridgeClient(config);
  const queueUrl = `${cloud.endpoint}/${cloud.identity.accountId}/${cloud.names.prefix}-notify-inbox-dlq`;
  for (let i = 0; i < ROUNDS; i++) {
    const ten = Array.from({ length: 10 }, (_, j) => j);
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: ten.map((j) => ({
          Id: String(j),
          MessageBody: JSON.stringify({ i, j, pad: 'x'.repeat(500) }),
        })),
      }),
    );
    await dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [cloud.names.tableName]: Array.from({ length: 20 }, (_, j) => ({
            PutRequest: {
              Item: { pk: { S: `RUN#${i}` }, sk: { S: `LOG#${j}` }, body: { S: 'y'.repeat(500) } },
            },
          })),
        },
      }),
    );
    await events.send(
      new PutEventsCommand({
        Entries: ten.map((j) => ({
          EventBusName: cloud.names.busName,
          Source: 'bench',
          DetailType: 'T',
          Detail: JSON.stringify({ i, j }),
        })),
      }),
    );
  }
  for (const c of [sqs, dynamodb, events]) c.destroy();
}

async function timedStop(stateDir?: string): Promise<number> {
  const cloud = await startLocalCloud({ ...quiet, stateDir, saveIntervalMs: 3_600_000 });
  await fill(cloud);
  const started = process.hrtime.bigint();
  await cloud.stop();
  return ms(started);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rewind-bench-state-'));
  try {
    const plain = await timedStop();
    const saved = await timedStop(dir);
    let bytes = 0;
    for (const f of await readdir(dir)) bytes += (await stat(join(dir, f))).size;
    const emptyStart = process.hrtime.bigint();
    await (await startLocalCloud(quiet)).stop();
    const empty = ms(emptyStart);
    const loadStart = process.hrtime.bigint();
    await (await startLocalCloud({ ...quiet, stateDir: dir, saveIntervalMs: 3_600_000 })).stop();
    const loaded = ms(loadStart);
    console.log(
      `state: ${ROUNDS * 10} messages, ${ROUNDS * 20} items, ${ROUNDS * 10} archived events -> ${(bytes / 1e6).toFixed(1)} MB`,
    );
    console.log(
      `state: save at stop ${(saved - plain).toFixed(0)} ms (stop ${saved.toFixed(0)} ms vs ${plain.toFixed(0)} ms)`,
    );
    console.log(
      `state: start and stop with it ${loaded.toFixed(0)} ms vs ${empty.toFixed(0)} ms empty (load and one more save)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
